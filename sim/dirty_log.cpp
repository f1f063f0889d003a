// Collecting and re-arming: KVM_RESET_DIRTY_RINGS (kvm_vm_ioctl_reset_dirty_pages,
// kvm_dirty_ring_reset, kvm_reset_dirty_gfn) and the bitmap ioctls KVM_GET_DIRTY_LOG and
// KVM_CLEAR_DIRTY_LOG (kvm_get_dirty_log_protect, kvm_clear_dirty_log_protect).
#include "kvm.hpp"

#include <string>

namespace ringside {

namespace {

// Why a reset batch re-armed nothing, for the event (0 = it re-armed its pages).
enum BatchIgnored : uint8_t { kApplied = 0, kOutOfRange = 1, kNoSlot = 2, kBeyondSlot = 3 };

// kvm_reset_dirty_gfn: re-arm one coalesced batch, silently ignoring anything out of range.
void kvm_reset_dirty_gfn(Kvm& kvm, const ResetBatch& b, uint32_t vcpu_id) {
    Event e{EventKind::ResetBatch, kApplied};
    e.vcpu = vcpu_id;
    e.slot = b.slot;
    e.n = static_cast<uint32_t>(b.offset); // KVM only pushes offsets inside a slot (< 2^31)
    e.b = b.mask;
    const uint32_t as_id = b.slot >> 16;
    const uint32_t id = b.slot & 0xffff;
    Memslot* slot = nullptr;
    const uint64_t highest = 63 - static_cast<uint64_t>(__builtin_clzll(b.mask)); // __fls
    if (as_id >= kvm.config.address_spaces || id >= kvm.config.user_mem_slots)
        e.aux = kOutOfRange;
    else if (!(slot = kvm.id_to_memslot(as_id, id)))
        e.aux = kNoSlot;
    else if (b.offset >= slot->npages || b.offset + highest >= slot->npages)
        e.aux = kBeyondSlot;
    else
        e.a = kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, *slot, b.offset, b.mask);
    kvm.emit(e);
}

void kvm_flush_remote_tlbs(Kvm& kvm) {
    kvm.tlb_flushes++;
    kvm.emit(Event{EventKind::TlbFlush});
}

// Both bitmap ioctls: is there a bitmap to talk about, and which slot?
KRet lookup_bitmap_slot(Kvm& kvm, uint32_t slot_number, Memslot** out, const char* at) {
    if (!kvm_use_dirty_bitmap(kvm))
        return fail(kENXIO,
                    std::string(kvm.config.use_dirty_bitmap_6_2
                                    ? "the dirty ring is on without a backup bitmap, so "
                                      "kvm_use_dirty_bitmap() is false"
                                    : "the dirty ring is on: dirty ring tracking excludes the "
                                      "bitmap") +
                        at);
    const uint32_t as_id = slot_number >> 16;
    const uint32_t id = slot_number & 0xffff;
    if (as_id >= kvm.config.address_spaces)
        return fail(kEINVAL, "address space " + std::to_string(as_id) + " is not below " +
                                 std::to_string(kvm.config.address_spaces) + at);
    if (id >= kvm.config.user_mem_slots)
        return fail(kEINVAL, "slot id " + std::to_string(id) + " is not below the " +
                                 std::to_string(kvm.config.user_mem_slots) + " user memslots" + at);
    *out = kvm.id_to_memslot(as_id, id);
    return success();
}

KRet no_bitmap(const Memslot* slot, uint32_t slot_number, const char* at) {
    return fail(kENOENT, slot ? "slot " + std::to_string(slot_number & 0xffff) +
                                    " has no dirty bitmap (it does not log, or the ring "
                                    "replaced the bitmap)" +
                                    at
                              : "there is no slot " + std::to_string(slot_number & 0xffff) + at);
}

KRet reset_dirty_pages(Kvm& kvm) {
    const char* at = " — kvm_vm_ioctl_reset_dirty_pages, virt/kvm/kvm_main.c";
    if (!kvm.dirty_ring_size)
        return fail(kEINVAL, std::string("there is no dirty ring to reset") + at);
    int64_t cleared = 0;
    for (Vcpu& v : kvm.vcpus) {
        const uint32_t from = v.dirty_ring->reset_index;
        const uint32_t n = dirty_ring_reset(
            *v.dirty_ring, [&](const ResetBatch& b) { kvm_reset_dirty_gfn(kvm, b, v.vcpu_id); });
        Event e{EventKind::RingReset};
        e.vcpu = v.vcpu_id;
        e.n = n;
        e.a = from;
        e.b = (uint64_t(dirty_ring_used(*v.dirty_ring)) << 32) | v.dirty_ring->reset_index;
        kvm.emit(e);
        cleared += n;
    }
    if (cleared)
        kvm_flush_remote_tlbs(kvm); // once for the whole reset
    return success(cleared, std::to_string(cleared) +
                                " harvested entries were reset and their pages re-armed, in "
                                "coalesced 64-page masks — kvm_dirty_ring_reset, "
                                "virt/kvm/dirty_ring.c");
}

KRet get_dirty_log(Kvm& kvm, uint32_t slot_number, BitmapWords* snapshot) {
    const char* at = " — kvm_get_dirty_log_protect, virt/kvm/kvm_main.c";
    snapshot->clear();
    Memslot* slot = nullptr;
    if (KRet r = lookup_bitmap_slot(kvm, slot_number, &slot, at); !r.ok())
        return r;
    if (!slot || !slot->dirty_bitmap)
        return no_bitmap(slot, slot_number, at);
    DirtyBitmap& bm = *slot->dirty_bitmap;
    bm.for_each_nonzero_word([&](uint64_t i, uint64_t w) { snapshot->emplace_back(i, w); });
    if (kvm.manual_dirty_log_protect)
        return success(0, "manual protect: the bitmap is returned as it is, nothing is cleared "
                          "or write-protected until KVM_CLEAR_DIRTY_LOG" +
                              std::string(at));
    for (auto [i, w] : *snapshot) {
        const uint64_t mask = bm.fetch_andnot(i, ~0ull); // xchg(word, 0)
        Event e{EventKind::BitmapTake};
        e.slot = slot_number;
        e.n = static_cast<uint32_t>(i); // a slot has at most 2^25 words
        e.b = mask;
        e.a = kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, *slot, i * 64, mask);
        kvm.emit(e);
    }
    if (!snapshot->empty())
        kvm_flush_remote_tlbs(kvm);
    return success(0, std::to_string(snapshot->size()) +
                          " dirty word(s) were taken and cleared, and their pages "
                          "write-protected again" +
                          at);
}

