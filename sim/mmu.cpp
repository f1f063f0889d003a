// Arming pages for dirty logging (arch/x86/kvm/mmu/mmu.c, arch/arm64/kvm/mmu.c): write-protect
// a mapped page so its next write faults, or, with x86 PML, clear its dirty bit so the CPU
// logs the next write without an exit.
#include "kvm.hpp"

namespace ringside {

namespace {

// kvm_mmu_write_protect_pt_masked, or kvm_mmu_clear_dirty_pt_masked with PML.
void arm_page(const Kvm& kvm, PageStates& pages, uint64_t off) {
    if (pages.mapping(off) != Mapping::Writable)
        return; // unmapped pages fault anyway; read-only ones already do
    pages.set_mapping(off,
                      kvm.config.cpu_dirty_log_size ? Mapping::WritableClean : Mapping::ReadOnly);
}

} // namespace

void kvm_arch_mmu_enable_log_dirty_pt_masked(Kvm& kvm, Memslot& slot, uint64_t offset,
                                             uint64_t mask) {
    for (uint64_t m = mask; m; m &= m - 1) {
        const uint64_t off = offset + static_cast<uint64_t>(__builtin_ctzll(m));
        if (off < slot.npages)
            arm_page(kvm, slot.pages, off);
    }
}

void kvm_mmu_slot_enable_logging(Kvm& kvm, Memslot& slot) {
    // Initially-all-set reports every page dirty already, so nothing needs protecting.
    if (kvm_dirty_log_manual_protect_and_init_set(kvm))
        return;
    slot.pages.for_each_mapped([&](uint64_t off) { arm_page(kvm, slot.pages, off); });
}

bool page_write_is_logged(const Kvm& kvm, const Memslot& slot, uint64_t offset) {
    (void)kvm;
    if (!slot.dirty_track_enabled() || slot.readonly())
        return false;
    return slot.pages.mapping(offset) != Mapping::Writable;
}

} // namespace ringside
