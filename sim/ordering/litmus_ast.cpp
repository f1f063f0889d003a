// Names and orders that herd7 uses when it prints states and conditions.
#include "litmus_ast.hpp"

namespace ringside::ordering {

namespace {
const char* const kX86Regs[] = {"EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP"};
}

std::string reg_name(Arch arch, int reg) {
    if (arch == Arch::X86)
        return reg >= 0 && reg < 8 ? kX86Regs[reg] : "?";
    if (reg == kZeroReg)
        return "XZR";
    if (reg == kFlagsReg)
        return "NZCV";
    return "X" + std::to_string(reg);
}

std::string state_loc_name(const Test& test, const StateLoc& where) {
    if (where.is_reg)
        return std::to_string(where.thread) + ":" + reg_name(test.arch, where.reg);
    return "[" + test.locations[where.loc].name + "]";
}

std::string value_text(const Test& test, const Value& v) {
    if (v.sym < 0)
        return std::to_string(v.num);
    std::string s = test.locations[v.sym].name;
    if (v.num != 0)
        s += (v.num > 0 ? "+" : "") + std::to_string(v.num);
    return s;
}

bool state_loc_less(const Test& test, const StateLoc& a, const StateLoc& b) {
    if (a.is_reg != b.is_reg)
        return a.is_reg; // registers before memory
    if (a.is_reg)
        return a.thread != b.thread ? a.thread < b.thread : a.reg < b.reg;
    return test.locations[a.loc].name < test.locations[b.loc].name;
}

// herd's Constant.compare: numbers (signed) before addresses, addresses by symbol name.
int value_compare(const Test& test, const Value& a, const Value& b) {
    if ((a.sym < 0) != (b.sym < 0))
        return a.sym < 0 ? -1 : 1;
    if (a.sym >= 0 && a.sym != b.sym) {
        const std::string& na = test.locations[a.sym].name;
        const std::string& nb = test.locations[b.sym].name;
        return na < nb ? -1 : 1;
    }
    return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
}

} // namespace ringside::ordering