KRet clear_dirty_log(Kvm& kvm, uint32_t slot_number, uint64_t first_page, uint32_t num_pages,
                     const std::function<uint64_t(uint64_t)>& user_word) {
    const char* at = " — kvm_clear_dirty_log_protect, virt/kvm/kvm_main.c";
    Memslot* slot = nullptr;
    if (KRet r = lookup_bitmap_slot(kvm, slot_number, &slot, at); !r.ok())
        return r;
    if (first_page & 63)
        return fail(kEINVAL,
                    "first page " + std::to_string(first_page) + " is not a multiple of 64" + at);
    if (!slot || !slot->dirty_bitmap)
        return no_bitmap(slot, slot_number, at);
    const uint64_t npages = slot->npages;
    if (first_page > npages)
        return fail(kEINVAL, "first page " + std::to_string(first_page) + " is beyond the slot's " +
                                 std::to_string(npages) + " pages" + at);
    if (num_pages > npages - first_page)
        return fail(kEINVAL, std::to_string(num_pages) + " pages from " +
                                 std::to_string(first_page) + " run past the slot's " +
                                 std::to_string(npages) + " pages" + at);
    if (num_pages < npages - first_page && (num_pages & 63))
        return fail(kEINVAL, std::to_string(num_pages) +
                                 " pages is not a multiple of 64 and does not reach the slot's "
                                 "end" +
                                 at);
    DirtyBitmap& bm = *slot->dirty_bitmap;
    uint64_t cleared = 0;
    const uint64_t nwords = (uint64_t(num_pages) + 63) / 64;
    for (uint64_t k = 0; k < nwords; ++k) {
        uint64_t mask = user_word(k);
        if (!mask || !bm.word(first_page / 64 + k))
            continue;
        // Only bits that really were set are cleared and re-protected.
        mask = bm.fetch_andnot(first_page / 64 + k, mask);
        if (!mask)
            continue;
        Event e{EventKind::BitmapClear};
        e.slot = slot_number;
        e.n = static_cast<uint32_t>(first_page / 64 + k);
        e.b = mask;
        e.a = kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, *slot, first_page + k * 64, mask);
        kvm.emit(e);
        cleared += static_cast<uint64_t>(__builtin_popcountll(mask));
    }
    if (cleared)
        kvm_flush_remote_tlbs(kvm);
    return success(0, std::to_string(cleared) +
                          " set bit(s) were cleared and their pages write-protected again" + at);
}

void report_ioctl(Kvm& kvm, IoctlId id, const KRet& r, uint32_t slot = 0, uint64_t a = 0,
                  uint32_t n = 0) {
    Event e;
    e.slot = slot;
    e.a = a;
    e.n = n;
    kvm.emit_ioctl(id, e, r);
}

} // namespace

KRet kvm_vm_ioctl_reset_dirty_pages(Kvm& kvm) {
    KRet r = reset_dirty_pages(kvm);
    report_ioctl(kvm, IoctlId::ResetDirtyRings, r);
    return r;
}

KRet kvm_get_dirty_log_protect(Kvm& kvm, uint32_t slot_number, BitmapWords* snapshot) {
    KRet r = get_dirty_log(kvm, slot_number, snapshot);
    report_ioctl(kvm, IoctlId::GetDirtyLog, r, slot_number);
    return r;
}

KRet kvm_clear_dirty_log_protect(Kvm& kvm, uint32_t slot_number, uint64_t first_page,
                                 uint32_t num_pages,
                                 const std::function<uint64_t(uint64_t)>& user_word) {
    KRet r = clear_dirty_log(kvm, slot_number, first_page, num_pages, user_word);
    report_ioctl(kvm, IoctlId::ClearDirtyLog, r, slot_number, first_page, num_pages);
    return r;
}

} // namespace ringside
