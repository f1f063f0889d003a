// The userspace side: what a VMM (QEMU's kvm-reaper, the kernel selftest) does with the ring —
// collect entries in order from its own fetch index, mark them RESET, remember the pages.
#pragma once

#include "dirty_ring.hpp"
#include "events.hpp"

#include <cstdint>
#include <map>
#include <set>

namespace ringside {

struct Vmm {
    std::map<uint32_t, uint32_t> fetch_index;         // per vCPU id, free-running
    std::map<uint32_t, std::set<uint64_t>> harvested; // slot number → page offsets
};

// How userspace reads flags and writes RESET: acquire/release, or plain (wrong on arm64).
enum class HarvestOrder : uint8_t { AcqRel, Plain };

// kvm_dirty_ring_reap_one (QEMU) / dirty_ring_collect_one (selftest): collect up to max entries
// of one vCPU's ring, stopping at the first one KVM has not published as DIRTY.
uint64_t vmm_harvest_ring(Vmm& vmm, DirtyRing& ring, uint32_t vcpu_id, uint64_t max,
                          HarvestOrder order = HarvestOrder::AcqRel, EventSink* events = nullptr);

} // namespace ringside
