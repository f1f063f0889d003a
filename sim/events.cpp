#include "events.hpp"

#include "kvm.hpp"

#include <algorithm>
#include <cstdio>
#include <sys/mman.h>

namespace ringside {

void EventLog::add_reason(std::string_view why) {
    reasons_.emplace_back(size_, why);
}

void EventLog::add_block() {
    void* p = ::operator new(kBlockSize * sizeof(Event), std::align_val_t(kBlockAlign));
#ifdef MADV_HUGEPAGE
    // A log that filled its first block is a long one (a ring benchmark logs two events per
    // entry): its later blocks are faulted in 2 MiB at a time instead of 4 KiB, which would
    // otherwise cost more than logging the events. The first block stays in small pages so
    // that a short log costs only what it uses.
    if (!blocks_.empty())
        madvise(p, kBlockSize * sizeof(Event), MADV_HUGEPAGE);
#endif
    blocks_.push_back(Block(static_cast<Event*>(p)));
}

std::string_view EventLog::reason(size_t i) const {
    auto it = std::lower_bound(reasons_.begin(), reasons_.end(), i,
                               [](const auto& r, size_t v) { return r.first < v; });
    return it != reasons_.end() && it->first == i ? std::string_view(it->second)
                                                  : std::string_view();
}

std::string_view event_kind_name(EventKind k) {
    switch (k) {
    case EventKind::Ioctl:
        return "ioctl";
    case EventKind::GuestFault:
        return "fault";
    case EventKind::MapPage:
        return "map";
    case EventKind::RingPush:
        return "push";
    case EventKind::BitmapSet:
        return "bitmap-set";
    case EventKind::MarkDropped:
        return "not-recorded";
    case EventKind::PmlLog:
        return "pml-log";
    case EventKind::PmlFullExit:
        return "pml-full";
    case EventKind::PmlFlush:
        return "pml-flush";
    case EventKind::SoftFullExit:
        return "soft-full";
    case EventKind::MmioExit:
        return "mmio";
    case EventKind::Harvest:
        return "harvest";
    case EventKind::RingReset:
        return "ring-reset";
    case EventKind::ResetBatch:
        return "reset-batch";
    case EventKind::ArmPages:
        return "arm";
    case EventKind::BitmapTake:
        return "bitmap-take";
    case EventKind::BitmapClear:
        return "bitmap-clear";
    case EventKind::HostWrite:
        return "host-write";
    case EventKind::TlbFlush:
        return "tlb-flush";
    case EventKind::Workload:
        return "workload";
    case EventKind::MigrationRound:
        return "migration-round";
    case EventKind::LostPage:
        return "lost-page";
    }
    return "?";
}

namespace {

constexpr const char* kKvmMain = "virt/kvm/kvm_main.c";
constexpr const char* kDirtyRing = "virt/kvm/dirty_ring.c";

KernelSite arch_mmu_site(Arch arch, bool fault) {
    switch (arch) {
    case Arch::X86_64:
        return fault ? KernelSite{"kvm_mmu_page_fault", "arch/x86/kvm/mmu/mmu.c"}
                     : KernelSite{"make_spte", "arch/x86/kvm/mmu/spte.c"};
    case Arch::Arm64:
        return fault ? KernelSite{"kvm_handle_guest_abort", "arch/arm64/kvm/mmu.c"}
                     : KernelSite{"user_mem_abort", "arch/arm64/kvm/mmu.c"};
    case Arch::LoongArch:
        return fault ? KernelSite{"kvm_handle_mm_fault", "arch/loongarch/kvm/mmu.c"}
                     : KernelSite{"kvm_map_page", "arch/loongarch/kvm/mmu.c"};
    case Arch::RiscV:
        return fault ? KernelSite{"kvm_riscv_gstage_page_fault", "arch/riscv/kvm/mmu.c"}
                     : KernelSite{"kvm_riscv_gstage_map", "arch/riscv/kvm/mmu.c"};
    }
    return {"?", "?"};
}

KernelSite ioctl_site(IoctlId id, Arch arch) {
    switch (id) {
    case IoctlId::CreateVm:
        return {"kvm_dev_ioctl_create_vm", kKvmMain};
    case IoctlId::CheckExtension:
        return {"kvm_vm_ioctl_check_extension_generic", kKvmMain};
    case IoctlId::EnableCap:
        return {"kvm_vm_ioctl_enable_cap_generic", kKvmMain};
    case IoctlId::SetUserMemoryRegion:
        return {"__kvm_set_memory_region", kKvmMain};
    case IoctlId::CreateVcpu:
        return {"kvm_vm_ioctl_create_vcpu", kKvmMain};
    case IoctlId::Run:
        switch (arch) {
        case Arch::X86_64:
            return {"vcpu_run", "arch/x86/kvm/x86.c"};
        case Arch::Arm64:
            return {"kvm_arch_vcpu_ioctl_run", "arch/arm64/kvm/arm.c"};
        case Arch::LoongArch:
            return {"kvm_arch_vcpu_ioctl_run", "arch/loongarch/kvm/vcpu.c"};
        case Arch::RiscV:
            return {"kvm_arch_vcpu_ioctl_run", "arch/riscv/kvm/vcpu.c"};
        }
        break;
    case IoctlId::ResetDirtyRings:
        return {"kvm_vm_ioctl_reset_dirty_pages", kKvmMain};
    case IoctlId::GetDirtyLog:
        return {"kvm_get_dirty_log_protect", kKvmMain};
    case IoctlId::ClearDirtyLog:
        return {"kvm_clear_dirty_log_protect", kKvmMain};
    }
    return {"?", "?"};
}

const char* ioctl_name(IoctlId id) {
    switch (id) {
    case IoctlId::CreateVm:
        return "KVM_CREATE_VM";
    case IoctlId::CheckExtension:
        return "KVM_CHECK_EXTENSION";
    case IoctlId::EnableCap:
        return "KVM_ENABLE_CAP";
    case IoctlId::SetUserMemoryRegion:
        return "KVM_SET_USER_MEMORY_REGION";
    case IoctlId::CreateVcpu:
        return "KVM_CREATE_VCPU";
    case IoctlId::Run:
        return "KVM_RUN";
    case IoctlId::ResetDirtyRings:
        return "KVM_RESET_DIRTY_RINGS";
    case IoctlId::GetDirtyLog:
        return "KVM_GET_DIRTY_LOG";
    case IoctlId::ClearDirtyLog:
        return "KVM_CLEAR_DIRTY_LOG";
    }
    return "?";
}

std::string slot_text(uint32_t slot) {
    const uint32_t as = slot >> 16;
    return "slot " + std::to_string(slot & 0xffff) + (as ? " (as " + std::to_string(as) + ")" : "");
}

std::string vcpu_text(uint32_t vcpu) {
    return vcpu == kNoVcpu ? std::string("no vCPU") : "vCPU " + std::to_string(vcpu);
}

const char* mapping_text(uint64_t m) {
    switch (static_cast<Mapping>(m)) {
    case Mapping::Unmapped:
        return "not mapped";
    case Mapping::ReadOnly:
        return "read-only (write-protected)";
    case Mapping::WritableClean:
        return "writable with its dirty bit clear";
    case Mapping::Writable:
        return "writable";
    }
    return "?";
}

// The pages of mask at offset, as "offset 5, 7-9".
std::string mask_pages(uint64_t offset, uint64_t mask) {
    std::string out;
    for (uint64_t m = mask; m;) {
        const auto lo = static_cast<uint64_t>(__builtin_ctzll(m));
        uint64_t hi = lo;
        while (hi + 1 < 64 && (m >> (hi + 1) & 1))
            ++hi;
        if (!out.empty())
            out += ",";
        out += std::to_string(offset + lo);
        if (hi > lo)
            out += "-" + std::to_string(offset + hi);
        m &= hi == 63 ? 0 : ~((2ull << hi) - 1);
    }
    return out.empty() ? "none" : out;
}

std::string with_why(std::string s, std::string_view why) {
    if (!why.empty())
        s += ": " + std::string(why);
    return s;
}

std::string ioctl_text(const Event& e, std::string_view why) {
    const auto id = static_cast<IoctlId>(e.aux);
    const std::string name = ioctl_name(id);
    // Memslot events keep the page count in b and the result in n; the others the result in b.
    const std::string ret =
        ret_text(id == IoctlId::SetUserMemoryRegion ? int64_t(static_cast<int32_t>(e.n))
                                                    : static_cast<int64_t>(e.b));
    switch (id) {
    case IoctlId::CreateVm:
        return with_why(name, why);
    case IoctlId::CheckExtension:
        return with_why(name + "(" + cap_name(e.slot) + ") = " + ret, why);
    case IoctlId::EnableCap:
        return with_why(name + "(" + cap_name(e.slot) + ", args[0]=" + std::to_string(e.a) +
                            ", flags=" + std::to_string(e.n) + ") = " + ret,
                        why);
    case IoctlId::SetUserMemoryRegion:
        return with_why(name + "(" + slot_text(e.slot) + ", gfn " + hex(e.a) + ", " +
                            std::to_string(e.b) + " pages" +
                            ((e.aux2 & KVM_MEM_LOG_DIRTY_PAGES) ? ", LOG_DIRTY_PAGES" : "") +
                            ((e.aux2 & KVM_MEM_READONLY) ? ", READONLY" : "") + ") = " + ret,
                        why);
    case IoctlId::CreateVcpu:
        return with_why(name + "(" + std::to_string(e.vcpu) + ") = " + ret, why);
    case IoctlId::Run: {
        std::string s = name + " on vCPU " + std::to_string(e.vcpu) +
                        " returns: done=" + std::to_string(e.a) +
                        " exit=" + std::string(exit_reason_name(static_cast<ExitReason>(e.aux2)));
        if (e.b)
            s += "; " + std::to_string(e.b) +
                 " write(s) hit pages already writable and dirty, which KVM never sees";
        if (e.n)
            s += "; the interrupted access is pending and runs first next time";
        return s;
    }
    case IoctlId::ResetDirtyRings:
        return with_why(name + " = " + ret, why);
    case IoctlId::GetDirtyLog:
        return with_why(name + "(" + slot_text(e.slot) + ") = " + ret, why);
    case IoctlId::ClearDirtyLog:
        return with_why(name + "(" + slot_text(e.slot) + ", first " + std::to_string(e.a) + ", " +
                            std::to_string(e.n) + " pages) = " + ret,
                        why);
    }
    return name;
}

} // namespace

KernelSite kernel_site(const Event& e, const KernelConfig& config) {
    const Arch arch = config.spec.arch;
    switch (e.kind) {
    case EventKind::Ioctl:
        return ioctl_site(static_cast<IoctlId>(e.aux), arch);
    case EventKind::GuestFault:
        return arch_mmu_site(arch, true);
    case EventKind::MapPage:
        return arch_mmu_site(arch, false);
    case EventKind::RingPush:
        return {"kvm_dirty_ring_push", kDirtyRing};
    case EventKind::BitmapSet:
    case EventKind::MarkDropped:
        return {"mark_page_dirty_in_slot", kKvmMain};
    case EventKind::PmlLog:
        return {"Page Modification Logging, in the CPU", "arch/x86/kvm/vmx/vmx.c"};
    case EventKind::PmlFullExit:
        return {"handle_pml_full", "arch/x86/kvm/vmx/vmx.c"};
    case EventKind::PmlFlush:
        return {"vmx_flush_pml_buffer", "arch/x86/kvm/vmx/vmx.c"};
    case EventKind::SoftFullExit:
        // Before 6.2 x86 tested the ring at guest entry; 6.2 made it a vCPU request.
        return config.spec.version < Version{6, 2}
                   ? KernelSite{"vcpu_enter_guest", "arch/x86/kvm/x86.c"}
                   : KernelSite{"kvm_dirty_ring_check_request", kDirtyRing};
    case EventKind::MmioExit:
        return arch == Arch::X86_64 ? KernelSite{"kvm_mmu_page_fault", "arch/x86/kvm/mmu/mmu.c"}
                                    : KernelSite{"io_mem_abort", "arch/arm64/kvm/mmio.c"};
    case EventKind::Harvest:
        return {"userspace: kvm_dirty_ring_reap_one", "QEMU accel/kvm/kvm-all.c"};
    case EventKind::RingReset:
        return {"kvm_dirty_ring_reset", kDirtyRing};
    case EventKind::ResetBatch:
        return {"kvm_reset_dirty_gfn", kDirtyRing};
    case EventKind::ArmPages:
        return arch == Arch::X86_64
                   ? KernelSite{"kvm_mmu_slot_apply_flags", "arch/x86/kvm/x86.c"}
                   : KernelSite{"kvm_arch_commit_memory_region", "arch/arm64/kvm/mmu.c"};
    case EventKind::BitmapTake:
        return {"kvm_get_dirty_log_protect", kKvmMain};
    case EventKind::BitmapClear:
        return {"kvm_clear_dirty_log_protect", kKvmMain};
    case EventKind::HostWrite:
        return {"kvm_mmu_notifier_invalidate_range_start", kKvmMain};
    case EventKind::TlbFlush:
        return {"kvm_flush_remote_tlbs", kKvmMain};
    case EventKind::Workload:
        return {"the guest's workload", "Ringside sim/migrate/workload.hpp"};
    case EventKind::MigrationRound:
        return {"userspace: migration_bitmap_sync", "QEMU migration/ram.c"};
    case EventKind::LostPage:
        return {"the truth tracker", "Ringside sim/migrate/migration.hpp"};
    }
    return {"?", "?"};
}

std::string hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string describe(const Event& e, const KernelConfig& config, std::string_view why) {
    const std::string who = vcpu_text(e.vcpu);
    switch (e.kind) {
    case EventKind::Ioctl:
        return ioctl_text(e, why);
    case EventKind::GuestFault:
        return who + (e.aux ? " writes" : " reads") + " gfn " + hex(e.a) + " (" +
               slot_text(e.slot) + "), which is " + mapping_text(e.b) +
               ": the access faults and the vCPU exits to KVM";
    case EventKind::MapPage:
        return "KVM maps gfn " + hex(e.a) + " " + mapping_text(e.aux) +
               (e.aux == uint8_t(Mapping::ReadOnly) && !e.aux2
                    ? " (a read: nothing written yet, or a logging slot that logs only writes)"
                    : "");
    case EventKind::RingPush:
        return who + "'s ring: entry " + std::to_string(e.n) + " ← " + slot_text(e.slot) +
               " offset " + std::to_string(e.a) + ", flags DIRTY; used " + std::to_string(e.b) +
               (e.aux2 ? ", soft full: the vCPU must exit before it enters the guest again" : "") +
               (e.aux ? " — WARN: the ring was completely full, the oldest entry is overwritten"
                      : "");
    case EventKind::BitmapSet:
        return slot_text(e.slot) + "'s dirty bitmap: bit " + std::to_string(e.a) + " set" +
               (e.vcpu == kNoVcpu ? " (KVM wrote with no vCPU running)" : "") +
               (e.aux ? " — WARN: no running vCPU" : "");
    case EventKind::MarkDropped: {
        const auto m = static_cast<Mark>(e.aux);
        std::string s = slot_text(e.slot) + " offset " + std::to_string(e.a) + ": ";
        if (m == Mark::Oops)
            s += "the ring is on and no vCPU runs: KVM dereferences a NULL vCPU (an oops); "
                 "nothing is recorded";
        else if (m == Mark::Lost)
            s += "nothing records this write (no running vCPU for the ring, no bitmap): the "
                 "page is lost to userspace";
        else
            s += "the slot does not log dirty pages";
        return s + (e.aux2 ? " — WARN: written with no running vCPU" : "");
    }
    case EventKind::PmlLog:
        return who + " writes gfn " + hex(e.a) + " (dirty bit clear): the CPU sets the dirty " +
               "bit and appends the gfn to the PML buffer (" + std::to_string(e.n) +
               " of 512), no exit";
    case EventKind::PmlFullExit:
        return who + " writes gfn " + hex(e.a) +
               " but the PML buffer is full (512): the vCPU exits to KVM first";
    case EventKind::PmlFlush:
        return "KVM empties " + who + "'s PML buffer: " + std::to_string(e.n) + " gfn(s), " +
               (e.aux ? "oldest first (6.14+)" : "newest first (before 6.14)");
    case EventKind::SoftFullExit:
        return who + "'s ring is soft full (used " + std::to_string(e.b) + " ≥ soft limit " +
               std::to_string(e.n) + "): KVM_RUN returns KVM_EXIT_DIRTY_RING_FULL" +
               (e.aux ? "; the pending access to gfn " + hex(e.a) + " waits" : "");
    case EventKind::MmioExit:
        return who + (e.aux ? " writes" : " reads") + " gfn " + hex(e.a) +
               (e.slot || e.b ? ", in a read-only slot" : ", in no memslot") +
               ": KVM_EXIT_MMIO; the rest of the guest's accesses are dropped";
    case EventKind::Harvest:
        return "userspace collects " + who + "'s entry " + std::to_string(e.n) + " (" +
               slot_text(e.slot) + " offset " + std::to_string(e.a) + ") and sets it RESET" +
               (e.aux ? " (plain load/store: wrong on arm64)" : " (load-acquire/store-release)");
    case EventKind::RingReset:
        return "reset walks " + who + "'s ring: " + std::to_string(e.n) + " harvested entr" +
               (e.n == 1 ? "y" : "ies") + " back to free (reset_index " + std::to_string(e.a) +
               " → " + std::to_string(uint32_t(e.b)) + ", used " + std::to_string(e.b >> 32) + ")";
    case EventKind::ResetBatch:
        switch (e.aux) {
        case 1:
            return "batch " + slot_text(e.slot) + " mask " + hex(e.b) +
                   " ignored: address space or slot id out of range";
        case 2:
            return "batch " + slot_text(e.slot) + " mask " + hex(e.b) +
                   " ignored: the slot no longer exists";
        case 3:
            return "batch " + slot_text(e.slot) + " offset " + std::to_string(e.n) + " mask " +
                   hex(e.b) + " ignored: it reaches beyond the slot's pages";
        default:
            return "re-arm " + slot_text(e.slot) + " pages " + mask_pages(e.n, e.b) +
                   " (one 64-bit mask from offset " + std::to_string(e.n) +
                   "); armed again: " + mask_pages(e.n, e.a);
        }
    case EventKind::ArmPages:
        return "dirty logging on for " + slot_text(e.slot) + ": " + std::to_string(e.a) +
               " mapped writable page(s) armed, so their next write is seen";
    case EventKind::BitmapTake:
        return slot_text(e.slot) + " bitmap word " + std::to_string(e.n) +
               " taken and cleared: " + "pages " + mask_pages(uint64_t(e.n) * 64, e.b) +
               "; armed again: " + mask_pages(uint64_t(e.n) * 64, e.a);
    case EventKind::BitmapClear:
        return slot_text(e.slot) + " bitmap word " + std::to_string(e.n) + ": cleared pages " +
               mask_pages(uint64_t(e.n) * 64, e.b) +
               "; armed again: " + mask_pages(uint64_t(e.n) * 64, e.a);
    case EventKind::HostWrite:
        return slot_text(e.slot) + " offset " + std::to_string(e.a) +
               " is written through the host mapping for the first time: it gets its own page" +
               (e.aux ? "; KVM drops the guest's mapping of the shared zero page" : "");
    case EventKind::TlbFlush:
        return "KVM flushes the TLBs of every vCPU so the new protections take effect";
    case EventKind::Workload:
        return who + " will run the workload " + std::string(why) +
               " while a migration runs (writes per second of its running time)";
    case EventKind::MigrationRound: {
        const std::string took = std::to_string(e.slot / 10) + "." + std::to_string(e.slot % 10);
        if (e.aux)
            return "stop-and-copy: the vCPUs stopped, the last sync found " + std::to_string(e.b) +
                   " page(s), sent in " + took + " ms while the guest was down";
        return "pre-copy round " + std::to_string(e.n) + ": " + std::to_string(e.a) +
               " page(s) sent in " + took + " ms while the guest ran; the sync then found " +
               std::to_string(e.b) + " dirty page(s)" +
               (e.aux2 == 1   ? ", few enough for the downtime limit: the guest stops"
                : e.aux2 == 2 ? ": too many, and no rounds left: the migration has failed"
                              : ": too many for the downtime limit, so another round");
    }
    case EventKind::LostPage:
        return "the destination's copy of gfn " + hex(e.a) + " (" + slot_text(e.slot) + " offset " +
               hex(e.b) + ") is stale: " + std::string(why);
    }
    (void)config;
    return "?";
}

} // namespace ringside
