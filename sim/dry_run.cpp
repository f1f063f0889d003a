#include "dry_run.hpp"

#include <algorithm>

namespace ringside {

namespace {

// The argument a front end would try: a 64 KiB ring (4096 entries; the x86 PML reserve of 576
// entries needs at least 16 KiB), and every manual-protect option this arch has.
uint64_t typical_args0(const Kvm& kvm, uint32_t cap) {
    switch (cap) {
    case KVM_CAP_DIRTY_LOG_RING:
    case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
        return std::max<uint64_t>(65536, kvm.config.spec.page_size);
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
        return kvm.config.manual_caps;
    default:
        return 0;
    }
}

constexpr uint32_t kDirtyTrackingCaps[] = {
    KVM_CAP_DIRTY_LOG_RING,
    KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
    KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP,
    KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
};

CapRow row(const Kvm& kvm, uint32_t cap) {
    CapRow r;
    r.name = cap_name(cap);
    r.number = cap;
    Kvm quiet = kvm;
    quiet.events = nullptr;
    r.check = kvm_ioctl_check_extension(quiet, cap);
    r.args0 = typical_args0(kvm, cap);
    r.enable = kvm_vm_ioctl_enable_cap(quiet, cap, r.args0, 0);
    return r;
}

} // namespace

KRet dry_enable_cap(const Kvm& kvm, uint32_t cap, uint64_t args0, uint32_t flags) {
    Kvm copy = kvm;
    copy.events = nullptr;
    return kvm_vm_ioctl_enable_cap(copy, cap, args0, flags);
}

std::vector<CapRow> capability_report(const Kvm& kvm) {
    std::vector<CapRow> rows;
    for (uint32_t cap : kDirtyTrackingCaps)
        rows.push_back(row(kvm, cap));
    return rows;
}

CapMatrix capability_matrix(const KernelConfig& config) {
    CapMatrix m;
    Kvm kvm(config);
    m.fresh = capability_report(kvm);
    // QEMU's kvm_dirty_ring_init: the TSO ring if advertised, else ACQ_REL; then the bitmap.
    CapRow ring = row(kvm, KVM_CAP_DIRTY_LOG_RING);
    if (ring.check.value <= 0)
        ring = row(kvm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
    m.qemu_order.push_back(ring);
    if (ring.enable.ok())
        kvm_vm_ioctl_enable_cap(kvm, ring.number, ring.args0, 0);
    m.qemu_order.push_back(row(kvm, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP));
    return m;
}

} // namespace ringside
