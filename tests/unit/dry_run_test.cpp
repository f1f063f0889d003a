// Dry runs change nothing and agree with the real call (kvm-dirty-tracking.md §3-§4).
#include "dry_run.hpp"
#include "scenario/runner.hpp"

#include <gtest/gtest.h>

using namespace ringside;
using namespace ringside::scenario;

namespace {

KernelConfig config(Arch a, Version v) {
    VmSpec s;
    s.arch = a;
    s.version = v;
    s.pml = a == Arch::X86_64;
    return *make_kernel_config(s).config;
}

void exec(Session& s, const char* line) {
    auto p = parse_line(line);
    ASSERT_TRUE(std::holds_alternative<std::string>(s.execute(std::get<Command>(p)))) << line;
}

} // namespace

TEST(DryRun, ChangesNothingAndAgreesWithTheCall) {
    Session s;
    exec(s, "vm arch=x86_64 kernel=6.1");
    exec(s, "vcpu 0");
    const std::string before = state_digest(s);
    const KRet dry = dry_enable_cap(*s.kvm(), KVM_CAP_DIRTY_LOG_RING, 65536, 0);
    EXPECT_EQ(dry.value, -kEINVAL); // §4.7: a vCPU exists
    EXPECT_NE(dry.why.find("already exist"), std::string::npos);
    EXPECT_EQ(state_digest(s), before);
    exec(s, "vm arch=x86_64 kernel=6.1");
    const KRet ok = dry_enable_cap(*s.kvm(), KVM_CAP_DIRTY_LOG_RING, 65536, 0);
    EXPECT_EQ(ok.value, 0);
    EXPECT_EQ(s.kvm()->dirty_ring_size, 0u); // still nothing enabled
}

TEST(DryRun, MatrixOfArm64_6_2) { // the values of the scenario spec's example
    const CapMatrix m = capability_matrix(config(Arch::Arm64, {6, 2}));
    ASSERT_EQ(m.fresh.size(), 4u);
    EXPECT_EQ(m.fresh[0].name, "DIRTY_LOG_RING");
    EXPECT_EQ(m.fresh[0].check.value, 0);
    EXPECT_EQ(m.fresh[0].enable.value, -kEINVAL);
    EXPECT_EQ(m.fresh[1].check.value, 1048576);
    EXPECT_EQ(m.fresh[1].enable.value, 0);
    EXPECT_EQ(m.fresh[2].check.value, 1);
    EXPECT_EQ(m.fresh[2].enable.value, -kEINVAL); // no ring size yet
    EXPECT_EQ(m.fresh[3].check.value, 3);
    ASSERT_EQ(m.qemu_order.size(), 2u);
    EXPECT_EQ(m.qemu_order[0].name, "DIRTY_LOG_RING_ACQ_REL"); // QEMU falls back to ACQ_REL
    EXPECT_EQ(m.qemu_order[1].enable.value, 0);                // WITH_BITMAP after the ring
}

TEST(DryRun, MatrixOfX86Versions) {
    const CapMatrix old = capability_matrix(config(Arch::X86_64, {5, 10}));
    EXPECT_EQ(old.fresh[0].check.value, 0); // §2: no ring before 5.11
    const CapMatrix v61 = capability_matrix(config(Arch::X86_64, {6, 1}));
    EXPECT_EQ(v61.fresh[0].check.value, 1048576);
    EXPECT_EQ(v61.fresh[1].check.value, 1048576); // ACQ_REL from 6.1
    EXPECT_EQ(v61.qemu_order[0].name, "DIRTY_LOG_RING");
    EXPECT_EQ(v61.qemu_order[1].enable.value, -kEINVAL); // WITH_BITMAP unknown before 6.2
}
