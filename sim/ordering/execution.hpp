// Candidate executions, as herd7 builds them: each thread's instructions run on their own with
// a value chosen for every read (its event structure, one path through its branches), then
// reads-from picks, for every read, a write of the same location and value, and coherence
// orders each location's writes after its initial write. The models (models.hpp) then say
// which candidates the architecture allows.
#pragma once

#include "litmus_ast.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ringside::ordering {

// A thread's events are numbered by position in program order; dependencies are masks of those
// positions (at most 64 events a thread).
inline constexpr int kMaxThreadEvents = 64;

struct Event {
    enum class Kind : uint8_t { Read, Write, Fence };
    Kind kind = Kind::Write;
    int thread = -1; // -1: a location's initial write
    int instr = -1;  // the instruction, in its thread's code
    int loc = -1;
    Value value;
    Access access = Access::Plain;
    Barrier barrier = Barrier::DmbFull;
    bool shareability = false;
    // The reads of this thread whose values reach this event (aarch64deps.cat's dtrm: through
    // registers, EOR/ADD/MOV, and a po-earlier store to the same location): through its
    // address, its stored value, or a conditional branch before it.
    uint64_t addr = 0, data = 0, ctrl = 0;

    bool is_mem() const { return kind != Kind::Fence; }
};

// One path through a thread, with a value for every read it makes.
struct ThreadRun {
    std::vector<Event> events;
    std::vector<Value> regs; // the registers at the end
    // The run dereferenced something that is not one of the test's locations, and stopped
    // there; an error if such a run is part of a candidate.
    std::string fault;
    int fault_line = 0;
};

// Every run of every thread: runs[t] for thread t. The values a read may return are those
// written to its location anywhere in the test (found by iterating to a fixpoint), so every
// value a candidate can give a read has its run. Throws LitmusError.
std::vector<std::vector<ThreadRun>> thread_runs(const Test& test);

// A candidate execution.
struct Execution {
    // The initial writes (event i writes location i), then each thread's events in program
    // order; first[t] is the index of thread t's first event, first.back() == events.size().
    std::vector<Event> events;
    std::vector<int> first;
    std::vector<int> run;             // run[t]: which of thread t's runs
    std::vector<int> rf;              // per event: the write a read reads from, else -1
    std::vector<std::vector<int>> co; // per location: its writes, coherence order

    int local(int e) const { return e - first[events[e].thread]; }
    Value final_value(int loc) const { return events[co[loc].back()].value; }
};

// Calls visit for every candidate execution. Candidates that SC-per-location rejects on their
// face (a read from its own thread's po-later write; coherence against program order) are
// never built: both models forbid them, so no count changes. Throws LitmusError when a
// candidate contains a faulting run, or past 20 million candidates (far beyond litmus size).
void for_each_candidate(const Test& test, const std::vector<std::vector<ThreadRun>>& runs,
                        const std::function<void(const Execution&)>& visit);

} // namespace ringside::ordering
