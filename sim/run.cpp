// KVM_RUN: the guest executes its accesses; faults, PML and the soft-full exit decide what is
// logged and when KVM returns to userspace (arch/x86/kvm/x86.c vcpu_enter_guest,
// arch/x86/kvm/vmx/vmx.c vmx_flush_pml_buffer, arch/arm64/kvm/mmu.c user_mem_abort,
// virt/kvm/dirty_ring.c kvm_dirty_ring_check_request).
#include "kvm.hpp"

#include <algorithm>

namespace ringside {

std::string_view exit_reason_name(ExitReason r) {
    switch (r) {
    case ExitReason::Idle:
        return "IDLE";
    case ExitReason::Mmio:
        return "MMIO";
    case ExitReason::DirtyRingFull:
        return "DIRTY_RING_FULL";
    }
    return "?";
}

namespace {

// Why the guest stopped executing: a completed access keeps it running.
enum class Step { Completed, Fault, PmlFull, Mmio, Halt };

// Walks the program's accesses: each range in order, the whole list `times` times.
class Cursor {
  public:
    explicit Cursor(const GuestProgram& p) : p_(p) {
        if (!p.pages.empty())
            gfn_ = p.pages[0].first;
    }
    bool at_end() const { return p_.pages.empty() || pass_ >= p_.times; }
    GuestAccess current() const { return {gfn_, p_.write}; }
    uint64_t left_in_range() const { return p_.pages[range_].last - gfn_ + 1; }
    uint64_t passes_left() const { return p_.times - pass_; }
    uint64_t pass_length() const {
        uint64_t n = 0;
        for (const PageRange& r : p_.pages)
            n += r.count();
        return n;
    }
    // Moves on by n accesses (n <= left_in_range()); returns true when a pass just ended.
    bool advance(uint64_t n) {
        if (n < left_in_range()) {
            gfn_ += n;
            return false;
        }
        if (++range_ < p_.pages.size()) {
            gfn_ = p_.pages[range_].first;
            return false;
        }
        range_ = 0;
        gfn_ = p_.pages[0].first;
        ++pass_;
        return true;
    }
    void skip_passes(uint64_t n) { pass_ += n; }

