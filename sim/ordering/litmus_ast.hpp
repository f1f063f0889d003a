// A litmus test as herd7 reads it (herdtools7's litmus format): an architecture, a name, an
// initial state, one column of instructions per thread, and a final-state condition. Only the
// AArch64 and X86 subsets of ordering.md are representable; the parser refuses the rest.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ringside::ordering {

enum class Arch : uint8_t { AArch64, X86 };

// The memory models Ringside checks against: herd7's x86tso.cat and aarch64.cat.
enum class Model : uint8_t { Tso, Armv8 };

// A value in a register or in memory: a number, or the address of a location (herd's symbolic
// values: `0:X1=x` puts x's address in X1). An address plus a non-zero offset is a value but
// not a location of this test, and dereferencing it is an error.
struct Value {
    int64_t num = 0;
    int sym = -1; // index of the location whose address this is; -1 for a plain number
    friend bool operator==(const Value&, const Value&) = default;
};

// The access kinds that aarch64.cat tells apart: A (LDAR), Q (LDAPR), L (STLR).
enum class Access : uint8_t { Plain, Acquire, AcquirePc, Release };

// Barriers: aarch64.cat's dmb.full / dmb.ld / dmb.st and ISB, x86's MFENCE.
enum class Barrier : uint8_t { DmbFull, DmbLd, DmbSt, Isb, Mfence };

// Registers, numbered per architecture. AArch64: 0..30 are X0..X30 (Wn is the low half of Xn),
// kZeroReg is XZR/WZR, kFlagsReg is NZCV (written by CMP, read by B.EQ/B.NE). X86: 0..7 are
// EAX, EBX, ECX, EDX, ESI, EDI, EBP, ESP, herd's order.
inline constexpr int kZeroReg = 31;
inline constexpr int kFlagsReg = 32;
inline constexpr int kNumRegs = 33;

struct Operand {
    enum class Kind : uint8_t { None, Reg, Imm };
    Kind kind = Kind::None;
    int reg = -1;
    int64_t imm = 0;
};

// [Xn], [Xn,Xm], [Xn,Wm,SXTW], [Xn,#imm]; X86's [x] names the location directly.
struct Address {
    int base = -1;
    int index = -1;
    int64_t offset = 0;
    bool sxtw = false; // the index is a W register, sign-extended
    int loc = -1;      // X86 direct addressing
};

enum class Op : uint8_t { Load, Store, Fence, Mov, Eor, Add, Cmp, Branch };
enum class Cond : uint8_t { Always, Eq, Ne, Zero, NonZero };

struct Instr {
    Op op = Op::Fence;
    int line = 0;
    std::string text; // as written, for messages and views
    int dst = -1;     // register written by Load, Mov, Eor, Add
    Operand src1, src2;
    Address addr;
    Access access = Access::Plain;
    Barrier barrier = Barrier::DmbFull;
    bool shareability = false; // DMB ISH/OSH spellings: aarch64.cat flags them
    bool wide = true;          // X (64-bit) rather than W (32-bit) registers
    Cond cond = Cond::Always;
    int target = -1; // Branch: index of the instruction it jumps to (may be the end)
};

struct Thread {
    std::vector<Instr> code;
};

struct Location {
    std::string name;
    Value init;
};

// A place the final state can be asked about: a thread's register, or a memory location.
struct StateLoc {
    bool is_reg = false;
    int thread = 0;
    int reg = 0;
    int loc = 0;
    friend bool operator==(const StateLoc&, const StateLoc&) = default;
};

// The condition's proposition, as herd's ConstrGen.prop: binary /\ and \/ as parsed.
struct Prop {
    enum class Kind : uint8_t { True, False, Atom, Not, And, Or, Implies };
    Kind kind = Kind::True;
    StateLoc where; // Atom
    Value value;    // Atom
    std::vector<Prop> kids;
};

enum class Quantifier : uint8_t { Exists, NotExists, Forall };

struct Test {
    Arch arch = Arch::AArch64;
    std::string name;
    std::string file;
    std::vector<Location> locations;
    std::vector<std::vector<Value>> init_regs; // [thread][register]
    std::vector<Thread> threads;
    Quantifier quantifier = Quantifier::Forall;
    Prop prop;
    std::vector<StateLoc> shown; // `locations [...]`, then the condition's, herd's order
    int condition_line = 0;
};

// An error in a litmus file, at a line (1-based; 0 when it is about the whole file).
struct LitmusError : std::runtime_error {
    int line;
    LitmusError(int l, const std::string& message) : std::runtime_error(message), line(l) {}
};

// How herd names a register in a state or condition: X0, EAX.
std::string reg_name(Arch arch, int reg);
// How herd prints a location in a state line: 1:X0, [x].
std::string state_loc_name(const Test& test, const StateLoc& where);
// How herd prints a value: 1, -1, x.
std::string value_text(const Test& test, const Value& v);
// herd's order for states and shown locations: registers by thread then number, then memory by
// name (Location.location_compare).
bool state_loc_less(const Test& test, const StateLoc& a, const StateLoc& b);
int value_compare(const Test& test, const Value& a, const Value& b);

} // namespace ringside::ordering
