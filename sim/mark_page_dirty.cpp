// Recording a dirty page (virt/kvm/kvm_main.c: mark_page_dirty_in_slot), whose routing changed
// in 5.11 (the ring), 5.17 (no vCPU: WARN and drop) and 6.2 (no vCPU: the bitmap, if any).
#include "kvm.hpp"

namespace ringside {

std::string mark_text(MarkOutcome m) {
    std::string s;
    switch (m.mark) {
    case Mark::Ring:
        s = "ring";
        break;
    case Mark::Bitmap:
        s = "bitmap";
        break;
    case Mark::None:
        s = "none";
        break;
    case Mark::Lost:
        s = "lost";
        break;
    case Mark::Oops:
        s = "oops";
        break;
    }
    return m.warn ? s + ",warn" : s;
}

namespace {

// kvm_arch_allow_write_without_running_vcpu: only arm64, only while the vGIC saves or restores
// its tables in guest memory.
bool kvm_arch_allow_write_without_running_vcpu(const Kvm& kvm, VgicWrite during) {
    return kvm.config.spec.arch == Arch::Arm64 && during != VgicWrite::None;
}

MarkOutcome push_to_ring(Kvm& kvm, Vcpu& vcpu, const Memslot& slot, uint64_t gfn, bool warn) {
    DirtyRing& ring = *vcpu.dirty_ring;
    Event e{EventKind::RingPush};
    e.vcpu = vcpu.vcpu_id;
    e.slot = slot.slot_number();
    e.a = gfn - slot.base_gfn;
    e.n = ring.dirty_index;
    const bool full = dirty_ring_push(ring, e.slot, e.a);
    e.aux = full;
    e.b = dirty_ring_used(ring);
    e.aux2 = dirty_ring_soft_full(ring);
    kvm.emit(e);
    return {Mark::Ring, warn || full};
}

MarkOutcome set_bitmap_bit(Kvm& kvm, Vcpu* vcpu, Memslot& slot, uint64_t gfn, bool warn) {
    slot.dirty_bitmap->set(gfn - slot.base_gfn); // set_bit_le
    Event e{EventKind::BitmapSet};
    e.vcpu = vcpu ? vcpu->vcpu_id : kNoVcpu;
    e.slot = slot.slot_number();
    e.a = gfn - slot.base_gfn;
    e.aux = warn;
    kvm.emit(e);
    return {Mark::Bitmap, warn};
}

// Nothing was recorded; worth an event when something was lost or the kernel complained.
MarkOutcome dropped(Kvm& kvm, Vcpu* vcpu, const Memslot* slot, uint64_t gfn, MarkOutcome m) {
    if (m.mark == Mark::None && !m.warn)
        return m;
    Event e{EventKind::MarkDropped, uint8_t(m.mark), uint8_t(m.warn)};
    e.vcpu = vcpu ? vcpu->vcpu_id : kNoVcpu;
    e.slot = slot ? slot->slot_number() : 0;
    e.a = slot ? gfn - slot->base_gfn : gfn;
    kvm.emit(e);
    return m;
}

} // namespace

MarkOutcome mark_page_dirty_in_slot(Kvm& kvm, Vcpu* vcpu, Memslot* slot, uint64_t gfn,
                                    VgicWrite during) {
    const KernelConfig& c = kvm.config;
    const bool logging = slot && slot->dirty_track_enabled();
    bool warn = false;

    if (c.have_dirty_ring && !vcpu) {
        if (c.use_dirty_bitmap_6_2) {
            warn = !kvm_arch_allow_write_without_running_vcpu(kvm, during);
        } else if (c.warn_no_vcpu_5_17) {
            // 5.17-6.1: WARN and return before the memslot is even looked at.
            return dropped(kvm, vcpu, slot, gfn, {logging ? Mark::Lost : Mark::None, true});
        }
    }
    if (!logging)
        return dropped(kvm, vcpu, slot, gfn, {Mark::None, warn});

    if (c.use_dirty_bitmap_6_2) {
        if (kvm.dirty_ring_size && vcpu)
            return push_to_ring(kvm, *vcpu, *slot, gfn, warn);
        if (slot->dirty_bitmap)
            return set_bitmap_bit(kvm, vcpu, *slot, gfn, warn);
        return dropped(kvm, vcpu, slot, gfn, {Mark::Lost, warn});
    }
    if (kvm.dirty_ring_size) {
        if (!vcpu) // 5.11-5.16: kvm_dirty_ring_get() returns NULL
            return dropped(kvm, vcpu, slot, gfn, {Mark::Oops, warn});
        return push_to_ring(kvm, *vcpu, *slot, gfn, warn);
    }
    if (slot->dirty_bitmap)
        return set_bitmap_bit(kvm, vcpu, *slot, gfn, warn);
    return dropped(kvm, vcpu, slot, gfn, {Mark::Lost, warn});
}

void vmm_host_write(Kvm& kvm, uint64_t gfn) {
    // The VMM's own mapping: look in the default address space first, as QEMU's RAM is there.
    for (uint32_t as = 0; as < kvm.memslots.size(); ++as) {
        Memslot* slot = kvm.gfn_to_memslot(as, gfn);
        if (!slot)
            continue;
        const uint64_t off = gfn - slot->base_gfn;
        if (!slot->pages.populated(off)) {
            // The first write replaces the shared zero page: the MMU notifier zaps any
            // read-only mapping the guest had of it.
            Event e{EventKind::HostWrite, uint8_t(slot->pages.mapping(off))};
            e.slot = slot->slot_number();
            e.a = off;
            slot->pages.set_populated(off);
            slot->pages.set_mapping(off, Mapping::Unmapped);
            kvm.emit(e);
        }
        return;
    }
}

MarkOutcome kvm_write_guest_page(Kvm& kvm, Vcpu* vcpu, uint64_t gfn, VgicWrite during) {
    Memslot* slot = kvm.gfn_to_memslot(0, gfn);
    if (!slot)
        return {Mark::None, false}; // no host address: the copy fails before any marking
    vmm_host_write(kvm, gfn);
    return mark_page_dirty_in_slot(kvm, vcpu, slot, gfn, during);
}

} // namespace ringside
