// The modelled VM (struct kvm) and its vCPUs (struct kvm_vcpu), with the ioctls userspace
// issues on them. Each function mirrors one kernel function, named in the comment above it.
#pragma once

#include "dirty_ring.hpp"
#include "events.hpp"
#include "kernel_config.hpp"
#include "kret.hpp"
#include "memslots.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ringside {

// Capability numbers (include/uapi/linux/kvm.h).
enum Cap : uint32_t {
    KVM_CAP_USER_MEMORY = 3,
    KVM_CAP_NR_MEMSLOTS = 10,
    KVM_CAP_MAX_VCPUS = 66,
    KVM_CAP_MULTI_ADDRESS_SPACE = 118,
    KVM_CAP_MAX_VCPU_ID = 128,
    KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 = 168,
    KVM_CAP_DIRTY_LOG_RING = 192,
    KVM_CAP_DIRTY_LOG_RING_ACQ_REL = 223,
    KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP = 225,
};
inline constexpr uint64_t KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;
inline constexpr uint64_t KVM_DIRTY_LOG_INITIALLY_SET = 2;

// One guest memory access the vCPU executes.
struct GuestAccess {
    uint64_t gfn = 0;
    bool write = false;
};

// Inclusive range of guest frame numbers.
struct PageRange {
    uint64_t first = 0;
    uint64_t last = 0;
    uint64_t count() const { return last - first + 1; } // callers keep ranges below 2^64 pages
};
using PageList = std::vector<PageRange>;

// What the guest runs in one KVM_RUN: the pages, in order, `times` times over.
struct GuestProgram {
    bool write = true;
    PageList pages;
    uint64_t times = 1;
};

enum class ExitReason : uint8_t { Idle, Mmio, DirtyRingFull };
std::string_view exit_reason_name(ExitReason r);

struct RunResult {
    uint64_t done = 0;
    ExitReason exit = ExitReason::Idle;
};

// What mark_page_dirty_in_slot did with one page (scenario kernel-write tokens).
enum class Mark : uint8_t { Ring, Bitmap, None, Lost, Oops };
struct MarkOutcome {
    Mark mark = Mark::None;
    bool warn = false;
};
std::string mark_text(MarkOutcome m);

// Which vGIC table write, if any, KVM is doing when it writes with no vCPU (arm64).
enum class VgicWrite : uint8_t { None, ItsSave, ItsRestore, PendingTableSave };

struct Vcpu {
    uint32_t vcpu_id = 0;
    std::optional<DirtyRing> dirty_ring;
    std::vector<uint64_t> pml_buffer;   // gfns logged by the CPU, oldest first
    std::optional<GuestAccess> pending; // the access at the guest's pc after an exit
    uint64_t unseen_writes = 0;         // writes to writable dirty pages: KVM never sees them
};

struct Kvm {
    KernelConfig config;
    uint32_t dirty_ring_size = 0; // bytes; 0 = no ring
    bool dirty_ring_with_bitmap = false;
    uint64_t manual_dirty_log_protect = 0;
    std::vector<Memslots> memslots; // one per address space
    std::vector<Vcpu> vcpus;        // creation order (kvm_for_each_vcpu)
    uint32_t created_vcpus = 0;
    uint32_t nr_memslots_dirty_logging = 0;
    uint64_t tlb_flushes = 0;
    EventSink* events = nullptr; // where the engine reports what it does; not owned

    explicit Kvm(const KernelConfig& c);
    // Reports one event, if anybody listens.
    void emit(const Event& e, std::string_view why = {}) const {
        if (events)
            events->emit(e, why);
    }
    // Reports the ioctl an Event describes (its arguments filled in), with its result and why.
    void emit_ioctl(IoctlId id, Event e, const KRet& r) const {
        e.kind = EventKind::Ioctl;
        e.aux = uint8_t(id);
        e.b = uint64_t(r.value);
        emit(e, r.why);
    }

    Vcpu* vcpu_by_id(uint32_t id);
    const Vcpu* vcpu_by_id(uint32_t id) const;
    Memslot* id_to_memslot(uint32_t as_id, uint32_t id);
    // The slot holding gfn in address space as_id (gfn_to_memslot).
    Memslot* gfn_to_memslot(uint32_t as_id, uint64_t gfn);
};

