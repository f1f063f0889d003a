// Reading herd's litmus format, the AArch64 and X86 subsets of ordering.md. Files that kernel
// and herd people already have run as they are when they stay inside the subset; anything
// outside it is a LitmusError naming the line and the instruction or construct, never a guess.
#pragma once

#include "litmus_ast.hpp"

#include <string>
#include <string_view>

namespace ringside::ordering {

// Parses one litmus test; file is only remembered (Test::file). Throws LitmusError.
Test parse_litmus(std::string_view text, const std::string& file);

// Reads and parses a file. Throws LitmusError (line 0 when the file cannot be read).
Test load_litmus(const std::string& path);

} // namespace ringside::ordering
