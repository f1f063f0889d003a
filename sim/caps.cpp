// KVM_CHECK_EXTENSION and KVM_ENABLE_CAP on the VM for the dirty-tracking capabilities
// (virt/kvm/kvm_main.c: kvm_vm_ioctl_check_extension_generic, kvm_vm_ioctl_enable_cap_generic,
// kvm_vm_ioctl_enable_dirty_log_ring).
#include "kvm.hpp"

#include <string>

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
    const std::string at = " — kvm_vm_ioctl_enable_dirty_log_ring, virt/kvm/kvm_main.c";
    const std::string sz = "ring size " + std::to_string(size);
    if (!c.dirty_log_page_offset)
        return fail(kEINVAL, "this kernel has no dirty ring: KVM_DIRTY_LOG_PAGE_OFFSET is 0 on " +
                                 std::string(arch_name(c.spec.arch)) + " " +
                                 version_name(c.spec.version) + at);
    if (!size || (size & (size - 1)))
        return fail(kEINVAL, sz + " is not a power of two" + at);
    const uint64_t rsvd_bytes = uint64_t(c.rsvd_entries()) * sizeof(DirtyGfn);
    if (size < rsvd_bytes)
        return fail(kEINVAL, sz + " is smaller than the " + std::to_string(c.rsvd_entries()) +
                                 " reserved entries × 16 bytes (" + std::to_string(rsvd_bytes) +
                                 ")" + at);
    if (size < c.spec.page_size)
        return fail(kEINVAL, sz + " is smaller than a page (" + std::to_string(c.spec.page_size) +
                                 " bytes)" + at);
    if (size > kMaxRingBytes)
        return fail(kE2BIG, sz + " is larger than 65536 entries × 16 bytes (1048576)" + at);
    if (kvm.dirty_ring_size)
        return fail(kEINVAL, "a ring size (" + std::to_string(kvm.dirty_ring_size) +
                                 ") is already set: it can be set only once" + at);
    if (kvm.created_vcpus)
        return fail(kEINVAL, std::to_string(kvm.created_vcpus) +
                                 " vCPU(s) already exist: the ring must be sized before any vCPU" +
                                 at);
    kvm.dirty_ring_size = size;
    return success(0, sz + " (" + std::to_string(size / sizeof(DirtyGfn)) +
                          " entries, soft limit " +
                          std::to_string(size / sizeof(DirtyGfn) - c.rsvd_entries()) +
                          ") is set; each vCPU created from now on gets a ring" + at);
}

KRet enable_dirty_log_ring_with_bitmap(Kvm& kvm, uint32_t flags) {
    const KernelConfig& c = kvm.config;
    const char* at = " — kvm_vm_ioctl_enable_cap_generic, virt/kvm/kvm_main.c";
    if (!c.need_dirty_ring_with_bitmap)
        return fail(kEINVAL, std::string(arch_name(c.spec.arch)) +
                                 " does not need a bitmap beside the ring "
                                 "(NEED_KVM_DIRTY_RING_WITH_BITMAP is arm64 only)" +
                                 at);
    if (!kvm.dirty_ring_size)
        return fail(kEINVAL, std::string("no ring size is set yet: enable DIRTY_LOG_RING_ACQ_REL "
                                         "first") +
                                 at);
    if (flags)
        return fail(kEINVAL, "flags must be 0, not " + std::to_string(flags) + at);
    if (!kvm_are_all_memslots_empty(kvm))
        return fail(kEINVAL, std::string("a memslot exists: WITH_BITMAP must come before any "
                                         "memslot, so that every logging slot gets a bitmap") +
                                 at);
    kvm.dirty_ring_with_bitmap = true;
    return success(0, "the ring now has a backup bitmap for writes without a running vCPU "
                      "— kvm_vm_ioctl_enable_cap_generic, virt/kvm/kvm_main.c");
}

KRet enable_manual_dirty_log_protect(Kvm& kvm, uint64_t args0, uint32_t flags) {
    // INITIALLY_SET is only allowed together with PROTECT_ENABLE.
    uint64_t allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
    if (args0 & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
        allowed = kvm.config.manual_caps;
    const char* at = " — kvm_vm_ioctl_enable_cap_generic, virt/kvm/kvm_main.c";
    if (flags)
        return fail(kEINVAL, "flags must be 0, not " + std::to_string(flags) + at);
    if (args0 & ~allowed)
        return fail(kEINVAL, "args[0] " + std::to_string(args0) + " has bits outside the allowed " +
                                 std::to_string(allowed) +
                                 (args0 & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
                                      ? std::string(" (KVM_DIRTY_LOG_MANUAL_CAPS)")
                                      : std::string(" (INITIALLY_SET needs PROTECT_ENABLE)")) +
                                 at);
    kvm.manual_dirty_log_protect = args0;
    return success(0, "manual dirty-log protection updated — kvm_vm_ioctl_enable_cap_generic, "
                      "virt/kvm/kvm_main.c");
}

} // namespace

const std::vector<std::pair<std::string_view, uint32_t>>& capability_table() {
    static const std::vector<std::pair<std::string_view, uint32_t>> table = {
        {"DIRTY_LOG_RING", KVM_CAP_DIRTY_LOG_RING},
        {"DIRTY_LOG_RING_ACQ_REL", KVM_CAP_DIRTY_LOG_RING_ACQ_REL},
        {"DIRTY_LOG_RING_WITH_BITMAP", KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP},
        {"MANUAL_DIRTY_LOG_PROTECT2", KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2},
        {"NR_MEMSLOTS", KVM_CAP_NR_MEMSLOTS},
        {"MULTI_ADDRESS_SPACE", KVM_CAP_MULTI_ADDRESS_SPACE},
        {"MAX_VCPUS", KVM_CAP_MAX_VCPUS},
        {"MAX_VCPU_ID", KVM_CAP_MAX_VCPU_ID},
        {"USER_MEMORY", KVM_CAP_USER_MEMORY},
    };
    return table;
}

