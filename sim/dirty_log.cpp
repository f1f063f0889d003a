// Collecting and re-arming: KVM_RESET_DIRTY_RINGS (kvm_vm_ioctl_reset_dirty_pages,
// kvm_dirty_ring_reset, kvm_reset_dirty_gfn) and the bitmap ioctls KVM_GET_DIRTY_LOG and
// KVM_CLEAR_DIRTY_LOG (kvm_get_dirty_log_protect, kvm_clear_dirty_log_protect).
#include "kvm.hpp"

namespace ringside {

namespace {

// kvm_reset_dirty_gfn: re-arm one coalesced batch, silently ignoring anything out of range.
void kvm_reset_dirty_gfn(Kvm& kvm, const ResetBatch& b) {
    const uint32_t as_id = b.slot >> 16;
    const uint32_t id = b.slot & 0xffff;
    if (as_id >= kvm.config.address_spaces || id >= kvm.config.user_mem_slots)
        return;
    Memslot* slot = kvm.id_to_memslot(as_id, id);
    const uint64_t highest = 63 - static_cast<uint64_t>(__builtin_clzll(b.mask)); // __fls
    if (!slot || b.offset >= slot->npages || b.offset + highest >= slot->npages)
        return;
    kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, *slot, b.offset, b.mask);
}

// Both bitmap ioctls: is there a bitmap to talk about, and which slot?
KRet lookup_bitmap_slot(Kvm& kvm, uint32_t slot_number, Memslot** out) {
    if (!kvm_use_dirty_bitmap(kvm))
        return fail(kENXIO, "the dirty ring is on (without a backup bitmap): the bitmap ioctls "
                            "are refused — kvm_get_dirty_log_protect / "
                            "kvm_clear_dirty_log_protect, virt/kvm/kvm_main.c");
    const uint32_t as_id = slot_number >> 16;
    const uint32_t id = slot_number & 0xffff;
    if (as_id >= kvm.config.address_spaces || id >= kvm.config.user_mem_slots)
        return fail(kEINVAL, "the address space or slot id is out of range "
                             "— kvm_get_dirty_log_protect, virt/kvm/kvm_main.c");
    *out = kvm.id_to_memslot(as_id, id);
    return success();
}

} // namespace

KRet kvm_vm_ioctl_reset_dirty_pages(Kvm& kvm) {
    if (!kvm.dirty_ring_size)
        return fail(kEINVAL, "there is no dirty ring to reset "
                             "— kvm_vm_ioctl_reset_dirty_pages, virt/kvm/kvm_main.c");
    int64_t cleared = 0;
    for (Vcpu& v : kvm.vcpus)
        cleared += dirty_ring_reset(*v.dirty_ring,
                                    [&](const ResetBatch& b) { kvm_reset_dirty_gfn(kvm, b); });
    if (cleared)
        kvm.tlb_flushes++; // kvm_flush_remote_tlbs, once for the whole reset
    return success(cleared, "harvested entries were reset and their pages re-armed "
                            "— kvm_dirty_ring_reset, virt/kvm/dirty_ring.c");
}

KRet kvm_get_dirty_log_protect(Kvm& kvm, uint32_t slot_number, BitmapWords* snapshot) {
    Memslot* slot = nullptr;
    if (KRet r = lookup_bitmap_slot(kvm, slot_number, &slot); !r.ok())
        return r;
    if (!slot || !slot->dirty_bitmap)
        return fail(kENOENT, "no such slot, or the slot has no dirty bitmap "
                             "— kvm_get_dirty_log_protect, virt/kvm/kvm_main.c");
    DirtyBitmap& bm = *slot->dirty_bitmap;
    snapshot->clear();
    if (kvm.manual_dirty_log_protect) {
        // Manual protect: report as is; KVM_CLEAR_DIRTY_LOG clears and re-protects.
        bm.for_each_nonzero_word([&](uint64_t i, uint64_t w) { snapshot->emplace_back(i, w); });
        return success(0, "the bitmap is returned as is (manual protect) "
                          "— kvm_get_dirty_log_protect, virt/kvm/kvm_main.c");
    }
    bool flush = false;
    bm.for_each_nonzero_word([&](uint64_t i, uint64_t w) { snapshot->emplace_back(i, w); });
    for (auto [i, w] : *snapshot) {
        const uint64_t mask = bm.fetch_andnot(i, ~0ull); // xchg(word, 0)
        flush = true;
        kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, *slot, i * 64, mask);
    }
    if (flush)
        kvm.tlb_flushes++;
    return success(0, "each dirty word was taken and cleared and its pages write-protected "
                      "— kvm_get_dirty_log_protect, virt/kvm/kvm_main.c");
}

KRet kvm_clear_dirty_log_protect(Kvm& kvm, uint32_t slot_number, uint64_t first_page,
                                 uint32_t num_pages,
                                 const std::function<uint64_t(uint64_t)>& user_word) {
    Memslot* slot = nullptr;
    if (KRet r = lookup_bitmap_slot(kvm, slot_number, &slot); !r.ok())
        return r;
    if (first_page & 63)
        return fail(kEINVAL, "first_page is not a multiple of 64 "
                             "— kvm_clear_dirty_log_protect, virt/kvm/kvm_main.c");
    if (!slot || !slot->dirty_bitmap)
        return fail(kENOENT, "no such slot, or the slot has no dirty bitmap "
                             "— kvm_clear_dirty_log_protect, virt/kvm/kvm_main.c");
    const uint64_t npages = slot->npages;
    if (first_page > npages || num_pages > npages - first_page ||
        (num_pages < npages - first_page && (num_pages & 63)))
        return fail(kEINVAL, "the range leaves the slot, or is not a multiple of 64 pages "
                             "without ending at the slot's end "
                             "— kvm_clear_dirty_log_protect, virt/kvm/kvm_main.c");
    DirtyBitmap& bm = *slot->dirty_bitmap;
    bool flush = false;
    const uint64_t nwords = (uint64_t(num_pages) + 63) / 64;
    for (uint64_t k = 0; k < nwords; ++k) {
        uint64_t mask = user_word(k);
        if (!mask || !bm.word(first_page / 64 + k))
            continue;
        // Only bits that really were set are cleared and re-protected.
        mask = bm.fetch_andnot(first_page / 64 + k, mask);
        if (mask) {
            flush = true;
            kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, *slot, first_page + k * 64, mask);
        }
    }
    if (flush)
        kvm.tlb_flushes++;
    return success(0, "the given set bits were cleared and their pages write-protected "
                      "— kvm_clear_dirty_log_protect, virt/kvm/kvm_main.c");
}

} // namespace ringside
