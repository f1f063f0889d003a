// Arming pages for dirty logging (arch/x86/kvm/mmu/mmu.c, arch/arm64/kvm/mmu.c): write-protect
// a mapped page so its next write faults, or, with x86 PML, clear its dirty bit so the CPU
// logs the next write without an exit.
#include "kvm.hpp"

#include <algorithm>

namespace ringside {

namespace {

// kvm_mmu_write_protect_pt_masked, or kvm_mmu_clear_dirty_pt_masked with PML.
bool arm_page(const Kvm& kvm, PageStates& pages, uint64_t off) {
    if (pages.mapping(off) != Mapping::Writable)
        return false; // unmapped pages fault anyway; read-only ones already do
    pages.set_mapping(off,
                      kvm.config.cpu_dirty_log_size ? Mapping::WritableClean : Mapping::ReadOnly);
    return true;
}

// Whether any page of the 64 from offset (those in the slot) is mapped writable: the pages a
// ring entry names are often not (KVM wrote them itself, or they were re-armed already), and
// then a whole mask is done without looking at its pages one by one.
bool any_writable_in_mask_range(const Memslot& slot, uint64_t offset) {
    if (offset >= slot.npages)
        return false;
    const uint64_t last = std::min(offset + 63, slot.npages - 1);
    return slot.pages.chunk_any_writable(offset) || slot.pages.chunk_any_writable(last);
}

} // namespace

uint64_t kvm_arch_mmu_enable_log_dirty_pt_masked(Kvm& kvm, Memslot& slot, uint64_t offset,
                                                 uint64_t mask) {
    if (!any_writable_in_mask_range(slot, offset))
        return 0;
    uint64_t armed = 0;
    for (uint64_t m = mask; m; m &= m - 1) {
        const auto bit = static_cast<uint64_t>(__builtin_ctzll(m));
        if (offset + bit < slot.npages && arm_page(kvm, slot.pages, offset + bit))
            armed |= 1ull << bit;
    }
    return armed;
}

void kvm_mmu_slot_enable_logging(Kvm& kvm, Memslot& slot) {
    // Initially-all-set reports every page dirty already, so nothing needs protecting.
    if (kvm_dirty_log_manual_protect_and_init_set(kvm))
        return;
    uint64_t armed = 0;
    slot.pages.for_each_mapped([&](uint64_t off) { armed += arm_page(kvm, slot.pages, off); });
    Event e{EventKind::ArmPages};
    e.slot = slot.slot_number();
    e.a = armed;
    kvm.emit(e);
}

bool write_is_logged(const Memslot& slot, Mapping m) {
    // A write to a read-only slot is MMIO; anything short of a dirty writable mapping traps
    // (or, with PML, is logged by the CPU).
    return slot.dirty_track_enabled() && !slot.readonly() && m != Mapping::Writable;
}

} // namespace ringside
