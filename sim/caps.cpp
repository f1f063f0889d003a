// KVM_CHECK_EXTENSION and KVM_ENABLE_CAP on the VM for the dirty-tracking capabilities
// (virt/kvm/kvm_main.c: kvm_vm_ioctl_check_extension_generic, kvm_vm_ioctl_enable_cap_generic,
// kvm_vm_ioctl_enable_dirty_log_ring).
#include "kvm.hpp"

namespace ringside {

namespace {

constexpr int64_t kMaxRingBytes = int64_t(KVM_DIRTY_RING_MAX_ENTRIES) * sizeof(DirtyGfn);

bool kvm_are_all_memslots_empty(const Kvm& kvm) {
    for (const Memslots& as : kvm.memslots)
        if (!as.empty())
            return false;
    return true;
}

// kvm_vm_ioctl_enable_dirty_log_ring: the size checks, then once per VM, before any vCPU.
KRet kvm_vm_ioctl_enable_dirty_log_ring(Kvm& kvm, uint32_t size) {
    const KernelConfig& c = kvm.config;
    if (!c.dirty_log_page_offset)
        return fail(kEINVAL, "this kernel has no dirty ring: KVM_DIRTY_LOG_PAGE_OFFSET is 0 "
                             "— kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c");
    if (!size || (size & (size - 1)))
        return fail(kEINVAL, "the ring size must be a power of two and not 0 "
                             "— kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c");
    if (size < uint64_t(c.rsvd_entries()) * sizeof(DirtyGfn) || size < c.spec.page_size)
        return fail(kEINVAL, "the ring is smaller than its reserved entries × 16 bytes, or "
                             "smaller than a page "
                             "— kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c");
    if (size > kMaxRingBytes)
        return fail(kE2BIG, "the ring is larger than 65536 entries × 16 bytes "
                            "— kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c");
    if (kvm.dirty_ring_size)
        return fail(kEINVAL, "a ring size is already set: it can be set only once "
                             "— kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c");
    if (kvm.created_vcpus)
        return fail(kEINVAL, "a vCPU already exists: the ring must be sized before vCPUs "
                             "— kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c");
    kvm.dirty_ring_size = size;
    return success(0, "the ring size is set; each vCPU created from now on gets a ring "
                      "— kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c");
}

KRet enable_dirty_log_ring_with_bitmap(Kvm& kvm, uint32_t flags) {
    const KernelConfig& c = kvm.config;
    if (!c.need_dirty_ring_with_bitmap || !kvm.dirty_ring_size || flags)
        return fail(kEINVAL, "WITH_BITMAP needs an arch that needs it, a ring size already "
                             "set, and flags 0 — kvm_vm_ioctl_enable_cap_generic, "
                             "virt/kvm/kvm_main.c");
    if (!kvm_are_all_memslots_empty(kvm))
        return fail(kEINVAL, "a memslot exists: WITH_BITMAP must come before any memslot so "
                             "every logging slot gets a bitmap — kvm_vm_ioctl_enable_cap_generic, "
                             "virt/kvm/kvm_main.c");
    kvm.dirty_ring_with_bitmap = true;
    return success(0, "the ring now has a backup bitmap for writes without a running vCPU "
                      "— kvm_vm_ioctl_enable_cap_generic, virt/kvm/kvm_main.c");
}

KRet enable_manual_dirty_log_protect(Kvm& kvm, uint64_t args0, uint32_t flags) {
    // INITIALLY_SET is only allowed together with PROTECT_ENABLE.
    uint64_t allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
    if (args0 & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
        allowed = kvm.config.manual_caps;
    if (flags || (args0 & ~allowed))
        return fail(kEINVAL, "flags must be 0 and args[0] a supported mix of PROTECT_ENABLE and "
                             "INITIALLY_SET — kvm_vm_ioctl_enable_cap_generic, "
                             "virt/kvm/kvm_main.c");
    kvm.manual_dirty_log_protect = args0;
    return success(0, "manual dirty-log protection updated — kvm_vm_ioctl_enable_cap_generic, "
                      "virt/kvm/kvm_main.c");
}

} // namespace

int64_t kvm_vm_ioctl_check_extension(const Kvm& kvm, uint64_t cap) {
    const KernelConfig& c = kvm.config;
    switch (cap) {
    case KVM_CAP_USER_MEMORY:
        return 1;
    case KVM_CAP_NR_MEMSLOTS:
        return c.user_mem_slots;
    case KVM_CAP_MULTI_ADDRESS_SPACE:
        return c.address_spaces > 1 ? c.address_spaces : 0;
    case KVM_CAP_MAX_VCPUS:
        return c.max_vcpus;
    case KVM_CAP_MAX_VCPU_ID:
        return c.max_vcpu_ids;
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
        return static_cast<int64_t>(c.manual_caps);
    case KVM_CAP_DIRTY_LOG_RING:
        return c.have_dirty_ring_tso ? kMaxRingBytes : 0;
    case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
        return c.have_dirty_ring_acq_rel ? kMaxRingBytes : 0;
    case KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP:
        return c.need_dirty_ring_with_bitmap ? 1 : 0;
    default:
        return 0;
    }
}

KRet kvm_vm_ioctl_enable_cap(Kvm& kvm, uint32_t cap, uint64_t args0, uint32_t flags) {
    const KernelConfig& c = kvm.config;
    switch (cap) {
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
        return enable_manual_dirty_log_protect(kvm, args0, flags);
    case KVM_CAP_DIRTY_LOG_RING:
    case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
        // The ACQ_REL capability is unknown before 6.1, and the ring one before 5.11.
        if (cap == KVM_CAP_DIRTY_LOG_RING_ACQ_REL && c.spec.version < Version{6, 1})
            break;
        if (cap == KVM_CAP_DIRTY_LOG_RING && c.spec.version < Version{5, 11})
            break;
        // The seed's fix (6.1): enable only the flavour of ring this kernel advertises.
        if (c.ring_cap_check && !kvm_vm_ioctl_check_extension(kvm, cap))
            return fail(kEINVAL, "this kernel does not advertise this ring capability (checking "
                                 "it returns 0) — kvm_vm_ioctl_enable_cap_generic, "
                                 "virt/kvm/kvm_main.c");
        // Only the low 32 bits of args[0] are the size; cap->flags is never checked.
        return kvm_vm_ioctl_enable_dirty_log_ring(kvm, static_cast<uint32_t>(args0));
    case KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP:
        if (!c.knows_with_bitmap_cap)
            break;
        return enable_dirty_log_ring_with_bitmap(kvm, flags);
    default:
        break;
    }
    return fail(kEINVAL, "this kernel does not know this capability or cannot enable it on a VM "
                         "— kvm_vm_ioctl_enable_cap, arch/*/kvm");
}

bool kvm_use_dirty_bitmap(const Kvm& kvm) {
    return !kvm.dirty_ring_size || kvm.dirty_ring_with_bitmap;
}

bool kvm_dirty_log_manual_protect_and_init_set(const Kvm& kvm) {
    return kvm.manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET;
}

} // namespace ringside
