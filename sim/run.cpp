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
        return next_range();
    }
    // Moves over the accesses from here, up to the end of the pass, for as long as
    // plain_run(gfn, left) finds some that change nothing: it returns how many of the `left`
    // accesses from gfn to the end of its range do, 0 if the one at gfn may change something.
    // Returns how many accesses it moved over; *pass_ended tells whether the pass just ended.
    // Nothing is stored but the position, so a run of single-page ranges costs a few loads each.
    template <class PlainRun> uint64_t skip_plain(PlainRun&& plain_run, bool* pass_ended) {
        const PageRange* const ranges = p_.pages.data();
        const size_t last_range = p_.pages.size() - 1;
        size_t range = range_;
        uint64_t gfn = gfn_, done = 0;
        *pass_ended = false;
        for (;;) {
            const uint64_t left = ranges[range].last - gfn + 1;
            const uint64_t n = plain_run(gfn, left);
            done += n;
            if (n == 0)
                break;
            if (n < left) { // on to the range's next chunk
                gfn += n;
                continue;
            }
            if (range == last_range) {
                *pass_ended = true;
                break;
            }
            gfn = ranges[++range].first;
        }
        range_ = range;
        gfn_ = gfn;
        if (*pass_ended)
            next_range(); // from the last range: on to the next pass
        return done;
    }
    void skip_passes(uint64_t n) { pass_ += n; }

  private:
    // Moves to the first access of the next range, or of the next pass; true for the latter.
    bool next_range() {
        if (++range_ < p_.pages.size()) {
            gfn_ = p_.pages[range_].first;
            return false;
        }
        range_ = 0;
        gfn_ = p_.pages[0].first;
        ++pass_;
        return true;
    }
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
// of a chunk of mapped pages, in one slot. Nothing changes while accesses are plain, so the last
// chunk found plain is remembered: consecutive accesses to one chunk check it once.
class PlainChunks {
  public:
    PlainChunks(const Memslot& slot, bool write)
        : pages_(slot.pages), base_gfn_(slot.base_gfn), npages_(slot.npages), write_(write),
          // a write to a read-only slot is an MMIO exit, never plain
          npages_plain_(write && slot.readonly() ? 0 : slot.npages) {}

    // How many of the `left` accesses from gfn change nothing: up to the end of gfn's chunk if
    // that chunk is plain, else 0.
    uint64_t operator()(uint64_t gfn, uint64_t left) {
        const uint64_t off = gfn - base_gfn_; // wraps above npages for a gfn below the slot
        if (off >= npages_plain_)
            return 0;
        const uint64_t chunk = off / kChunkPages;
        if (chunk != plain_chunk_) {
            if (!(write_ ? pages_.chunk_all_writable(off) : pages_.chunk_all_mapped(off)))
                return 0;
            plain_chunk_ = chunk;
        }
        const uint64_t chunk_end = std::min((chunk + 1) * kChunkPages, npages_);
        return std::min(left, chunk_end - off);
    }

  private:
    const PageStates& pages_;
    const uint64_t base_gfn_;
    const uint64_t npages_;
    const bool write_;
    const uint64_t npages_plain_;
    uint64_t plain_chunk_ = ~0ull; // none yet
};

} // namespace

namespace {

RunResult vcpu_run(Kvm& kvm, Vcpu& vcpu, const GuestProgram& program) {
    RunResult r;
    Cursor cur(program);
    const uint64_t pass_length = cur.pass_length();
    bool pass_was_plain = true; // no access of this pass changed any state
    Memslot* slot = nullptr;    // the slot of the last access, reused while it matches
    // At the end of each pass.
    auto end_pass = [&] {
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
            if (!resumed && slot) {
                // The common case, a guest rewriting its dirty working set: no exit, no event.
                bool pass_ended = false;
                if (uint64_t n = cur.skip_plain(PlainChunks(*slot, program.write), &pass_ended)) {
                    r.done += n;
                    if (program.write)
                        vcpu.unseen_writes += n;
                    if (pass_ended)
                        end_pass();
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
            else if (cur.advance(1))
                end_pass();
        }
        // The access that exited stays at the guest's pc.
        if (step != Step::Halt && !vcpu.pending) {
            vcpu.pending = a;
            pass_was_plain = false;
            if (cur.advance(1))
                end_pass();
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
    e.b = vcpu.unseen_writes - unseen;
    e.n = vcpu.pending.has_value();
    kvm.emit(e);
    return r;
}

} // namespace ringside
