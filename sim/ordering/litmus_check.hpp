// Checking a litmus test exhaustively against a model, and counting as herd7 counts: every
// candidate execution the model allows is one execution; Positive and Negative count those
// where the condition's proposition holds and does not (herd's top_herd.ml).
#pragma once

#include "execution.hpp"
#include "litmus_ast.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace ringside::ordering {

struct CheckResult {
    Model model = Model::Armv8;
    // The final states of the allowed executions over Test::shown, distinct, in herd's order.
    std::vector<std::vector<Value>> states;
    uint64_t positive = 0; // allowed executions where the proposition holds
    uint64_t negative = 0; // ... where it does not
    uint64_t candidates = 0;
    // aarch64.cat's flag Assuming-common-inner-shareable-domain: an allowed execution has a
    // DMB with a shareability option (ISH, OSH...), which the model treats as full-system.
    bool shareability_flag = false;

    // herd's Ok/No: exists holds when some allowed execution satisfies the proposition,
    // ~exists when none does, forall when all do.
    bool validated(Quantifier q) const;
};

// herd's default model for the test's architecture: x86tso.cat for X86, aarch64.cat for AArch64.
Model default_model(const Test& test);

// The final value of a shown location in a candidate.
Value final_value(const Test& test, const std::vector<std::vector<ThreadRun>>& runs,
                  const Execution& x, const StateLoc& where);

// Whether the proposition holds in a candidate's final state.
bool holds(const Test& test, const std::vector<std::vector<ThreadRun>>& runs, const Execution& x,
           const Prop& prop);

// Checks every candidate execution. Throws LitmusError (from running the threads).
CheckResult check_litmus(const Test& test, Model model);

// The same, also handing each candidate and the model's verdict to a visitor (a view that
// wants to show one allowed or forbidden execution).
CheckResult check_litmus(const Test& test, Model model,
                         const std::function<void(const Execution&, bool allowed)>& visit);

} // namespace ringside::ordering
