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

void DirtyRing::make_chunk_writable(std::shared_ptr<std::vector<DirtyGfn>>& c) const {
    if (!c)
        c = std::make_shared<std::vector<DirtyGfn>>(std::min(size, kChunkEntries));
    else if (c.use_count() > 1)
        c = std::make_shared<std::vector<DirtyGfn>>(*c); // copy on write
}

} // namespace ringside
