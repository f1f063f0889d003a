// Dry runs: what a call would do, asked without changing anything. The VM is copied (cheaply,
// copy-on-write) and the call made on the copy.
#pragma once

#include "kvm.hpp"

#include <string>
#include <vector>

namespace ringside {

// What KVM_ENABLE_CAP(cap, args0, flags) would return now, and why.
KRet dry_enable_cap(const Kvm& kvm, uint32_t cap, uint64_t args0, uint32_t flags);

// One dirty-tracking capability: what checking it returns and what enabling it would return.
struct CapRow {
    std::string name;
    uint32_t number = 0;
    KRet check;
    uint64_t args0 = 0; // the argument the dry enable used
    KRet enable;
};

// The dirty-tracking capabilities of this VM as it is now.
std::vector<CapRow> capability_report(const Kvm& kvm);

// The same for a fresh VM of spec, and the outcome of enabling the ring and its bitmap in the
// order QEMU uses (DIRTY_LOG_RING, else DIRTY_LOG_RING_ACQ_REL; then WITH_BITMAP).
struct CapMatrix {
    std::vector<CapRow> fresh;
    std::vector<CapRow> qemu_order;
};
CapMatrix capability_matrix(const KernelConfig& config);

} // namespace ringside
