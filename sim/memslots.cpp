#include "memslots.hpp"

#include <algorithm>

namespace ringside {

// ---- PageStates

PageStates::PageStates(uint64_t npages)
    : npages_(npages), chunks_((npages + kChunkPages - 1) / kChunkPages) {}

PageStates::Chunk* PageStates::chunk(uint64_t off) {
    auto& c = chunks_[off / kChunkPages];
    if (!c)
        c = std::make_shared<Chunk>();
    else if (c.use_count() > 1)
        c = std::make_shared<Chunk>(*c); // copy on write: a checkpoint still holds it
    return c.get();
}

void PageStates::set_mapping(uint64_t off, Mapping m) {
    Chunk* c = chunk(off);
    uint8_t& b = c->bits[off % kChunkPages];
    const auto old = static_cast<Mapping>(b & 3);
    c->mapped += (m != Mapping::Unmapped) - (old != Mapping::Unmapped);
    c->writable += (m == Mapping::Writable) - (old == Mapping::Writable);
    b = static_cast<uint8_t>((b & ~3u) | static_cast<uint8_t>(m));
}

void PageStates::set_populated(uint64_t off) {
    chunk(off)->bits[off % kChunkPages] |= 4;
}

void PageStates::unmap_all() {
    for (uint64_t ci = 0; ci < chunks_.size(); ++ci) {
        if (!chunks_[ci] || chunks_[ci]->mapped == 0)
            continue;
        Chunk* c = chunk(ci * kChunkPages);
        for (auto& b : c->bits)
            b &= ~3u;
        c->mapped = c->writable = 0;
    }
}

// ---- DirtyBitmap

DirtyBitmap::DirtyBitmap(uint64_t npages, bool all_set)
    : npages_(npages), all_set_(all_set), chunks_((words() + kChunkWords - 1) / kChunkWords) {}

uint64_t DirtyBitmap::valid_mask(uint64_t i) const {
    const uint64_t first = i * 64;
    const uint64_t n = npages_ - first;
    return n >= 64 ? ~0ull : (1ull << n) - 1;
}

DirtyBitmap::Chunk& DirtyBitmap::materialize(uint64_t ci) {
    auto& c = chunks_[ci];
    if (c && c.use_count() > 1)
        c = std::make_shared<Chunk>(*c); // copy on write
    if (!c) {
        c = std::make_shared<Chunk>();
        for (uint64_t k = 0; k < kChunkWords; ++k) {
            const uint64_t i = ci * kChunkWords + k;
            (*c)[k] = (all_set_ && i < words()) ? valid_mask(i) : 0;
        }
    }
    return *c;
}

uint64_t DirtyBitmap::word(uint64_t i) const {
    const Chunk* c = chunks_[i / kChunkWords].get();
    if (!c)
        return all_set_ ? valid_mask(i) : 0;
    return (*c)[i % kChunkWords];
}

bool DirtyBitmap::test(uint64_t off) const {
    return (word(off / 64) >> (off % 64)) & 1;
}

void DirtyBitmap::set(uint64_t off) {
    materialize(off / 64 / kChunkWords)[(off / 64) % kChunkWords] |= 1ull << (off % 64);
}

uint64_t DirtyBitmap::fetch_andnot(uint64_t i, uint64_t mask) {
    uint64_t& w = materialize(i / kChunkWords)[i % kChunkWords];
    const uint64_t was = w & mask;
    w &= ~mask;
    return was;
}

} // namespace ringside
