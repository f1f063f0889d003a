// herd7's output, line for line: the verdict line alone (ringside-sim litmus), or the whole
// block (--herd) without the lines that cannot match (Time, which varies, and Hash).
#pragma once

#include "litmus_ast.hpp"
#include "litmus_check.hpp"

#include <string>

namespace ringside::ordering {

// "exists (1:X0=1 /\ 1:X2=0)", as herd's ConstrGen prints it.
std::string condition_text(const Test& test);

// "Observation MP Sometimes 1 3": Never when no allowed execution satisfies the proposition,
// Always when all do, Sometimes otherwise; then those two counts.
std::string observation_line(const Test& test, const CheckResult& result);

// Test, States, the state lines, Ok/No, Witnesses, Positive/Negative, Flag, Condition and
// Observation lines, then the empty line herd ends a test with.
std::string herd_report(const Test& test, const CheckResult& result);

} // namespace ringside::ordering
