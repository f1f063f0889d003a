#include "dirty_ring.hpp"

#include <algorithm>

namespace ringside {

DirtyRing dirty_ring_alloc(uint32_t bytes, uint32_t rsvd_entries, uint32_t start) {
    DirtyRing r;
    r.size = bytes / sizeof(DirtyGfn);
    r.chunks.resize((r.size + DirtyRing::kChunkEntries - 1) / DirtyRing::kChunkEntries);
    r.soft_limit = r.size - rsvd_entries;
    r.dirty_index = start;
    r.reset_index = start;
    return r;
}

uint32_t dirty_ring_used(const DirtyRing& ring) {
    return ring.dirty_index - ring.reset_index;
}

bool dirty_ring_soft_full(const DirtyRing& ring) {
    return dirty_ring_used(ring) >= ring.soft_limit;
}

bool dirty_ring_full(const DirtyRing& ring) {
    return dirty_ring_used(ring) >= ring.size;
}

bool dirty_ring_push(DirtyRing& ring, uint32_t slot, uint64_t offset) {
    const bool warn = dirty_ring_full(ring); // "It should never get full"
    DirtyGfn& e = ring.entry(ring.dirty_index);
    e.slot = slot;
    e.offset = offset;
    // smp_wmb(): slot and offset are visible before the flags that publish them.
    e.flags = KVM_DIRTY_GFN_F_DIRTY;
    ring.dirty_index++;
    return warn;
}

} // namespace ringside
