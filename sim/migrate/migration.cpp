// Live migration on a simulated clock (migration.hpp).
#include "migration.hpp"

#include "../ordering/explorer.hpp"

#include <algorithm>
#include <memory>

namespace ringside::migrate {

std::string_view mode_name(Mode m) {
    switch (m) {
    case Mode::Bitmap:
        return "bitmap";
    case Mode::Clear:
        return "clear";
    case Mode::Ring:
        return "ring";
    case Mode::RingBitmap:
        return "ring+bitmap";
    }
    return "?";
}

Mode mode_of(const Kvm& kvm) {
    if (kvm.dirty_ring_size)
        return kvm.dirty_ring_with_bitmap ? Mode::RingBitmap : Mode::Ring;
    return kvm.manual_dirty_log_protect ? Mode::Clear : Mode::Bitmap;
}

std::string ms_text(uint64_t ns) {
    return std::to_string(ns / 1000000) + "." + std::to_string(ns / 100000 % 10) + "ms";
}

Costs& Costs::operator+=(const Costs& o) {
    for (const CostField& f : kCostFields)
        this->*f.member += o.*f.member;
    return *this;
}

namespace {

constexpr uint64_t kNsPerSecond = 1000000000;

void set_bit(std::vector<uint64_t>& b, uint64_t i) {
    b[i / 64] |= 1ull << (i % 64);
}

uint64_t popcount(const std::vector<uint64_t>& b) {
    uint64_t n = 0;
    for (uint64_t w : b)
        n += uint64_t(__builtin_popcountll(w));
    return n;
}

// One memslot as the migration sees it: QEMU's bitmaps for it, and the truth tracker's two
// copies of its memory (a version number a page: how many writes it has seen).
struct SlotTrack {
    uint16_t id = 0;
    uint64_t base_gfn = 0, npages = 0;
    std::vector<uint64_t> to_send;    // the round's set (QEMU's RAM dirty bitmap)
    std::vector<uint64_t> collected;  // collected from KVM since the last sync
    std::vector<uint64_t> uncleared;  // clear mode: bits GET returned that are not cleared yet
    std::vector<uint8_t> chunk_dirty; // clear mode: a chunk of to_send still to clear in KVM
    std::vector<uint32_t> src, dst;
};

// Why a write went unrecorded, kept for the pages it touched.
struct Note {
    std::string writer;
    uint64_t when_ns = 0;
    std::string why;
};

class Migration : public EventSink {
  public:
    Migration(Kvm& kvm, Vmm& vmm, const MigrationConfig& config,
              const std::function<bool(const Progress&)>& progress)
        : kvm_(kvm), vmm_(vmm), c_(config), progress_(progress) {}

    MigrationResult run(const std::map<uint32_t, WorkloadSpec>& workloads);
    void emit(const Event& e, std::string_view why) override;

  private:
    bool setup(const std::map<uint32_t, WorkloadSpec>& workloads);
    // Runs the vCPUs up to time t (each from where its own clock stands).
    void run_vcpus(uint64_t t);
    void run_vcpu(size_t i, uint64_t t);
    // The kernel's own writes with no vCPU that fall due by time t.
    void kernel_writes(uint64_t t);
    // A write by KVM itself: the page changes, and if nothing recorded it, why.
    void write_page(uint64_t gfn, const std::string& writer, MarkOutcome m, uint64_t when);
    // A guest write completed: the source page changes.
    void bump(uint64_t gfn) {
        SlotTrack* s = last_written_;
        if (!s || gfn - s->base_gfn >= s->npages) {
            s = nullptr;
            for (SlotTrack& t : slots_)
                if (gfn - t.base_gfn < t.npages)
                    s = &t;
            if (!s)
                return; // not RAM: an MMIO write
            last_written_ = s;
        }
        s->src[gfn - s->base_gfn]++;
    }
    // The dirty-tracking work below returns the userspace time it took, and counts it in the
    // round's vmm_ns itself.
    // Harvests every ring and resets.
    uint64_t reap_all();
    // Collects from KVM into `collected` and moves it into to_send.
    uint64_t sync(bool last_stage);
    uint64_t get_dirty_log(SlotTrack& s);
    uint64_t clear_chunk(SlotTrack& s, uint64_t chunk);
    // Sends the pages of the round's set due by time t.
    void send_due(uint64_t t);
    void send_page(SlotTrack& s, uint64_t off);
    // Pages in the set to send.
    uint64_t set_size() const;
    // The round's set is what to_send holds now; sending starts at `at`, from the first page.
    void start_sending(uint64_t at);
    // The round is over: into the result.
    void close_round();
    void check_truth();
    SlotTrack* track_of(uint32_t slot_number);
    std::string vcpu_name(uint32_t id) const { return "vcpu " + std::to_string(id); }
    bool report(bool stopping, const Round* finished = nullptr);

