// Engine behaviour through its C++ API, each expectation from kvm-dirty-tracking.md.
#include "kvm.hpp"
#include "vmm.hpp"

#include <gtest/gtest.h>

using namespace ringside;

namespace {

Kvm make_vm(Arch a, Version v, bool pml = true) {
    VmSpec s;
    s.arch = a;
    s.version = v;
    s.pml = a == Arch::X86_64 && pml;
    return Kvm(*make_kernel_config(s).config);
}

GuestProgram writes(uint64_t first, uint64_t last, uint64_t times = 1) {
    return GuestProgram{true, {{first, last}}, times};
}

} // namespace

TEST(Engine, SpecExampleThroughTheApi) { // scenario-language.md "Example"
    Kvm kvm = make_vm(Arch::Arm64, {6, 2});
    EXPECT_EQ(kvm_vm_ioctl_check_extension(kvm, KVM_CAP_DIRTY_LOG_RING), 0);
    EXPECT_EQ(kvm_vm_ioctl_enable_cap(kvm, KVM_CAP_DIRTY_LOG_RING, 65536, 0).value, -kEINVAL);
    EXPECT_EQ(kvm_vm_ioctl_enable_cap(kvm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, 65536, 0).value, 0);
    EXPECT_EQ(kvm_vm_ioctl_enable_cap(kvm, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, 0, 0).value, 0);
    EXPECT_EQ(kvm_set_memory_region(kvm, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 0x100, 256).value, 0);
    EXPECT_EQ(kvm_vm_ioctl_create_vcpu(kvm, 0).value, 0);
    RunResult r = kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], writes(0x100, 0x102));
    EXPECT_EQ(r.done, 3u);
    EXPECT_EQ(r.exit, ExitReason::Idle);
    EXPECT_EQ(kvm.vcpus[0].dirty_ring->dirty_index, 3u);
    MarkOutcome m = kvm_write_guest_page(kvm, nullptr, 0x150, VgicWrite::ItsSave);
    EXPECT_EQ(mark_text(m), "bitmap");
    Vmm vmm;
    EXPECT_EQ(vmm_harvest_ring(vmm, *kvm.vcpus[0].dirty_ring, 0, ~0ull), 3u);
    EXPECT_EQ(kvm_vm_ioctl_reset_dirty_pages(kvm).value, 3);
    EXPECT_EQ(vmm.harvested.at(0).size(), 3u);
    EXPECT_TRUE(vmm.harvested.at(0).contains(2));
}

TEST(Engine, HugeSlotCostsNothingUntilTouched) { // §5: pages up to 2^31 - 1
    Kvm kvm = make_vm(Arch::X86_64, {6, 1});
    EXPECT_EQ(kvm_set_memory_region(kvm, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, (1ull << 31) - 1).value,
              0);
    EXPECT_EQ(kvm_set_memory_region(kvm, 0, 1, 0, 1ull << 32, 0x1000000000000000ull).value,
              -kEINVAL);
}

TEST(Engine, RewritingWritablePagesIsBulkWork) { // bounded work for huge runs
    Kvm kvm = make_vm(Arch::X86_64, {6, 1}, false);
    ASSERT_EQ(kvm_set_memory_region(kvm, 0, 0, 0, 0, 1 << 20).value, 0);
    ASSERT_EQ(kvm_vm_ioctl_create_vcpu(kvm, 0).value, 0);
    RunResult first = kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], writes(0, (1 << 20) - 1));
    EXPECT_EQ(first.done, 1u << 20);
    RunResult again =
        kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], writes(0, (1 << 20) - 1, 1ull << 40));
    EXPECT_EQ(again.done, 1ull << 60);
    EXPECT_EQ(again.exit, ExitReason::Idle);
}

TEST(Engine, CopiesAreIndependent) { // checkpoints share chunks copy-on-write
    PageSet a;
    a.insert(5);
    PageSet b = a;
    a.insert(6); // must not show in b
    b.insert(7); // must not show in a
    EXPECT_TRUE(a.contains(6));
    EXPECT_FALSE(b.contains(6));
    EXPECT_FALSE(a.contains(7));
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(b.size(), 2u);

    Kvm kvm = make_vm(Arch::X86_64, {6, 1}, false);
    kvm_vm_ioctl_enable_cap(kvm, KVM_CAP_DIRTY_LOG_RING, 4096, 0);
    kvm_set_memory_region(kvm, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 64);
    kvm_vm_ioctl_create_vcpu(kvm, 0);
    Kvm copy = kvm;
    kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], writes(0, 9));
    EXPECT_EQ(kvm.vcpus[0].dirty_ring->dirty_index, 10u);
    EXPECT_EQ(copy.vcpus[0].dirty_ring->dirty_index, 0u);
    EXPECT_EQ(copy.vcpus[0].dirty_ring->entry(3).flags, 0u);
    EXPECT_EQ(copy.id_to_memslot(0, 0)->pages.mapping(3), Mapping::Unmapped);
    EXPECT_EQ(kvm.id_to_memslot(0, 0)->pages.mapping(3), Mapping::Writable);
}
