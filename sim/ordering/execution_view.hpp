// One allowed execution of a litmus test, made to be shown: its reads-from, coherence,
// from-read and ordering edges, and a sequence of steps the model allows — each write becoming
// visible to the other CPUs, each read being satisfied — so a view can step through "which
// store is visible to which CPU when". The sequence is a linear extension of the relation the
// model requires to be acyclic (x86tso.cat's ghb, aarch64.cat's ob): such a sequence exists
// exactly when the model allows the execution.
#pragma once

#include "litmus_check.hpp"

#include <string>
#include <utility>
#include <vector>

namespace ringside::ordering {

struct ExecutionView {
    Execution x;
    bool outcome = false; // the condition's proposition holds in this execution
    std::string state;    // the final state over Test::shown, as herd prints it
    // Memory events (no initial writes, no fences) in an order the model allows; ties follow
    // program order, then thread number.
    std::vector<int> steps;
    // Edges between events of x: reads-from (including from initial writes), coherence between
    // successive writes of a location, from-read (a read before the write that overwrote what
    // it read), and what the model orders inside a thread (ppo/mfence, or aarch64's lob).
    std::vector<std::pair<int, int>> rf, co, fr, ordered;
};

struct ExecutionViews {
    Model model = Model::Armv8;
    CheckResult result;
    std::vector<ExecutionView> allowed; // at most `limit`, in enumeration order
    bool truncated = false;             // there were more
};

// Every execution the model allows (up to limit). Throws LitmusError.
ExecutionViews allowed_executions(const Test& test, Model model, size_t limit = 4096);

// The view of one execution the model allows, however it was found (the race explorer,
// explorer.hpp, searches for its own): its steps and edges. Its outcome and state are left
// empty: they belong to a litmus condition, which such an execution need not have.
ExecutionView view_of(const Execution& x, Model model);

// The index in v.allowed of the first execution whose outcome is the condition's proposition
// (herd's "Positive" side), or -1 when the model allows none.
int first_with_outcome(const ExecutionViews& v);

// "P1" for a thread; "init" for an initial write.
std::string thread_name(int thread);
// What one step does, in words: "P0: STR W0,[X1] — data = 1 becomes visible to the other CPUs".
std::string step_text(const Test& test, const ExecutionView& v, Model model, int event);

} // namespace ringside::ordering