// ---- capabilities (caps.cpp)
// The capability names the scenario language knows (without KVM_CAP_), and their numbers.
const std::vector<std::pair<std::string_view, uint32_t>>& capability_table();
// "DIRTY_LOG_RING", or the number for one without a name.
std::string cap_name(uint64_t cap);
// kvm_vm_ioctl_check_extension_generic + the arch's kvm_vm_ioctl_check_extension: the value
int64_t kvm_vm_ioctl_check_extension(const Kvm& kvm, uint64_t cap);
// The KVM_CHECK_EXTENSION ioctl as userspace makes it: the value, why, and an event.
KRet kvm_ioctl_check_extension(const Kvm& kvm, uint64_t cap);
// kvm_vm_ioctl_enable_cap_generic
KRet kvm_vm_ioctl_enable_cap(Kvm& kvm, uint32_t cap, uint64_t args0, uint32_t flags);
// kvm_use_dirty_bitmap (6.2+); before 6.2 the same question was "no ring"
bool kvm_use_dirty_bitmap(const Kvm& kvm);
bool kvm_dirty_log_manual_protect_and_init_set(const Kvm& kvm);

// ---- memslots and vCPUs (kvm_main.cpp)
// __kvm_set_memory_region, in Ringside's units: guest frame numbers and page counts
KRet kvm_set_memory_region(Kvm& kvm, uint16_t as_id, uint16_t id, uint32_t flags, uint64_t gfn,
                           uint64_t npages);
// kvm_vm_ioctl_create_vcpu; start_index is Ringside's testing aid for u32 wrap-around
KRet kvm_vm_ioctl_create_vcpu(Kvm& kvm, uint32_t id, uint32_t start_index = 0);

// ---- recording a write (mark_page_dirty.cpp)
// mark_page_dirty_in_slot; vcpu is the running vCPU, or null for KVM's own work without one
MarkOutcome mark_page_dirty_in_slot(Kvm& kvm, Vcpu* vcpu, Memslot* slot, uint64_t gfn,
                                    VgicWrite during = VgicWrite::None);
// KVM itself writes guest memory (kvm_write_guest and friends), then marks the page dirty.
MarkOutcome kvm_write_guest_page(Kvm& kvm, Vcpu* vcpu, uint64_t gfn, VgicWrite during);
// The VMM writes guest memory through its own mapping: KVM is not told.
void vmm_host_write(Kvm& kvm, uint64_t gfn);

// ---- the MMU (mmu.cpp)
// kvm_arch_mmu_enable_log_dirty_pt_masked: re-arm the pages offset + bits of mask; returns the
// bits whose pages really changed (mapped writable before)
uint64_t kvm_arch_mmu_enable_log_dirty_pt_masked(Kvm& kvm, Memslot& slot, uint64_t offset,
                                                 uint64_t mask);
// kvm_mmu_slot_apply_flags (x86) / kvm_arch_commit_memory_region (arm64): logging turned on
void kvm_mmu_slot_enable_logging(Kvm& kvm, Memslot& slot);
// A guest write to a page of this slot mapped like m will be logged (Ringside's `show wp`).
bool write_is_logged(const Memslot& slot, Mapping m);

// ---- KVM_RUN (run.cpp)
RunResult kvm_arch_vcpu_ioctl_run(Kvm& kvm, Vcpu& vcpu, const GuestProgram& program);

// ---- rings and bitmaps (dirty_log.cpp)
// kvm_vm_ioctl_reset_dirty_pages
KRet kvm_vm_ioctl_reset_dirty_pages(Kvm& kvm);
// The non-zero words of a bitmap as (word index, word), ascending: a sparse copy, since one
// slot's bitmap can be 256 MiB.
using BitmapWords = std::vector<std::pair<uint64_t, uint64_t>>;
// kvm_get_dirty_log_protect; on success *snapshot holds the returned bitmap's non-zero words
KRet kvm_get_dirty_log_protect(Kvm& kvm, uint32_t slot, BitmapWords* snapshot);
// kvm_clear_dirty_log_protect; user_word(k) is word k of the caller's bitmap, whose bit i
// stands for page first_page + 64k + i
KRet kvm_clear_dirty_log_protect(Kvm& kvm, uint32_t slot, uint64_t first_page, uint32_t num_pages,
                                 const std::function<uint64_t(uint64_t)>& user_word);

} // namespace ringside
