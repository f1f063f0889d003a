// Memslots, their pages and their dirty bitmaps (virt/kvm/kvm_main.c: __kvm_set_memory_region,
// kvm_prepare_memory_region, kvm_alloc_dirty_bitmap). A slot may hold up to 2^31-1 pages, so
// page state and bitmap live in chunks allocated on first use: an untouched chunk costs nothing.
// Chunks are shared between copies and copied on write, so a checkpoint of a whole VM costs a
// few pointers per chunk.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace ringside {

inline constexpr uint32_t KVM_MEM_LOG_DIRTY_PAGES = 1u << 0;
inline constexpr uint32_t KVM_MEM_READONLY = 1u << 1;
inline constexpr uint64_t KVM_MEM_MAX_NR_PAGES = (1ull << 31) - 1;

// How the second-stage page table maps one guest page.
enum class Mapping : uint8_t {
    Unmapped = 0,      // the next access faults
    ReadOnly = 1,      // write-protected (dirty logging) or read-only (zero page, read fault)
    WritableClean = 2, // x86 PML arming: writable, dirty bit clear; a write is logged by the CPU
    Writable = 3,      // writable and dirty: writes are not seen by KVM
};

inline constexpr uint64_t kChunkPages = 4096;

// Per-page mapping and whether the VMM's memory behind the page was ever written.
class PageStates {
  public:
    explicit PageStates(uint64_t npages = 0);

    Mapping mapping(uint64_t off) const;
    void set_mapping(uint64_t off, Mapping m);
    bool populated(uint64_t off) const;
    void set_populated(uint64_t off);
    // Every page of the chunk holding off is Writable: writes there need no work.
    bool chunk_all_writable(uint64_t off) const;
    // Every page of the chunk holding off is mapped: reads there need no work.
    bool chunk_all_mapped(uint64_t off) const;
    // Some page of the chunk holding off is Writable.
    bool chunk_any_writable(uint64_t off) const;
    // Forget every mapping (kvm_arch_flush_shadow_memslot); memory stays populated.
    void unmap_all();
    // Calls f(off) for each page whose mapping is not Unmapped, in order.
    template <class F> void for_each_mapped(F&& f) const;
    // Calls f(first, last, mapping) for ascending runs of pages that share a mapping.
    template <class F> void for_each_range(F&& f) const;

  private:
    struct Chunk {
        std::array<uint8_t, kChunkPages> bits{}; // mapping in bits 0-1, populated in bit 2
        uint32_t mapped = 0;
        uint32_t writable = 0;
    };
    Chunk* chunk(uint64_t off); // for writing: allocated, and unshared
    const Chunk* chunk(uint64_t off) const { return chunks_[off / kChunkPages].get(); }
    uint64_t pages_in_chunk(uint64_t off) const {
        return std::min(kChunkPages, npages_ - off / kChunkPages * kChunkPages);
    }
    uint64_t npages_;
    std::vector<std::shared_ptr<Chunk>> chunks_;
};

// A slot's dirty bitmap, rounded up to 64 pages (kvm_dirty_bitmap_bytes).
class DirtyBitmap {
  public:
    DirtyBitmap(uint64_t npages, bool all_set);

    uint64_t npages() const { return npages_; }
    uint64_t words() const { return (npages_ + 63) / 64; }
    bool test(uint64_t off) const;
    void set(uint64_t off);
    uint64_t word(uint64_t i) const;
    // Atomically clears the bits of mask in word i and returns those that were set.
    uint64_t fetch_andnot(uint64_t i, uint64_t mask);
    // Calls f(i, word) for each non-zero word, in order.
    template <class F> void for_each_nonzero_word(F&& f) const;

  private:
    static constexpr uint64_t kChunkWords = kChunkPages / 64;
    using Chunk = std::array<uint64_t, kChunkWords>;
    uint64_t valid_mask(uint64_t i) const;
    Chunk& materialize(uint64_t ci); // for writing: allocated, and unshared
    uint64_t npages_;
    bool all_set_; // the value of every word of a chunk not yet materialised
    std::vector<std::shared_ptr<Chunk>> chunks_;
};

struct Memslot {
    uint16_t as_id = 0;
    uint16_t id = 0;
    uint64_t base_gfn = 0;
    uint64_t npages = 0;
    uint32_t flags = 0;
    std::optional<DirtyBitmap> dirty_bitmap; // kept across a move or flag change
    PageStates pages;                        // host memory and mappings

    uint32_t slot_number() const { return (uint32_t(as_id) << 16) | id; } // kvm_dirty_gfn.slot
    bool dirty_track_enabled() const {
        return flags & KVM_MEM_LOG_DIRTY_PAGES;
    } // kvm_slot_dirty_track_enabled
    bool readonly() const { return flags & KVM_MEM_READONLY; }
    bool contains(uint64_t gfn) const { return gfn >= base_gfn && gfn - base_gfn < npages; }
};

// One address space's slots by id (struct kvm_memslots).
using Memslots = std::map<uint16_t, Memslot>;

// ---- inline definitions: the readers every guest access goes through

inline Mapping PageStates::mapping(uint64_t off) const {
    const Chunk* c = chunk(off);
    return c ? static_cast<Mapping>(c->bits[off % kChunkPages] & 3) : Mapping::Unmapped;
}

inline bool PageStates::populated(uint64_t off) const {
    const Chunk* c = chunk(off);
    return c && (c->bits[off % kChunkPages] & 4);
}

inline bool PageStates::chunk_all_writable(uint64_t off) const {
    const Chunk* c = chunk(off);
    return c && c->writable == pages_in_chunk(off);
}

inline bool PageStates::chunk_any_writable(uint64_t off) const {
    const Chunk* c = chunk(off);
    return c && c->writable > 0;
}

inline bool PageStates::chunk_all_mapped(uint64_t off) const {
    const Chunk* c = chunk(off);
    return c && c->mapped == pages_in_chunk(off);
}

// ---- template definitions

template <class F> void PageStates::for_each_mapped(F&& f) const {
    for (uint64_t ci = 0; ci < chunks_.size(); ++ci) {
        const Chunk* c = chunks_[ci].get();
        if (!c || c->mapped == 0)
            continue;
        for (uint64_t i = 0; i < kChunkPages; ++i)
            if (c->bits[i] & 3)
                f(ci * kChunkPages + i);
    }
}

template <class F> void PageStates::for_each_range(F&& f) const {
    for (uint64_t ci = 0; ci < chunks_.size(); ++ci) {
        const uint64_t first = ci * kChunkPages;
        const uint64_t n = std::min(kChunkPages, npages_ - first);
        const Chunk* c = chunks_[ci].get();
        if (!c || c->mapped == 0) {
            f(first, first + n - 1, Mapping::Unmapped);
            continue;
        }
        if (c->writable == n) {
            f(first, first + n - 1, Mapping::Writable);
            continue;
        }
        for (uint64_t i = 0; i < n; ++i)
            f(first + i, first + i, static_cast<Mapping>(c->bits[i] & 3));
    }
}

template <class F> void DirtyBitmap::for_each_nonzero_word(F&& f) const {
    for (uint64_t i = 0; i < words(); ++i) {
        const Chunk* c = chunks_[i / kChunkWords].get();
        if (!c && !all_set_) {
            i = (i / kChunkWords + 1) * kChunkWords - 1; // skip the untouched chunk
            continue;
        }
        const uint64_t w = word(i);
        if (w)
            f(i, w);
    }
}

} // namespace ringside
