#include "vmm.hpp"

namespace ringside {

uint64_t vmm_harvest_ring(Vmm& vmm, DirtyRing& ring, uint32_t vcpu_id, uint64_t max,
                          HarvestOrder order) {
    (void)order; // a sequential run cannot tell the two apart; the ordering model can
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
    }
    return count;
}

} // namespace ringside
