#include "vmm.hpp"

namespace ringside {

uint64_t vmm_harvest_ring(Vmm& vmm, DirtyRing& ring, uint32_t vcpu_id, uint64_t max,
                          HarvestOrder order, EventSink* events) {
    (void)order; // a sequential run cannot tell the two apart; the ordering model can
    uint32_t& fetch = vmm.fetch_index[vcpu_id];
    uint64_t count = 0;
    while (count < max && count < ring.size) {
        DirtyGfn& e = ring.entry(fetch);
        if (!(e.flags & KVM_DIRTY_GFN_F_DIRTY)) // load-acquire of flags
            break;
        vmm.harvested[e.slot].insert(e.offset);
        e.flags = KVM_DIRTY_GFN_F_RESET; // store-release: "collected, KVM may reset it"
        if (events) {
            Event ev{EventKind::Harvest, uint8_t(order)};
            ev.vcpu = vcpu_id;
            ev.slot = e.slot;
            ev.a = e.offset;
            ev.n = fetch;
            events->emit(ev, {});
        }
        fetch++;
        count++;
    }
    return count;
}

} // namespace ringside