    Kvm& kvm_;
    Vmm& vmm_;
    const MigrationConfig& c_;
    const std::function<bool(const Progress&)>& progress_;
    MigrationResult r_;
    std::vector<SlotTrack> slots_;
    SlotTrack* last_written_ = nullptr;
    struct VcpuRun {
        std::unique_ptr<WriteStream> stream;
        uint64_t clock = 0;   // the time the vCPU has reached (running time plus stalls)
        uint64_t running = 0; // running time
        PageList program;     // this tick's writes
    };
    std::vector<VcpuRun> vcpus_; // in kvm.vcpus order
    std::map<uint32_t, size_t> vcpu_index_;
    uint64_t now_ = 0;
    uint64_t event_time_ = 0; // when what the engine is reporting now happens
    Round round_;
    uint64_t send_start_ = 0; // when this round's sending began
    uint64_t send_delay_ = 0; // migration-thread time spent in ioctls since then
    size_t cursor_slot_ = 0;
    uint64_t cursor_off_ = 0;
    size_t next_kernel_write_ = 0;
    std::map<uint64_t, Note> notes_; // gfn → why its last unrecorded write was not recorded
    // Plain harvesting on a model that allows the stale read: the harvester's view of each
    // entry's offset from the lap before (per vCPU), and whether the race is still to happen.
    bool stale_read_armed_ = false;
    std::map<uint32_t, std::vector<uint64_t>> seen_offset_;
    std::map<uint32_t, std::vector<uint8_t>> seen_slot_valid_;
};

SlotTrack* Migration::track_of(uint32_t slot_number) {
    if (slot_number >> 16)
        return nullptr;
    for (SlotTrack& s : slots_)
        if (s.id == (slot_number & 0xffff))
            return &s;
    return nullptr;
}

void Migration::emit(const Event& e, std::string_view) {
    Costs& k = round_.costs;
    auto stall = [&](uint64_t ns) {
        if (auto it = vcpu_index_.find(e.vcpu); it != vcpu_index_.end())
            vcpus_[it->second].clock += ns;
        k.stalled_ns += ns;
    };
    switch (e.kind) {
    case EventKind::GuestFault:
        k.faults++;
        stall(c_.costs.fault);
        break;
    case EventKind::PmlFullExit:
        k.pml_full_exits++;
        stall(c_.costs.pml_full);
        break;
    case EventKind::SoftFullExit:
        k.ring_full_exits++;
        stall(c_.costs.ring_full);
        break;
    case EventKind::TlbFlush:
        k.tlb_flushes++;
        break;
    case EventKind::Ioctl:
        switch (IoctlId(e.aux)) {
        case IoctlId::GetDirtyLog:
            k.get_dirty_log++;
            k.ioctls++;
            break;
        case IoctlId::ClearDirtyLog:
            k.clear_dirty_log++;
            k.ioctls++;
            break;
        case IoctlId::ResetDirtyRings:
            k.reset_rings++;
            k.ioctls++;
            break;
        case IoctlId::SetUserMemoryRegion:
            k.ioctls++;
            break;
        default:
            break;
        }
        break;
    case EventKind::Harvest: {
        k.ring_entries++;
        SlotTrack* s = track_of(e.slot);
        uint64_t off = e.a;
        if (!seen_offset_.empty()) { // plain harvesting: remember what this entry held
            const uint32_t size = kvm_.dirty_ring_size / sizeof(DirtyGfn);
            auto& seen = seen_offset_[e.vcpu];
            auto& valid = seen_slot_valid_[e.vcpu];
            if (seen.empty()) {
                seen.assign(size, 0);
                valid.assign(size, 0);
            }
            const uint32_t i = e.n & (size - 1);
            if (stale_read_armed_ && valid[i] && seen[i] != off && s) {
                // The model lets the offset read see the lap before's store: this push's page
                // is never recorded, and the older page is recorded in its place.
                const uint64_t real = off;
                off = seen[i];
                stale_read_armed_ = false;
                notes_[s->base_gfn + real] = {
                    vcpu_name(e.vcpu), event_time_,
                    "the harvester saw the DIRTY flag of ring entry " + std::to_string(i) +
                        " (index " + std::to_string(e.n) +
                        ") but, with plain loads on a weakly "
                        "ordered CPU, read the offset left by the lap before and collected " +
                        hex(s->base_gfn + off) +
                        " instead (stale-read); KVM then reset the "
                        "entry and re-protected this page"};
            }
            seen[i] = e.a;
            valid[i] = 1;
        }
        if (s && off < s->npages)
            set_bit(s->collected, off);
        break;
    }
    default:
        break;
    }
}

bool Migration::setup(const std::map<uint32_t, WorkloadSpec>& workloads) {
    if (kvm_.memslots.empty() || kvm_.memslots[0].empty()) {
        r_.error = "no memslot to migrate";
        return false;
    }
    if (!c_.its_save.empty() && kvm_.config.spec.arch != Arch::Arm64) {
        r_.error = "its-save: the vGIC ITS is arm64's";
        return false;
    }
    for (const auto& [id, w] : workloads)
        if (!kvm_.vcpu_by_id(id)) {
            r_.error = "workload for vcpu " + std::to_string(id) + ", which was never created";
            return false;
        }
    r_.page_size = kvm_.config.spec.page_size;
    uint64_t pages = 0;
    for (const auto& [id, slot] : kvm_.memslots[0])
        pages += slot.npages;
    if (c_.max_pages && pages > c_.max_pages) {
        r_.error = "the guest has " + std::to_string(pages) + " pages; Ringside migrates at most " +
                   std::to_string(c_.max_pages) + " (the truth tracker keeps two copies of each)";
        return false;
    }
    for (auto& [id, slot] : kvm_.memslots[0]) {
        SlotTrack s;
        s.id = id;
        s.base_gfn = slot.base_gfn;
        s.npages = slot.npages;
        const uint64_t words = (slot.npages + 63) / 64;
        s.to_send.assign(words, 0);
        s.collected.assign(words, 0);
        if (r_.mode == Mode::Clear) {
            s.uncleared.assign(words, 0);
            s.chunk_dirty.assign((slot.npages + c_.clear_chunk_pages - 1) / c_.clear_chunk_pages,
                                 0);
        }
        s.src.assign(slot.npages, 0);
        s.dst.assign(slot.npages, 0);
        r_.pages += slot.npages;
        slots_.push_back(std::move(s));
    }
    // Every workload over the whole of address space 0 unless it names its pages.
    PageList all;
    for (const SlotTrack& s : slots_)
        all.push_back({s.base_gfn, s.base_gfn + s.npages - 1});
    std::map<std::pair<uint64_t, uint32_t>, std::shared_ptr<const ZipfTable>> zipf;
    for (const Vcpu& v : kvm_.vcpus) {
        VcpuRun run;
        if (auto it = workloads.find(v.vcpu_id); it != workloads.end()) {
            PageList pages = it->second.pages.empty() ? all : it->second.pages;
            uint64_t n = 0;
            for (const PageRange& p : pages)
                n += p.count();
            std::shared_ptr<const ZipfTable> table;
            if (it->second.pattern == Pattern::HotSet && n) {
                const uint64_t hot = std::min(n, it->second.hot ? it->second.hot : (n + 3) / 4);
                auto& t = zipf[{hot, it->second.zipf_milli}];
                if (!t)
                    t = std::make_shared<ZipfTable>(hot, it->second.zipf_milli);
                table = t;
            }
            run.stream = std::make_unique<WriteStream>(it->second, std::move(pages), v.vcpu_id,
                                                       std::move(table));
        }
        vcpu_index_[v.vcpu_id] = vcpus_.size();
        vcpus_.push_back(std::move(run));
    }
    // Plain harvesting: ask the memory model whether the harvester can read a stale offset.
    if (c_.harvest == HarvestOrder::Plain && kvm_.dirty_ring_size) {
        ordering::RingSetup rs;
        rs.arch =
            kvm_.config.spec.arch == Arch::X86_64 ? ordering::Arch::X86 : ordering::Arch::AArch64;
        rs.harvest = HarvestOrder::Plain;
        const ordering::ExploreResult ex = ordering::explore(ordering::ring_program(rs));
        const bool allowed = ex.by_race[size_t(ordering::RingRace::StaleRead)] > 0;
        r_.ordering_note =
            std::string("plain harvest on ") +
            (rs.arch == ordering::Arch::X86 ? "x86 (TSO)" : "arm64 (aarch64.cat)") +
            (allowed ? ": the model allows a stale offset read (" +
                           std::to_string(ex.by_race[size_t(ordering::RingRace::StaleRead)]) +
                           " of " + std::to_string(ex.executions) +
                           " executions of 2 entries x "
                           "2 laps); the migration takes it at the first recycled entry"
                     : ": the model allows no stale read (" + std::to_string(ex.executions) +
                           " executions of 2 entries x 2 laps)");
        stale_read_armed_ = allowed;
        for (const Vcpu& v : kvm_.vcpus)
            seen_offset_[v.vcpu_id]; // turns the bookkeeping on
    }
    return true;
}

void Migration::write_page(uint64_t gfn, const std::string& writer, MarkOutcome m, uint64_t when) {
    bump(gfn);
    if (m.mark == Mark::Lost || m.mark == Mark::Oops) {
        const Memslot* slot = kvm_.gfn_to_memslot(0, gfn);
        std::string why;
        if (m.mark == Mark::Oops)
            why = "mark_page_dirty_in_slot with the ring on and no running vCPU dereferences a "
                  "NULL vCPU (5.11-5.16): nothing recorded it";
        else if (!kvm_.config.use_dirty_bitmap_6_2)
            why = "mark_page_dirty_in_slot with no running vCPU, on a kernel built with the "
                  "dirty ring: WARN_ON_ONCE and return before the slot is looked at (5.17-6.1), "
                  "ring or no ring";
        else
            why = std::string("mark_page_dirty_in_slot with no running vCPU: no ring to push "
                              "to and slot ") +
                  std::to_string(slot ? slot->id : 0) +
                  " has no dirty bitmap (KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP not enabled)";
        notes_[gfn] = {writer, when, why};
    }
}

void Migration::kernel_writes(uint64_t t) {
    while (next_kernel_write_ < c_.kernel_writes.size() &&
           c_.kernel_writes[next_kernel_write_].first <= t) {
        const auto [when, gfn] = c_.kernel_writes[next_kernel_write_++];
        const MarkOutcome m = kvm_write_guest_page(kvm_, nullptr, gfn, VgicWrite::None);
        write_page(gfn, "KVM (no vCPU)", m, when);
    }
}

void Migration::run_vcpu(size_t i, uint64_t t) {
    VcpuRun& v = vcpus_[i];
    Vcpu& vcpu = kvm_.vcpus[i];
    if (v.clock >= t) // still stalled
        return;
    v.running += t - v.clock;
    v.clock = t;
    if (!v.stream)
        return;
    v.program.clear();
    if (v.stream->take_due(v.running, &v.program) == 0 && !vcpu.pending)
        return;
    // Runs the program, re-entering after each exit with what is left of it.
    size_t range = 0;
    uint64_t skip = 0; // accesses of program[range] already done
    for (int guard = 0;; ++guard) {
        GuestProgram p;
        p.write = true;
        if (range < v.program.size()) {
            p.pages.assign(v.program.begin() + long(range), v.program.end());
            p.pages.front().first += skip;
        }
        const bool had_pending = vcpu.pending.has_value();
        const uint64_t pending_gfn = had_pending ? vcpu.pending->gfn : 0;
        event_time_ = v.clock;
        const RunResult rr = kvm_arch_vcpu_ioctl_run(kvm_, vcpu, p);
        // What completed: the resumed access first, then the program's, in order.
        uint64_t program_done = rr.done;
        if (had_pending && rr.done > 0) {
            bump(pending_gfn);
            program_done--;
        }
        round_.costs.guest_writes += rr.done;
        // Past the completed accesses, the program consumed one more when it now waits
        // pending (a fault, or a soft-full exit) or was an MMIO exit (dropped).
        const bool new_pending = vcpu.pending && (!had_pending || rr.done > 0);
        const bool one_more = new_pending || rr.exit == ExitReason::Mmio;
        // Marks the completed accesses written, walking the program range by range.
        uint64_t left = program_done;
        while (left > 0 && range < v.program.size()) {
            const PageRange& r = v.program[range];
            const uint64_t in_range = r.count() - skip;
            const uint64_t n = std::min(left, in_range);
            for (uint64_t g = r.first + skip; g < r.first + skip + n; ++g)
                bump(g);
            left -= n;
            skip += n;
            if (skip == r.count()) {
                ++range;
                skip = 0;
            }
        }
        if (one_more && range < v.program.size()) {
            if (++skip == v.program[range].count()) {
                ++range;
                skip = 0;
            }
        }
        if (rr.exit != ExitReason::DirtyRingFull)
            break;
        // KVM_EXIT_DIRTY_RING_FULL: this vCPU's thread reaps every ring (QEMU, without
        // dirty-limit), which it pays for in stalled time, then runs again.
        const uint64_t cost = reap_all();
        v.clock += cost;
        round_.costs.stalled_ns += cost;
        if (guard > 4 || dirty_ring_soft_full(*vcpu.dirty_ring))
            break; // nothing was reset (cannot happen with a correct harvester)
    }
}

void Migration::run_vcpus(uint64_t t) {
    for (size_t i = 0; i < vcpus_.size(); ++i)
        run_vcpu(i, t);
}

uint64_t Migration::reap_all() {
    uint64_t entries = 0;
    for (Vcpu& v : kvm_.vcpus)
        if (v.dirty_ring)
            entries += vmm_harvest_ring(vmm_, *v.dirty_ring, v.vcpu_id, ~0ull, c_.harvest, this);
    uint64_t cost = entries * c_.costs.per_entry;
    if (entries) {
        const uint64_t flushes = round_.costs.tlb_flushes;
        const KRet r = kvm_vm_ioctl_reset_dirty_pages(kvm_);
        cost += c_.costs.ioctl + uint64_t(r.value) * c_.costs.per_rearm +
                (round_.costs.tlb_flushes - flushes) * c_.costs.tlb_flush;
    }
    round_.costs.vmm_ns += cost;
    return cost;
}

uint64_t Migration::get_dirty_log(SlotTrack& s) {
    const uint64_t flushes = round_.costs.tlb_flushes;
    BitmapWords words;
    const KRet r = kvm_get_dirty_log_protect(kvm_, s.id, &words);
    if (r.value != 0) {
        round_.costs.vmm_ns += c_.costs.ioctl;
        return c_.costs.ioctl;
    }
    const uint64_t bytes = (s.npages + 63) / 64 * 8;
    round_.costs.bitmap_bytes += bytes;
    uint64_t pages = 0;
    for (const auto& [i, w] : words) {
        s.collected[i] |= w;
        if (r_.mode == Mode::Clear)
            s.uncleared[i] |= w;
        pages += uint64_t(__builtin_popcountll(w));
    }
    // Without manual protect GET re-protects every page it returns.
    const uint64_t rearmed = r_.mode == Mode::Clear ? 0 : pages;
    const uint64_t cost = c_.costs.ioctl + bytes * c_.costs.per_kib_bitmap / 1024 +
                          rearmed * c_.costs.per_rearm +
                          (round_.costs.tlb_flushes - flushes) * c_.costs.tlb_flush;
    round_.costs.vmm_ns += cost;
    return cost;
}

uint64_t Migration::sync(bool last_stage) {
    uint64_t cost = 0;
    event_time_ = now_;
    if (r_.mode == Mode::Ring || r_.mode == Mode::RingBitmap)
        cost += reap_all();
    if (r_.mode == Mode::Bitmap || r_.mode == Mode::Clear ||
        (r_.mode == Mode::RingBitmap && last_stage))
        for (SlotTrack& s : slots_)
            cost += get_dirty_log(s);
    for (SlotTrack& s : slots_) {
        for (size_t i = 0; i < s.collected.size(); ++i) {
            s.to_send[i] |= s.collected[i];
            s.collected[i] = 0;
        }
        // Clear mode: every chunk of the new set must be cleared in KVM before it is sent.
        if (r_.mode == Mode::Clear)
            for (uint64_t ch = 0; ch < s.chunk_dirty.size(); ++ch) {
                const uint64_t w0 = ch * c_.clear_chunk_pages / 64;
                const uint64_t w1 =
                    std::min<uint64_t>(s.uncleared.size(), (ch + 1) * c_.clear_chunk_pages / 64);
                for (uint64_t w = w0; w < w1 && !s.chunk_dirty[ch]; ++w)
                    s.chunk_dirty[ch] = s.uncleared[w] != 0;
            }
    }
    return cost;
}

uint64_t Migration::clear_chunk(SlotTrack& s, uint64_t chunk) {
    s.chunk_dirty[chunk] = 0;
    const uint64_t first = chunk * c_.clear_chunk_pages;
    const uint64_t num = std::min(c_.clear_chunk_pages, s.npages - first);
    uint64_t bits = 0;
    for (uint64_t w = first / 64; w < (first + num + 63) / 64; ++w)
        bits += uint64_t(__builtin_popcountll(s.uncleared[w]));
    if (bits == 0)
        return 0;
    const uint64_t flushes = round_.costs.tlb_flushes;
    kvm_clear_dirty_log_protect(kvm_, s.id, first, uint32_t(num),
                                [&](uint64_t k) { return s.uncleared[first / 64 + k]; });
    for (uint64_t w = first / 64; w < (first + num + 63) / 64; ++w)
        s.uncleared[w] = 0;
    const uint64_t cost = c_.costs.ioctl + num / 8 * c_.costs.per_kib_bitmap / 1024 +
                          bits * c_.costs.per_rearm +
                          (round_.costs.tlb_flushes - flushes) * c_.costs.tlb_flush;
    round_.costs.vmm_ns += cost;
    return cost;
}

void Migration::send_page(SlotTrack& s, uint64_t off) {
    if (r_.mode == Mode::Clear) {
        const uint64_t ch = off / c_.clear_chunk_pages;
        if (s.chunk_dirty[ch])
            send_delay_ += clear_chunk(s, ch);
    }
    s.to_send[off / 64] &= ~(1ull << (off % 64));
    s.dst[off] = s.src[off];
    round_.sent++;
}

void Migration::send_due(uint64_t t) {
    for (;;) {
        const uint64_t start = send_start_ + send_delay_;
        const uint64_t due = t <= start
                                 ? 0
                                 : uint64_t((unsigned __int128)(t - start) * c_.bandwidth /
                                            ((unsigned __int128)r_.page_size * kNsPerSecond));
        if (round_.sent >= due || round_.sent >= round_.dirty)
            return;
        // The next page of the set, ascending.
        while (cursor_slot_ < slots_.size()) {
            SlotTrack& s = slots_[cursor_slot_];
            uint64_t w = cursor_off_ / 64;
            uint64_t bits = w < s.to_send.size() ? s.to_send[w] & (~0ull << (cursor_off_ % 64)) : 0;
            while (!bits && ++w < s.to_send.size())
                bits = s.to_send[w];
            if (bits) {
                cursor_off_ = w * 64 + uint64_t(__builtin_ctzll(bits));
                break;
            }
            ++cursor_slot_;
            cursor_off_ = 0;
        }
        if (cursor_slot_ >= slots_.size())
            return; // cannot happen: round_.dirty counted the set
        send_page(slots_[cursor_slot_], cursor_off_);
    }
}

uint64_t Migration::set_size() const {
    uint64_t n = 0;
    for (const SlotTrack& s : slots_)
        n += popcount(s.to_send);
    return n;
}

void Migration::start_sending(uint64_t at) {
    round_.dirty = set_size();
    send_start_ = at;
    send_delay_ = 0;
    cursor_slot_ = 0;
    cursor_off_ = 0;
}

void Migration::close_round() {
    r_.pages_sent += round_.sent;
    r_.total += round_.costs;
    r_.per_round.push_back(round_);
}

bool Migration::report(bool stopping, const Round* finished) {
    if (!progress_)
        return true;
    Progress p;
    p.finished = finished;
    p.round = round_.index;
    p.sent = round_.sent;
    p.dirty = round_.dirty;
    p.now_ns = now_;
    p.stopping = stopping;
    return progress_(p);
}

void Migration::check_truth() {
    for (const SlotTrack& s : slots_)
        for (uint64_t off = 0; off < s.npages; ++off) {
            if (s.src[off] == s.dst[off])
                continue;
            LostPage l;
            l.gfn = s.base_gfn + off;
            l.slot = s.id;
            l.offset = off;
            if (auto it = notes_.find(l.gfn); it != notes_.end()) {
                l.writer = it->second.writer;
                l.when_ns = it->second.when_ns;
                l.why = it->second.why;
            } else {
                l.writer = "?";
                l.why = "written after it was last sent and never reported";
            }
            r_.lost.push_back(std::move(l));
        }
}

// The time to send n pages at the bandwidth, rounded up.
uint64_t send_time(uint64_t n, uint64_t page_size, uint64_t bandwidth) {
    const unsigned __int128 num = (unsigned __int128)n * page_size * kNsPerSecond;
    return uint64_t((num + bandwidth - 1) / bandwidth);
}

MigrationResult Migration::run(const std::map<uint32_t, WorkloadSpec>& workloads) {
    r_.mode = mode_of(kvm_);
    r_.bandwidth = c_.bandwidth;
    r_.downtime_limit_ns = c_.downtime_ns;
    if (c_.bandwidth == 0 || c_.tick_ns == 0 || c_.max_rounds == 0 ||
        (c_.clear_chunk_pages & (c_.clear_chunk_pages - 1)) || c_.clear_chunk_pages < 64) {
        r_.error = "bad migration settings: bandwidth, tick and max-rounds must be positive, and "
                   "the clear chunk a power of two of at least 64 pages";
        return r_;
    }
    if (!setup(workloads))
        return r_;
    EventSink* const saved_sink = kvm_.events;
    kvm_.events = this;
    struct Restore {
        Kvm& k;
        EventSink* s;
        ~Restore() { k.events = s; }
    } restore{kvm_, saved_sink};

    round_ = Round{};
    // Setup: logging on for every slot (memory_global_dirty_log_start), then the first sync;
    // round 0's set is every page (ram_list_init_bitmaps sets them all).
    uint64_t setup_cost = 0;
    for (SlotTrack& s : slots_) {
        const Memslot& m = kvm_.memslots[0].at(s.id);
        if (!m.dirty_track_enabled()) {
            const uint64_t flushes = round_.costs.tlb_flushes;
            const KRet ret = kvm_set_memory_region(kvm_, 0, s.id, m.flags | KVM_MEM_LOG_DIRTY_PAGES,
                                                   m.base_gfn, m.npages);
            if (!ret.ok()) {
                r_.error = "turning logging on for slot " + std::to_string(s.id) + ": " + ret.why;
                return r_;
            }
            const uint64_t c =
                c_.costs.ioctl + (round_.costs.tlb_flushes - flushes) * c_.costs.tlb_flush;
            round_.costs.vmm_ns += c;
            setup_cost += c;
        }
    }
    setup_cost += sync(false);
    for (SlotTrack& s : slots_) {
        std::fill(s.to_send.begin(), s.to_send.end(), ~0ull);
        if (s.npages % 64)
            s.to_send.back() = (1ull << (s.npages % 64)) - 1;
        if (r_.mode == Mode::Clear) // what GET returned must still be cleared as it is sent
            for (uint64_t ch = 0; ch < s.chunk_dirty.size(); ++ch)
                s.chunk_dirty[ch] = 1;
    }
    now_ = 0;
    uint64_t send_at = setup_cost;
    uint64_t next_reap = c_.reap_interval_ns;
    const bool reaper = r_.mode == Mode::Ring || r_.mode == Mode::RingBitmap;
    uint64_t total_ticks = 0;

    for (;;) {
        // One round: send the set while the guest runs.
        round_.start_ns = now_;
        start_sending(send_at);
        uint64_t ticks = 0;
        while (round_.sent < round_.dirty) {
            const uint64_t end =
                send_start_ + send_delay_ + send_time(round_.dirty, r_.page_size, c_.bandwidth);
            const uint64_t t = std::min(now_ + c_.tick_ns, std::max(end, now_ + 1));
            kernel_writes(t);
            run_vcpus(t);
            if (reaper && t >= next_reap) {
                event_time_ = t;
                reap_all(); // the kvm-reaper thread: its own time, nobody waits for it
                next_reap += c_.reap_interval_ns;
            }
            now_ = t;
            send_due(t);
            if (c_.max_ticks && ++total_ticks > c_.max_ticks) {
                r_.error = "the migration runs past " + std::to_string(c_.max_ticks) +
                           " ticks of simulated time; raise tick= or bandwidth=";
                return r_;
            }
            if (c_.max_writes &&
                r_.total.guest_writes + round_.costs.guest_writes > c_.max_writes) {
                r_.error = "the migration's guest writes pass " + std::to_string(c_.max_writes) +
                           "; lower the workloads' rate=";
                return r_;
            }
            if (++ticks % 1024 == 0 && !report(false)) {
                r_.error = "cancelled";
                return r_;
            }
        }
        // The set is sent: sync, and decide.
        const uint64_t cost = sync(false);
        round_.end_ns = now_ + cost;
        close_round();
        r_.rounds++;
        if (!report(false, &r_.per_round.back())) {
            r_.error = "cancelled";
            return r_;
        }
        const uint64_t pending = set_size();
        const unsigned __int128 need = (unsigned __int128)pending * r_.page_size * kNsPerSecond;
        const unsigned __int128 have = (unsigned __int128)c_.bandwidth * c_.downtime_ns;
        r_.converged = need <= have;
        if (r_.converged || r_.rounds >= c_.max_rounds)
            break;
        round_ = Round{};
        round_.index = r_.rounds;
        send_at = now_ + cost;
        if (!report(false)) {
            r_.error = "cancelled";
            return r_;
        }
    }

    // Stop and copy: the vCPUs stop where they are (their clocks run to the sync's end, which
    // already counted the final pre-copy sync), the vGIC saves its tables, the last sync.
    const uint64_t stop_at = r_.per_round.back().end_ns;
    Round stop;
    stop.index = r_.rounds;
    stop.stop = true;
    stop.start_ns = stop_at;
    round_ = stop;
    now_ = stop_at;
    run_vcpus(stop_at);
    kernel_writes(stop_at);
    for (const PageRange& p : c_.its_save)
        for (uint64_t gfn = p.first; gfn <= p.last; ++gfn) {
            const MarkOutcome m = kvm_write_guest_page(kvm_, nullptr, gfn, VgicWrite::ItsSave);
            write_page(gfn, "KVM (vGIC ITS save)", m, stop_at);
        }
    start_sending(stop_at + sync(true));
    send_due(~0ull >> 8); // everything: nothing else runs while the guest is stopped
    now_ = send_start_ + send_delay_ + send_time(round_.dirty, r_.page_size, c_.bandwidth);
    round_.end_ns = now_;
    r_.downtime_ns = round_.end_ns - stop_at;
    close_round();
    r_.total_ns = now_;
    report(true, &r_.per_round.back());
    check_truth();
    return r_;
}

} // namespace

void report_events(Kvm& kvm, const MigrationResult& r) {
    for (size_t i = 0; i < r.per_round.size(); ++i) {
        const Round& x = r.per_round[i];
        const bool last_precopy = i + 2 == r.per_round.size();
        Event e{EventKind::MigrationRound, uint8_t(x.stop),
                uint8_t(last_precopy ? (r.converged ? 1 : 2) : 0)};
        e.n = x.index;
        e.a = x.sent;
        e.b = x.stop ? x.dirty : r.per_round[i + 1].dirty;
        e.slot = uint32_t(std::min<uint64_t>((x.end_ns - x.start_ns) / 100000, ~0u));
        kvm.emit(e);
    }
    for (size_t i = 0; i < r.lost.size() && i < 64; ++i) {
        const LostPage& l = r.lost[i];
        Event e{EventKind::LostPage};
        e.slot = l.slot;
        e.a = l.gfn;
        e.b = l.offset;
        kvm.emit(e, "written by " + l.writer + " at " + ms_text(l.when_ns) + "; " + l.why);
    }
}

MigrationResult migrate(Kvm& kvm, Vmm& vmm, const std::map<uint32_t, WorkloadSpec>& workloads,
                        const MigrationConfig& config,
                        const std::function<bool(const Progress&)>& progress) {
    Migration m(kvm, vmm, config, progress);
    return m.run(workloads);
}

std::string MigrationResult::summary() const {
    if (!error.empty())
        return error;
    return std::string(converged ? "converged" : "failed") +
           " mode=" + std::string(mode_name(mode)) + " rounds=" + std::to_string(rounds) +
           " sent=" + std::to_string(pages_sent) + " downtime=" + ms_text(downtime_ns) +
           " lost=" + std::to_string(lost.size());
}

std::string MigrationResult::round_text(size_t i) const {
    const Round& r = per_round[i];
    const Costs& c = r.costs;
    return std::string(r.stop ? "stop " : "") + "dirty=" + std::to_string(r.dirty) +
           " sent=" + std::to_string(r.sent) + " time=" + ms_text(r.end_ns - r.start_ns) +
           " writes=" + std::to_string(c.guest_writes) + " ioctls=" + std::to_string(c.ioctls) +
           " bitmap-bytes=" + std::to_string(c.bitmap_bytes) +
           " entries=" + std::to_string(c.ring_entries) +
           " ring-full=" + std::to_string(c.ring_full_exits) +
           " pml-full=" + std::to_string(c.pml_full_exits) + " faults=" + std::to_string(c.faults) +
           " flushes=" + std::to_string(c.tlb_flushes) + " stalled=" + ms_text(c.stalled_ns);
}

std::string MigrationResult::lost_text(size_t i) const {
    const LostPage& l = lost[i];
    return hex(l.gfn) + " slot=" + std::to_string(l.slot) + " offset=" + hex(l.offset) +
           " by=" + l.writer + " at=" + ms_text(l.when_ns) + ": " + l.why;
}

std::string costs_csv_header() {
    std::string out = "mode,round,stop,start_ns,end_ns,dirty,sent";
    for (const CostField& f : kCostFields)
        out += std::string(",") + f.name;
    return out;
}

std::string costs_csv_rows(const MigrationResult& m, std::string_view prefix) {
    std::string out;
    for (const Round& r : m.per_round) {
        out += std::string(prefix) + std::string(mode_name(m.mode)) + "," +
               std::to_string(r.index) + "," + (r.stop ? "1" : "0") + "," +
               std::to_string(r.start_ns) + "," + std::to_string(r.end_ns) + "," +
               std::to_string(r.dirty) + "," + std::to_string(r.sent);
        for (const CostField& f : kCostFields)
            out += "," + std::to_string(r.costs.*f.member);
        out += "\n";
    }
    return out;
}

std::string costs_csv(const std::vector<MigrationResult>& runs) {
    std::string out = costs_csv_header() + "\n";
    for (const MigrationResult& m : runs)
        out += costs_csv_rows(m);
    return out;
}

namespace {

nlohmann::ordered_json costs_to_json(const Costs& c) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    for (const CostField& f : kCostFields)
        o[f.name] = c.*f.member;
    return o;
}

} // namespace

