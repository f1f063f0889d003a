#include "vmm.hpp"

#include <algorithm>
#include <utility>

namespace ringside {

void PageSet::insert_in_other_chunk(uint64_t off) {
    auto it = chunks_.lower_bound(off / 4096);
    if (it == chunks_.end() || it->first != off / 4096)
        it = chunks_.emplace_hint(it, off / 4096, std::make_shared<Chunk>());
    else if (it->second.use_count() > 1)
        it->second = std::make_shared<Chunk>(*it->second); // copy on write
    hot_ = it->second.get();
    hot_index_ = off / 4096;
    (*hot_)[(off % 4096) / 64] |= 1ull << (off % 64);
}

bool PageSet::contains(uint64_t off) const {
    auto it = chunks_.find(off / 4096);
    return it != chunks_.end() && ((*it->second)[(off % 4096) / 64] >> (off % 64) & 1);
}

uint64_t PageSet::size() const {
    uint64_t n = 0;
    for (const auto& [ci, c] : chunks_)
        for (uint64_t w : *c)
            n += static_cast<uint64_t>(__builtin_popcountll(w));
    return n;
}

uint64_t vmm_harvest_ring(Vmm& vmm, DirtyRing& ring, uint32_t vcpu_id, uint64_t max,
                          HarvestOrder order, EventSink* events) {
    uint32_t& fetch = vmm.fetch_index[vcpu_id];
    uint64_t count = 0;
    uint32_t last_slot = 0;
    PageSet* pages = nullptr; // the set of last_slot: entries come in runs of one slot
    const uint64_t limit = std::min<uint64_t>(max, ring.size);
    // Each run of entries starts with a read-only look, so that a chunk a copy of the ring
    // shares is copied only when it holds an entry to collect.
    while (count < limit && std::as_const(ring).entry(fetch).flags & KVM_DIRTY_GFN_F_DIRTY) {
        for (DirtyGfn& e : ring.writable_run(fetch, uint32_t(limit - count))) {
            if (!(e.flags & KVM_DIRTY_GFN_F_DIRTY)) // load-acquire
                break;
            if (!pages || e.slot != last_slot) {
                last_slot = e.slot;
                pages = &vmm.harvested[e.slot];
            }
            pages->insert(e.offset);
            e.flags = KVM_DIRTY_GFN_F_RESET; // store-release: "collected, KVM may reset it"
            fetch++;
            count++;
            if (events) { // reported once the entry is fully collected
                Event ev{EventKind::Harvest, uint8_t(order)};
                ev.vcpu = vcpu_id;
                ev.slot = e.slot;
                ev.a = e.offset;
                ev.n = fetch - 1;
                events->emit(ev, {});
            }
        }
    }
    return count;
}

} // namespace ringside
