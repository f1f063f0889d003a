// Allowed executions made to be shown: the sequence of steps, the edges, the outcome.
#include "ordering/execution_view.hpp"
#include "ordering/kernel_programs.hpp"
#include "ordering/litmus_parser.hpp"

#include <gtest/gtest.h>

using namespace ringside::ordering;

namespace {

// herd7's MP (the spec's example): plain accesses on both sides.
const char* kMp = R"(AArch64 MP
{
0:X1=data; 0:X3=flag;
1:X1=flag; 1:X3=data;
}
 P0          | P1          ;
 MOV W0,#1   | LDR W0,[X1] ;
 STR W0,[X1] | LDR W2,[X3] ;
 MOV W2,#1   |             ;
 STR W2,[X3] |             ;
exists (1:X0=1 /\ 1:X2=0)
)";

// The same with the kernel's publish order (DMB ISHST) and an acquire load of the flag.
const char* kMpFixed = R"(AArch64 MP+dmb.st+ldar
{
0:X1=data; 0:X3=flag;
1:X1=flag; 1:X3=data;
}
 P0          | P1          ;
 MOV W0,#1   | LDAR W0,[X1] ;
 STR W0,[X1] | LDR W2,[X3] ;
 DMB ISHST   |             ;
 MOV W2,#1   |             ;
 STR W2,[X3] |             ;
exists (1:X0=1 /\ 1:X2=0)
)";

std::string step_list(const Test& t, const ExecutionView& v, Model m) {
    std::string s;
    for (int e : v.steps)
        s += step_text(t, v, m, e) + "\n";
    return s;
}

} // namespace

// ARMv8 allows MP's stale read; the steps show why: the flag store becomes visible before the
// data store, and the reader reads the flag then the old data.
TEST(ExecutionView, MpStaleReadOnArmv8) {
    const ringside::ordering::Test t = parse_litmus(kMp, "MP.litmus");
    const ExecutionViews v = allowed_executions(t, Model::Armv8);
    ASSERT_EQ(v.allowed.size(), 4u); // herd7: Positive 1, Negative 3
    const int bad = first_with_outcome(v);
    ASSERT_GE(bad, 0);
    const ExecutionView& x = v.allowed[size_t(bad)];
    EXPECT_EQ(x.state, "1:X0=1; 1:X2=0;");
    EXPECT_EQ(step_list(t, x, Model::Armv8),
              "P0: STR W2,[X3] — flag = 1 becomes visible to the other CPUs\n"
              "P1: LDR W0,[X1] — reads flag = 1, written by P0 (STR W2,[X3])\n"
              "P1: LDR W2,[X3] — reads data = 0, the initial value\n"
              "P0: STR W0,[X1] — data = 1 becomes visible to the other CPUs\n");
    // Plain accesses: ARMv8 keeps neither thread's pair in order.
    EXPECT_TRUE(x.ordered.empty());
    // P1's data read is from-read before P0's data store.
    const int rdata = x.x.first[1] + 1, wdata = x.x.first[0];
    EXPECT_NE(std::find(x.fr.begin(), x.fr.end(), std::make_pair(rdata, wdata)), x.fr.end());
}

// x86-TSO forbids it: no allowed execution has the outcome, and each thread's pair is ordered.
TEST(ExecutionView, MpForbiddenOnTso) {
    const ringside::ordering::Test t = parse_litmus(kMp, "MP.litmus");
    const ExecutionViews v = allowed_executions(t, Model::Tso);
    EXPECT_EQ(v.allowed.size(), 3u);
    EXPECT_EQ(first_with_outcome(v), -1);
    for (const ExecutionView& x : v.allowed)
        EXPECT_EQ(x.ordered.size(), 2u) << x.state; // W->W on P0, R->R on P1
}

// With the kernel's barrier and an acquire, ARMv8 forbids it too, and the view says which
// pairs are kept in order.
TEST(ExecutionView, MpFixedOnArmv8) {
    const ringside::ordering::Test t = parse_litmus(kMpFixed, "MP+dmb.st+ldar.litmus");
    const ExecutionViews v = allowed_executions(t, Model::Armv8);
    EXPECT_EQ(first_with_outcome(v), -1);
    ASSERT_FALSE(v.allowed.empty());
    EXPECT_EQ(v.allowed[0].ordered.size(), 2u);
}

