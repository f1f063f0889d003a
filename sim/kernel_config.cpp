#include "kernel_config.hpp"

namespace ringside {

std::string_view arch_name(Arch a) {
    switch (a) {
    case Arch::X86_64:
        return "x86_64";
    case Arch::Arm64:
        return "arm64";
    case Arch::LoongArch:
        return "loongarch";
    case Arch::RiscV:
        return "riscv";
    }
    return "?";
}

std::optional<Arch> parse_arch(std::string_view s) {
    for (Arch a : {Arch::X86_64, Arch::Arm64, Arch::LoongArch, Arch::RiscV})
        if (arch_name(a) == s)
            return a;
    return std::nullopt;
}

std::string version_name(Version v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor);
}

bool version_exists(Version v) {
    if (v.major == 5)
        return v.minor >= 10 && v.minor <= 19;
    if (v.major == 6)
        return v.minor >= 0 && v.minor <= kNewestVersion.minor;
    return false;
}

std::vector<Version> known_versions() {
    std::vector<Version> v;
    for (int major = kOldestVersion.major; major <= kNewestVersion.major; ++major)
        for (int minor = 0; minor < 100; ++minor)
            if (version_exists({major, minor}))
                v.push_back({major, minor});
    return v;
}

uint32_t KernelConfig::rsvd_entries() const {
    // KVM_DIRTY_RING_RSVD_ENTRIES plus the CPU's own dirty-log buffer, which is flushed
    // into the ring on every exit and so must always fit after the soft limit.
    return 64 + cpu_dirty_log_size;
}

namespace {

// The release in which KVM (and so /dev/kvm) first exists on an architecture.
Version kvm_arrival(Arch a) {
    switch (a) {
    case Arch::LoongArch:
        return {6, 7};
    case Arch::RiscV:
        return {5, 16};
    default:
        return kOldestVersion;
    }
}

// The release from which the architecture selects HAVE_KVM_DIRTY_RING (either flavour).
std::optional<Version> dirty_ring_arrival(Arch a) {
    switch (a) {
    case Arch::X86_64:
        return Version{5, 11};
    case Arch::Arm64:
        return Version{6, 2};
    case Arch::LoongArch:
        return Version{6, 7};
    case Arch::RiscV:
        return Version{6, 17};
    }
    return std::nullopt;
}

bool page_size_allowed(Arch a, uint32_t page) {
    switch (a) {
    case Arch::X86_64:
    case Arch::RiscV:
        return page == 4096;
    case Arch::Arm64:
    case Arch::LoongArch:
        return page == 4096 || page == 16384 || page == 65536;
    }
    return false;
}

} // namespace

ConfigOrError make_kernel_config(const VmSpec& spec) {
    const Version v = spec.version;
    const Arch a = spec.arch;
    if (!version_exists(v))
        return {std::nullopt, "kernel " + version_name(v) + " is not modelled (5.10 to " +
                                  version_name(kNewestVersion) + ")"};
    if (v < kvm_arrival(a))
        return {std::nullopt,
                std::string(arch_name(a)) + " has no KVM before " + version_name(kvm_arrival(a))};
    if (!page_size_allowed(a, spec.page_size))
        return {std::nullopt, std::string(arch_name(a)) + " has no " +
                                  std::to_string(spec.page_size / 1024) + "K pages"};

    KernelConfig c;
    c.spec = spec;
    if (a != Arch::X86_64)
        c.spec.pml = false;

    const auto ring_from = dirty_ring_arrival(a);
    c.have_dirty_ring = ring_from && v >= *ring_from;
    c.have_dirty_ring_tso = a == Arch::X86_64 && c.have_dirty_ring;
    c.have_dirty_ring_acq_rel = c.have_dirty_ring && (a != Arch::X86_64 || v >= Version{6, 1});
    c.need_dirty_ring_with_bitmap = a == Arch::Arm64 && c.have_dirty_ring;
    c.knows_with_bitmap_cap = v >= Version{6, 2};
    c.dirty_log_page_offset = c.have_dirty_ring ? 64 : 0;
    c.cpu_dirty_log_size = (a == Arch::X86_64 && c.spec.pml) ? 512 : 0;
    // INITIALLY_SET: riscv never; loongarch from 6.11.
    c.manual_caps = (a == Arch::RiscV || (a == Arch::LoongArch && v < Version{6, 11})) ? 1 : 3;
    c.address_spaces = a == Arch::X86_64 ? 2 : 1; // x86: normal and SMM (CONFIG_KVM_SMM=y)
    // "KVM: Raise the maximum number of user memslots" (5.12).
    if (v < Version{5, 12})
        c.user_mem_slots = a == Arch::X86_64 ? 509 : 512;
    else
        c.user_mem_slots = a == Arch::X86_64 ? 32764 : 32767;

    switch (a) {
    case Arch::X86_64:
        // 5.15 raised KVM_MAX_VCPUS from 288 to 1024 and the id limit from 1023 to 4 × that.
        c.max_vcpu_ids = v < Version{5, 15} ? 1023 : 4096;
        c.max_vcpus = v < Version{5, 15} ? 288 : 1024;
        if (v >= Version{5, 18}) {  // the GPA check of kvm_arch_prepare_memory_region
            c.gpa_bits = 46;        // the host's MAXPHYADDR in Ringside
            c.gpa_limit_errno = 22; // EINVAL
        }
        break;
    case Arch::Arm64:
        c.max_vcpu_ids = 512;
        c.max_vcpus = 512;
        c.gpa_bits = 40;        // the default IPA size of a VM
        c.gpa_limit_errno = 14; // EFAULT
        break;
    case Arch::LoongArch:
        c.max_vcpu_ids = 256;
        c.max_vcpus = 256;
        break;
    case Arch::RiscV:
        // 5.16-5.18 derived it from 14 VMID bits on RV64; 1024 from 5.19.
        c.max_vcpu_ids = c.max_vcpus = v < Version{5, 19} ? 16384 : 1024;
        break;
    }

    c.pml_oldest_first = v >= Version{6, 14};
    c.warn_no_vcpu_5_17 = v >= Version{5, 17};
    c.use_dirty_bitmap_6_2 = v >= Version{6, 2};
    c.ring_cap_check = v >= Version{6, 1} && !spec.patches.no_cap_check;
    return {c, {}};
}

} // namespace ringside
