// What a kernel of a given architecture and version is built with: the Kconfig symbols and
// constants of include/linux/kvm_host.h, include/uapi/linux/kvm.h and arch/*/kvm that decide
// how dirty tracking behaves (kvm-dirty-tracking.md §1-§2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringside {

enum class Arch : uint8_t { X86_64, Arm64, LoongArch, RiscV };

std::string_view arch_name(Arch a);
std::optional<Arch> parse_arch(std::string_view s);

// A kernel release X.Y, compared as a pair.
struct Version {
    int major = 6;
    int minor = 1;
    friend constexpr auto operator<=>(const Version&, const Version&) = default;
};

std::string version_name(Version v);

// The what-if patches a scenario can apply to the modelled kernel.
struct Patches {
    bool no_cap_check = false; // revert the 6.1 fix: enabling a ring cap no longer checks it
    bool no_wmb = false;       // drop smp_wmb() in kvm_dirty_ring_push (ordering model only)
    bool plain_reset = false;  // reset reads flags plainly and clears them with a plain store
};

// The parameters of KVM_CREATE_VM in Ringside: which kernel, which host.
struct VmSpec {
    Arch arch = Arch::X86_64;
    Version version;
    uint32_t page_size = 4096;
    bool pml = true; // x86 only: Intel VMX with Page Modification Logging
    Patches patches;
};

// Everything the engine asks about the kernel, derived once from a VmSpec.
struct KernelConfig {
    VmSpec spec;

    // Kconfig: HAVE_KVM_DIRTY_RING_TSO / _ACQ_REL / NEED_KVM_DIRTY_RING_WITH_BITMAP
    bool have_dirty_ring_tso = false;
    bool have_dirty_ring_acq_rel = false;
    bool need_dirty_ring_with_bitmap = false;
    // CONFIG_HAVE_KVM_DIRTY_RING: the generic ring code is compiled in
    bool have_dirty_ring = false;
    // the WITH_BITMAP capability exists in this release (6.2+)
    bool knows_with_bitmap_cap = false;

    uint32_t dirty_log_page_offset = 0; // KVM_DIRTY_LOG_PAGE_OFFSET
    uint32_t cpu_dirty_log_size = 0;    // kvm_cpu_dirty_log_size(): PML entries
    uint64_t manual_caps = 3;           // KVM_DIRTY_LOG_MANUAL_CAPS
    uint32_t address_spaces = 1;        // KVM_ADDRESS_SPACE_NUM
    uint32_t user_mem_slots = 32767;    // KVM_USER_MEM_SLOTS
    uint32_t max_vcpu_ids = 512;        // KVM_MAX_VCPU_IDS
    uint32_t max_vcpus = 512;           // kvm->max_vcpus of a default VM
    uint32_t gpa_bits = 0;              // arch limit on a slot's end, 0 = none modelled
    int gpa_limit_errno = 0;            // what the arch returns beyond it

    bool pml_oldest_first = false;     // vmx_flush_pml_buffer order: 6.14+
    bool warn_no_vcpu_5_17 = false;    // 5.17-6.1: WARN and drop a write with no running vCPU
    bool use_dirty_bitmap_6_2 = false; // 6.2+: kvm_use_dirty_bitmap(), bitmap fallback
    bool ring_cap_check = false;       // 6.1+: enabling a ring cap checks it is advertised

    uint32_t rsvd_entries() const; // kvm_dirty_ring_get_rsvd_entries()
};

// Returns the configuration, or an error message when KVM did not exist for that combination.
struct ConfigOrError {
    std::optional<KernelConfig> config;
    std::string error;
};
ConfigOrError make_kernel_config(const VmSpec& spec);

inline constexpr Version kOldestVersion{5, 10};
inline constexpr Version kNewestVersion{6, 18};
bool version_exists(Version v);
// Every release Ringside models, oldest first.
std::vector<Version> known_versions();

} // namespace ringside
