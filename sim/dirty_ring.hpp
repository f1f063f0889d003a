// The per-vCPU dirty ring (virt/kvm/dirty_ring.c, include/linux/kvm_dirty_ring.h): entries the
// kernel pushes, userspace harvests, and KVM_RESET_DIRTY_RINGS recycles.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace ringside {

inline constexpr uint32_t KVM_DIRTY_GFN_F_DIRTY = 1u << 0;
inline constexpr uint32_t KVM_DIRTY_GFN_F_RESET = 1u << 1;
inline constexpr uint32_t KVM_DIRTY_RING_RSVD_ENTRIES = 64;
inline constexpr uint32_t KVM_DIRTY_RING_MAX_ENTRIES = 65536;

// struct kvm_dirty_gfn, the 16 bytes shared with userspace.
struct DirtyGfn {
    uint32_t flags = 0;
    uint32_t slot = 0; // as_id << 16 | slot id
    uint64_t offset = 0;
};
static_assert(sizeof(DirtyGfn) == 16);

// The ring's entries live in chunks allocated on first write and shared copy-on-write between
// copies, so an idle ring costs nothing and a checkpoint of 64 vCPUs with 65536-entry rings
// costs pointers, not 64 MiB.
struct DirtyRing {
    static constexpr uint32_t kChunkEntries = 4096;
    std::vector<std::shared_ptr<std::vector<DirtyGfn>>> chunks; // null: all entries zero
    uint32_t size = 0;                                          // entries, a power of two
    uint32_t soft_limit = 0;                                    // size - reserved entries
    uint32_t dirty_index = 0;
    uint32_t reset_index = 0;

    // The entry a free-running index points at (index & (size - 1)).
    const DirtyGfn& entry(uint32_t index) const {
        static const DirtyGfn zero{};
        const uint32_t i = index & (size - 1);
        const auto& c = chunks[i / kChunkEntries];
        return c ? (*c)[i % kChunkEntries] : zero;
    }
    // For writing: the entry's chunk is allocated, and unshared from any copy of the ring.
    DirtyGfn& entry(uint32_t index) {
        const uint32_t i = index & (size - 1);
        auto& c = chunks[i / kChunkEntries];
        if (!c || c.use_count() > 1) // rare: once per chunk, and after a copy
            make_chunk_writable(c);
        return (*c)[i % kChunkEntries];
    }

    // For writing: the entries from index to the end of its chunk, at most n of them. A walk
    // over many entries (harvest, reset) looks up and unshares each chunk once, not each entry.
    std::span<DirtyGfn> writable_run(uint32_t index, uint32_t n) {
        const uint32_t i = index & (size - 1);
        DirtyGfn& first = entry(index);
        const uint32_t to_chunk_end = std::min(size, kChunkEntries) - i % kChunkEntries;
        return {&first, std::min(n, to_chunk_end)};
    }

  private:
    // Allocates a chunk never written, or copies one a copy of the ring still shares.
    void make_chunk_writable(std::shared_ptr<std::vector<DirtyGfn>>& c) const;
};

// kvm_dirty_ring_alloc: bytes / 16 entries; start is Ringside's start-index testing aid.
DirtyRing dirty_ring_alloc(uint32_t bytes, uint32_t rsvd_entries, uint32_t start = 0);
// kvm_dirty_ring_used: the free-running indices make this right across u32 wrap-around.
inline uint32_t dirty_ring_used(const DirtyRing& ring) {
    return ring.dirty_index - ring.reset_index;
}
// kvm_dirty_ring_soft_full
inline bool dirty_ring_soft_full(const DirtyRing& ring) {
    return dirty_ring_used(ring) >= ring.soft_limit;
}
// kvm_dirty_ring_full
inline bool dirty_ring_full(const DirtyRing& ring) {
    return dirty_ring_used(ring) >= ring.size;
}

// kvm_dirty_ring_push. Returns true when the kernel's WARN_ON_ONCE(full) fires; the entry at
// reset_index is then overwritten, as the kernel does.
inline bool dirty_ring_push(DirtyRing& ring, uint32_t slot, uint64_t offset) {
    const bool warn = dirty_ring_full(ring); // "It should never get full"
    DirtyGfn& e = ring.entry(ring.dirty_index);
    e.slot = slot;
    e.offset = offset;
    // smp_wmb(): slot and offset are visible before the flags that publish them.
    e.flags = KVM_DIRTY_GFN_F_DIRTY;
    ring.dirty_index++;
    return warn;
}

// kvm_dirty_gfn_harvested: the RESET bit, read with smp_load_acquire.
inline bool dirty_gfn_harvested(const DirtyGfn& gfn) {
    return gfn.flags & KVM_DIRTY_GFN_F_RESET;
}

// One coalesced batch of a reset: the pages offset + each set bit of mask in slot.
struct ResetBatch {
    uint32_t slot;
    uint64_t offset;
    uint64_t mask;
};

// kvm_dirty_ring_reset: walks the ring from reset_index over harvested entries, clears them,
// and hands each coalesced 64-page batch to rearm. Returns the number of entries reset.
template <class Rearm> uint32_t dirty_ring_reset(DirtyRing& ring, Rearm&& rearm);

// ---- template definition

template <class Rearm> uint32_t dirty_ring_reset(DirtyRing& ring, Rearm&& rearm) {
    uint32_t count = 0;
    ResetBatch cur{0, 0, 0}; // mask 0: nothing gathered yet
    // Each run of entries starts with a read-only look, so that a chunk a copy of the ring
    // shares is copied only when it holds an entry to reset.
    while (dirty_gfn_harvested(std::as_const(ring).entry(ring.reset_index))) {
        for (DirtyGfn& e : ring.writable_run(ring.reset_index, ring.size)) {
            if (!dirty_gfn_harvested(e))
                break;
            const uint32_t next_slot = e.slot;
            const uint64_t next_offset = e.offset;
            e.flags = 0; // kvm_dirty_gfn_set_invalid, a store-release
            ring.reset_index++;
            count++;
            // Coalesce while userspace walks pages of one slot: an entry within 64 pages above
            // the base joins the mask; one below moves the base down if no set bit falls off
            // the top.
            if (cur.mask && next_slot == cur.slot) {
                const int64_t delta = static_cast<int64_t>(next_offset - cur.offset);
                if (delta >= 0 && delta < 64) {
                    cur.mask |= 1ull << delta;
                    continue;
                }
                if (delta > -64 && delta < 0 && ((cur.mask << -delta) >> -delta) == cur.mask) {
                    cur.offset = next_offset;
                    cur.mask = (cur.mask << -delta) | 1;
                    continue;
                }
            }
            if (cur.mask)
                rearm(cur);
            cur = {next_slot, next_offset, 1};
        }
    }
    if (cur.mask)
        rearm(cur);
    return count;
}

} // namespace ringside
