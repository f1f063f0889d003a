#include "vmm.hpp"

namespace ringside {

void PageSet::insert(uint64_t off) {
    auto& c = chunks_[off / 4096];
    if (!c)
        c = std::make_shared<std::array<uint64_t, 64>>();
    else if (c.use_count() > 1)
        c = std::make_shared<std::array<uint64_t, 64>>(*c); // copy on write
    (*c)[(off % 4096) / 64] |= 1ull << (off % 64);
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
    while (count < max && count < ring.size) {
        DirtyGfn& e = ring.entry(fetch);
        if (!(e.flags & KVM_DIRTY_GFN_F_DIRTY)) // load-acquire of flags
            break;
        vmm.harvested[e.slot].insert(e.offset);
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
    return count;
}

} // namespace ringside