// x86 store buffering: each CPU reads the other's location before its own store leaves its
// store buffer.
TEST(ExecutionView, StoreBufferingOnTso) {
    const ringside::ordering::Test t = parse_litmus(R"(X86 SB
{ x=0; y=0; }
 P0          | P1          ;
 MOV [x],$1  | MOV [y],$1  ;
 MOV EAX,[y] | MOV EAX,[x] ;
exists (0:EAX=0 /\ 1:EAX=0)
)",
                                                    "SB.litmus");
    const ExecutionViews v = allowed_executions(t, Model::Tso);
    const int bad = first_with_outcome(v);
    ASSERT_GE(bad, 0);
    EXPECT_EQ(step_list(t, v.allowed[size_t(bad)], Model::Tso),
              "P0: MOV EAX,[y] — reads y = 0, the initial value\n"
              "P1: MOV EAX,[x] — reads x = 0, the initial value\n"
              "P0: MOV [x],$1 — x = 1 leaves P0's store buffer: every CPU sees it\n"
              "P1: MOV [y],$1 — y = 1 leaves P1's store buffer: every CPU sees it\n");
}

namespace {

// The verdict for a kernel-primitive program rendered for an architecture, under its model.
bool bad_allowed(const KernelProgram& p, Arch arch) {
    const RenderedProgram r = render(p, arch);
    const ringside::ordering::Test t = parse_litmus(r.litmus, p.name + ".litmus");
    return check_litmus(t, arch == Arch::X86 ? Model::Tso : Model::Armv8).positive > 0;
}

} // namespace

// ordering.md: the publish race needs arm64 and a plain harvester (MP + DMB ISHST, plain reads:
// allowed); an acquire fixes it unless the kernel drops its smp_wmb; x86 never shows it.
TEST(KernelPrograms, RingPublish) {
    EXPECT_TRUE(bad_allowed(ring_publish(false, true), Arch::AArch64));
    EXPECT_FALSE(bad_allowed(ring_publish(true, true), Arch::AArch64));
    EXPECT_TRUE(bad_allowed(ring_publish(true, false), Arch::AArch64));
    EXPECT_FALSE(bad_allowed(ring_publish(false, true), Arch::X86));
}

// The reset race is load buffering: a plain RESET store may pass QEMU's read of the offset on
// arm64; a store-release keeps it after (with KVM's acquire and its if); TSO forbids LB.
TEST(KernelPrograms, RingReset) {
    EXPECT_TRUE(bad_allowed(ring_reset(false), Arch::AArch64));
    EXPECT_FALSE(bad_allowed(ring_reset(true), Arch::AArch64));
    EXPECT_FALSE(bad_allowed(ring_reset(false), Arch::X86));
}

// The spec's table for the classic shapes, rendered from the same primitives.
TEST(KernelPrograms, Classics) {
    const std::vector<KernelProgram> c = classic_programs();
    ASSERT_EQ(c.size(), 4u);
    // MP: TSO forbidden, ARMv8 allowed. SB: allowed on both. SB+mbs: forbidden on both.
    // LB: TSO forbidden, ARMv8 allowed.
    const bool arm[] = {true, true, false, true}, x86[] = {false, true, false, false};
    for (size_t i = 0; i < c.size(); ++i) {
        EXPECT_EQ(bad_allowed(c[i], Arch::AArch64), arm[i]) << c[i].name;
        EXPECT_EQ(bad_allowed(c[i], Arch::X86), x86[i]) << c[i].name;
    }
}

// Each instruction knows the primitive it came from: smp_wmb is DMB ISHST on arm64 and nothing
// on x86.
TEST(KernelPrograms, Mapping) {
    const KernelProgram p = ring_publish(true, true);
    const RenderedProgram arm = render(p, Arch::AArch64), x86 = render(p, Arch::X86);
    EXPECT_NE(arm.litmus.find("DMB ISHST"), std::string::npos);
    EXPECT_NE(arm.litmus.find("LDAR W0"), std::string::npos);
    EXPECT_EQ(x86.litmus.find("DMB"), std::string::npos);
    ASSERT_EQ(arm.from[0].size(), 5u); // MOV+STR, DMB, MOV+STR
    EXPECT_EQ(arm.from[0][2], 1);      // the DMB is the smp_wmb
    ASSERT_EQ(x86.from[0].size(), 2u);
    EXPECT_EQ(x86.from[0][1], 2);
}