std::string cap_name(uint64_t cap) {
    for (auto [name, num] : capability_table())
        if (num == cap)
            return std::string(name);
    return std::to_string(cap);
}

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

namespace {

// kvm_vm_ioctl_enable_cap_generic, falling back to the arch's kvm_vm_ioctl_enable_cap.
KRet enable_cap_generic(Kvm& kvm, uint32_t cap, uint64_t args0, uint32_t flags) {
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
            return fail(kEINVAL,
                        std::string(cap == KVM_CAP_DIRTY_LOG_RING ? "DIRTY_LOG_RING"
                                                                  : "DIRTY_LOG_RING_ACQ_REL") +
                            " is not advertised by this kernel (checking it returns 0), "
                            "and since 6.1 only an advertised ring can be enabled — "
                            "kvm_vm_ioctl_enable_cap_generic, virt/kvm/kvm_main.c");
        // Only the low 32 bits of args[0] are the size; cap->flags is never checked.
        return kvm_vm_ioctl_enable_dirty_log_ring(kvm, static_cast<uint32_t>(args0));
    case KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP:
        if (!c.knows_with_bitmap_cap)
            break;
        return enable_dirty_log_ring_with_bitmap(kvm, flags);
    default:
        break;
    }
    const std::string name = cap_name(cap);
    return fail(kEINVAL, (name[0] >= '0' && name[0] <= '9' ? "capability " : "") + name +
                             " is unknown to Linux " + version_name(c.spec.version) + " on " +
                             std::string(arch_name(c.spec.arch)) +
                             ", or cannot be enabled on a VM — kvm_vm_ioctl_enable_cap, arch/" +
                             (c.spec.arch == Arch::X86_64  ? "x86/kvm/x86.c"
                              : c.spec.arch == Arch::Arm64 ? "arm64/kvm/arm.c"
                              : c.spec.arch == Arch::RiscV ? "riscv/kvm/vm.c"
                                                           : "loongarch/kvm/vm.c"));
}

const char* check_why(const Kvm& kvm, uint64_t cap, int64_t value) {
    const KernelConfig& c = kvm.config;
    switch (cap) {
    case KVM_CAP_DIRTY_LOG_RING:
        return value ? "the x86 TSO ring is built in (HAVE_KVM_DIRTY_RING_TSO): the maximum ring "
                       "is 65536 entries × 16 bytes — kvm_vm_ioctl_check_extension_generic, "
                       "virt/kvm/kvm_main.c"
                     : "this kernel has no TSO ring (HAVE_KVM_DIRTY_RING_TSO: x86 from 5.11 "
                       "only) — kvm_vm_ioctl_check_extension_generic, virt/kvm/kvm_main.c";
    case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
        return value ? "the ring with acquire/release ordering is built in "
                       "(HAVE_KVM_DIRTY_RING_ACQ_REL) — kvm_vm_ioctl_check_extension_generic, "
                       "virt/kvm/kvm_main.c"
                     : "this kernel has no acquire/release ring (x86 6.1+, arm64 6.2+, loongarch "
                       "6.7+, riscv 6.17+) — kvm_vm_ioctl_check_extension_generic, "
                       "virt/kvm/kvm_main.c";
    case KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP:
        return value ? "this arch needs a backup bitmap beside the ring "
                       "(NEED_KVM_DIRTY_RING_WITH_BITMAP: arm64 6.2+) — "
                       "kvm_vm_ioctl_check_extension_generic, virt/kvm/kvm_main.c"
                     : "this arch never writes guest memory without a vCPU, or the capability "
                       "does not exist yet (6.2) — kvm_vm_ioctl_check_extension_generic, "
                       "virt/kvm/kvm_main.c";
    case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
        return c.manual_caps == 3 ? "KVM_DIRTY_LOG_MANUAL_CAPS: PROTECT_ENABLE | INITIALLY_SET "
                                    "— kvm_vm_ioctl_check_extension_generic, virt/kvm/kvm_main.c"
                                  : "KVM_DIRTY_LOG_MANUAL_CAPS: PROTECT_ENABLE only, this arch "
                                    "lacks INITIALLY_SET — kvm_vm_ioctl_check_extension_generic, "
                                    "virt/kvm/kvm_main.c";
    default:
        return value ? "a constant of this kernel — kvm_vm_ioctl_check_extension, arch/*/kvm"
                     : "unknown to this kernel: 0 — kvm_vm_ioctl_check_extension, arch/*/kvm";
    }
}

} // namespace

KRet kvm_vm_ioctl_enable_cap(Kvm& kvm, uint32_t cap, uint64_t args0, uint32_t flags) {
    const KRet r = enable_cap_generic(kvm, cap, args0, flags);
    Event e;
    e.slot = cap;
    e.a = args0;
    e.n = flags;
    kvm.emit_ioctl(IoctlId::EnableCap, e, r);
    return r;
}

KRet kvm_ioctl_check_extension(const Kvm& kvm, uint64_t cap) {
    const int64_t v = kvm_vm_ioctl_check_extension(kvm, cap);
    const KRet r{v, check_why(kvm, cap, v)};
    Event e;
    e.slot = uint32_t(cap);
    kvm.emit_ioctl(IoctlId::CheckExtension, e, r);
    return r;
}

bool kvm_use_dirty_bitmap(const Kvm& kvm) {
    return !kvm.dirty_ring_size || kvm.dirty_ring_with_bitmap;
}

bool kvm_dirty_log_manual_protect_and_init_set(const Kvm& kvm) {
    return kvm.manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET;
}

} // namespace ringside