nlohmann::ordered_json result_to_json(const MigrationResult& r) {
    nlohmann::ordered_json rounds = nlohmann::ordered_json::array();
    for (const Round& x : r.per_round)
        rounds.push_back({{"index", x.index},
                          {"stop", x.stop},
                          {"start_ns", x.start_ns},
                          {"end_ns", x.end_ns},
                          {"dirty", x.dirty},
                          {"sent", x.sent},
                          {"costs", costs_to_json(x.costs)}});
    nlohmann::ordered_json lost = nlohmann::ordered_json::array();
    for (const LostPage& l : r.lost)
        lost.push_back({{"gfn", l.gfn},
                        {"slot", l.slot},
                        {"offset", l.offset},
                        {"writer", l.writer},
                        {"when_ns", l.when_ns},
                        {"why", l.why}});
    return {{"mode", std::string(mode_name(r.mode))},
            {"converged", r.converged},
            {"error", r.error},
            {"rounds", r.rounds},
            {"pages", r.pages},
            {"pages_sent", r.pages_sent},
            {"downtime_ns", r.downtime_ns},
            {"total_ns", r.total_ns},
            {"page_size", r.page_size},
            {"total", costs_to_json(r.total)},
            {"per_round", std::move(rounds)},
            {"lost", std::move(lost)},
            {"ordering_note", r.ordering_note}};
}

std::string result_json(const MigrationResult& r) {
    return result_to_json(r).dump();
}

} // namespace ringside::migrate