  private:
    const GuestProgram& p_;
    uint64_t pass_ = 0;
    size_t range_ = 0;
    uint64_t gfn_ = 0;
};

bool pml_enabled(const Kvm& kvm) {
    // vmx_update_cpu_dirty_logging: PML is on while any memslot logs.
    return kvm.config.cpu_dirty_log_size && kvm.nr_memslots_dirty_logging > 0;
}

// vmx_flush_pml_buffer: every gfn the CPU logged goes to the ring or bitmap. Up to 6.13 the
// buffer was read from the newest entry down; from 6.14 in the order the CPU wrote it.
void flush_pml_buffer(Kvm& kvm, Vcpu& vcpu) {
    if (vcpu.pml_buffer.empty())
        return;
    Event e{EventKind::PmlFlush, uint8_t(kvm.config.pml_oldest_first)};
    e.vcpu = vcpu.vcpu_id;
    e.n = uint32_t(vcpu.pml_buffer.size());
    kvm.emit(e);
    auto mark = [&](uint64_t gfn) {
        if (Memslot* slot = kvm.gfn_to_memslot(0, gfn))
            mark_page_dirty_in_slot(kvm, &vcpu, slot, gfn);
    };
    if (kvm.config.pml_oldest_first)
        for (uint64_t gfn : vcpu.pml_buffer)
            mark(gfn);
    else
        for (auto it = vcpu.pml_buffer.rbegin(); it != vcpu.pml_buffer.rend(); ++it)
            mark(*it);
    vcpu.pml_buffer.clear();
}

// What the CPU does with one access in guest mode, before KVM is involved.
Step guest_access(Kvm& kvm, Vcpu& vcpu, const GuestAccess& a, Memslot* slot) {
    if (!slot || (a.write && slot->readonly()))
        return Step::Mmio;
    PageStates& pages = slot->pages;
    const uint64_t off = a.gfn - slot->base_gfn;
    const Mapping m = pages.mapping(off);
    if (!a.write)
        return m == Mapping::Unmapped ? Step::Fault : Step::Completed;
    switch (m) {
    case Mapping::Writable:
        return Step::Completed;
    case Mapping::WritableClean:
        if (pml_enabled(kvm)) {
            if (vcpu.pml_buffer.size() == kvm.config.cpu_dirty_log_size)
                return Step::PmlFull;
            vcpu.pml_buffer.push_back(a.gfn); // the CPU sets the dirty bit and logs the gfn
            pages.set_mapping(off, Mapping::Writable);
            Event e{EventKind::PmlLog};
            e.vcpu = vcpu.vcpu_id;
            e.slot = slot->slot_number();
            e.a = a.gfn;
            e.n = uint32_t(vcpu.pml_buffer.size());
            kvm.emit(e);
            return Step::Completed;
        }
        pages.set_mapping(off, Mapping::Writable);
        return Step::Completed;
    default:
        return Step::Fault;
    }
}

// The fault handler (kvm_mmu_page_fault / user_mem_abort) maps the page and, when it maps a
// logging slot's page writable, records it (make_spte → mark_page_dirty_in_slot).
void handle_page_fault(Kvm& kvm, Vcpu& vcpu, Memslot& slot, const GuestAccess& a) {
    PageStates& pages = slot.pages;
    const uint64_t off = a.gfn - slot.base_gfn;
    bool writable;
    if (a.write) {
        pages.set_populated(off);
        writable = true;
    } else {
        // A read maps the page writable only if the host page is already writable memory;
        // an untouched page is the shared zero page, mapped read-only. arm64 maps read faults
        // in a logging slot read-only, so only writes are logged there.
        const bool host_writable = pages.populated(off) && !slot.readonly();
        writable =
            host_writable && (kvm.config.spec.arch == Arch::X86_64 || !slot.dirty_track_enabled());
    }
    pages.set_mapping(off, writable ? Mapping::Writable : Mapping::ReadOnly);
    Event e{EventKind::MapPage, uint8_t(pages.mapping(off)), uint8_t(a.write)};
    e.vcpu = vcpu.vcpu_id;
    e.slot = slot.slot_number();
    e.a = a.gfn;
    kvm.emit(e);
    if (writable && slot.dirty_track_enabled())
        mark_page_dirty_in_slot(kvm, &vcpu, &slot, a.gfn);
}

// Reports why the guest left guest mode (other than to halt).
void report_exit(Kvm& kvm, const Vcpu& vcpu, Step step, const GuestAccess& a, const Memslot* slot) {
    Event e{step == Step::Fault     ? EventKind::GuestFault
            : step == Step::PmlFull ? EventKind::PmlFullExit
                                    : EventKind::MmioExit,
            uint8_t(a.write)};
    e.vcpu = vcpu.vcpu_id;
    e.slot = slot ? slot->slot_number() : 0;
    e.a = a.gfn;
    e.b = slot ? uint64_t(slot->pages.mapping(a.gfn - slot->base_gfn)) : 0;
    e.n = uint32_t(vcpu.pml_buffer.size());
    kvm.emit(e);
}

// Accesses that change nothing, done in bulk: writes to a chunk of dirty writable pages, reads
// of a chunk of mapped pages. Returns how many of the cursor's next accesses were done.
uint64_t bulk_plain_accesses(const Cursor& cur, const Memslot* slot) {
    const GuestAccess a = cur.current();
    if (!slot || (a.write && slot->readonly()))
        return 0;
    const uint64_t off = a.gfn - slot->base_gfn;
    const bool plain =
        a.write ? slot->pages.chunk_all_writable(off) : slot->pages.chunk_all_mapped(off);
    if (!plain)
        return 0;
    const uint64_t chunk_end = std::min((off / kChunkPages + 1) * kChunkPages, slot->npages);
    return std::min(cur.left_in_range(), chunk_end - off);
}

} // namespace

namespace {

RunResult vcpu_run(Kvm& kvm, Vcpu& vcpu, const GuestProgram& program) {
    RunResult r;
    Cursor cur(program);
    const uint64_t pass_length = cur.pass_length();
    bool pass_was_plain = true; // no access of this pass changed any state
    Memslot* slot = nullptr;    // the slot of the last access, reused while it matches
    auto advance = [&](uint64_t n) {
        if (!cur.advance(n))
            return;
        if (pass_was_plain && !cur.at_end()) {
            // Every later pass sees exactly the state this one saw: count them at once.
            r.done += cur.passes_left() * pass_length;
            cur.skip_passes(cur.passes_left());
        }
        pass_was_plain = true;
    };

    for (;;) {
        // Before entering the guest: a soft-full ring makes the vCPU exit to userspace
        // (KVM_EXIT_DIRTY_RING_FULL) until a reset brings it below the soft limit.
        if (vcpu.dirty_ring && dirty_ring_soft_full(*vcpu.dirty_ring)) {
            Event e{EventKind::SoftFullExit, uint8_t(vcpu.pending.has_value())};
            e.vcpu = vcpu.vcpu_id;
            e.b = dirty_ring_used(*vcpu.dirty_ring);
            e.n = vcpu.dirty_ring->soft_limit;
            e.a = vcpu.pending ? vcpu.pending->gfn : 0;
            kvm.emit(e);
            r.exit = ExitReason::DirtyRingFull;
            return r;
        }
        // In the guest, until something makes it exit.
        Step step;
        GuestAccess a;
        for (;;) {
            const bool resumed = vcpu.pending.has_value();
            if (!resumed && cur.at_end()) {
                step = Step::Halt;
                break;
            }
            a = resumed ? *vcpu.pending : cur.current();
            if (!slot || !slot->contains(a.gfn))
                slot = kvm.gfn_to_memslot(0, a.gfn);
            if (!resumed) {
                if (uint64_t n = bulk_plain_accesses(cur, slot)) {
                    r.done += n;
                    if (cur.current().write)
                        vcpu.unseen_writes += n;
                    advance(n);
                    continue;
                }
            }
            const Mapping before =
                slot ? slot->pages.mapping(a.gfn - slot->base_gfn) : Mapping::Unmapped;
            step = guest_access(kvm, vcpu, a, slot);
            if (step != Step::Completed)
                break;
            if (slot && slot->pages.mapping(a.gfn - slot->base_gfn) != before)
                pass_was_plain = false;
            else if (a.write && !resumed) // a resumed access completes the one that trapped
                vcpu.unseen_writes++;
            r.done++;
            if (resumed)
                vcpu.pending.reset();
            else
                advance(1);
        }
        // The access that exited stays at the guest's pc.
        if (step != Step::Halt && !vcpu.pending) {
            vcpu.pending = a;
            pass_was_plain = false;
            advance(1);
        }
        if (step != Step::Halt)
            report_exit(kvm, vcpu, step, a, slot);
        // Every exit empties the PML buffer before it is handled (vmx_handle_exit).
        flush_pml_buffer(kvm, vcpu);
        switch (step) {
        case Step::Halt:
            r.exit = ExitReason::Idle;
            return r;
        case Step::Mmio:
            vcpu.pending.reset(); // userspace completes it; the rest of the program is dropped
            r.exit = ExitReason::Mmio;
            return r;
        case Step::Fault:
            handle_page_fault(kvm, vcpu, *slot, a);
            break;
        case Step::PmlFull:
        case Step::Completed:
            break;
        }
    }
}

} // namespace

RunResult kvm_arch_vcpu_ioctl_run(Kvm& kvm, Vcpu& vcpu, const GuestProgram& program) {
    const uint64_t unseen = vcpu.unseen_writes;
    const RunResult r = vcpu_run(kvm, vcpu, program);
    Event e{EventKind::Ioctl, uint8_t(IoctlId::Run), uint8_t(r.exit)};
    e.vcpu = vcpu.vcpu_id;
    e.a = r.done;
    e.c = vcpu.unseen_writes - unseen;
    e.n = vcpu.pending.has_value();
    kvm.emit(e);
    return r;
}

} // namespace ringside
