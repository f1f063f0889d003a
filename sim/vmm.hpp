// The userspace side: what a VMM (QEMU's kvm-reaper, the kernel selftest) does with the ring —
// collect entries in order from its own fetch index, mark them RESET, remember the pages.
#pragma once

#include "dirty_ring.hpp"
#include "events.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>

namespace ringside {

// A set of page offsets in 4096-page chunks shared copy-on-write, so that copying what a VMM
// collected from a 16 GiB guest costs a few pointers.
class PageSet {
  public:
    PageSet() = default;
    // A copy shares every chunk, so neither side may keep writing its hot chunk in place.
    PageSet(const PageSet& o) : chunks_(o.chunks_) { o.hot_ = nullptr; }
    PageSet& operator=(const PageSet& o) {
        chunks_ = o.chunks_;
        hot_ = o.hot_ = nullptr;
        return *this;
    }
    PageSet(PageSet&&) = default;
    PageSet& operator=(PageSet&&) = default;
    void insert(uint64_t off) {
        if (hot_ && hot_index_ == off / 4096) // the common case: a run of nearby pages
            (*hot_)[(off % 4096) / 64] |= 1ull << (off % 64);
        else
            insert_in_other_chunk(off);
    }
    bool contains(uint64_t off) const;
    bool empty() const { return chunks_.empty(); }
    uint64_t size() const;
    // Calls f(off) for each member, ascending.
    template <class F> void for_each(F&& f) const {
        for (const auto& [ci, c] : chunks_)
            for (uint64_t w = 0; w < c->size(); ++w)
                for (uint64_t m = (*c)[w]; m; m &= m - 1)
                    f(ci * 4096 + w * 64 + static_cast<uint64_t>(__builtin_ctzll(m)));
    }

  private:
    using Chunk = std::array<uint64_t, 64>;
    // Finds or creates off's chunk, unshares it, and makes it the hot chunk.
    void insert_in_other_chunk(uint64_t off);
    std::map<uint64_t, std::shared_ptr<Chunk>> chunks_;
    mutable Chunk* hot_ = nullptr; // the chunk last written, known to be unshared
    uint64_t hot_index_ = 0;
};

struct Vmm {
    std::map<uint32_t, uint32_t> fetch_index; // per vCPU id, free-running
    std::map<uint32_t, PageSet> harvested;    // slot number → page offsets collected
};

// How userspace reads flags and writes RESET: acquire/release, or plain (wrong on arm64).
enum class HarvestOrder : uint8_t { AcqRel, Plain };

// kvm_dirty_ring_reap_one (QEMU) / dirty_ring_collect_one (selftest): collect up to max entries
// of one vCPU's ring, stopping at the first one KVM has not published as DIRTY.
uint64_t vmm_harvest_ring(Vmm& vmm, DirtyRing& ring, uint32_t vcpu_id, uint64_t max,
                          HarvestOrder order = HarvestOrder::AcqRel, EventSink* events = nullptr);

} // namespace ringside
