#include "runner.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace ringside::scenario {

void ListBuilder::add_range(uint64_t first, uint64_t last) {
    if (open_ && first == last_ + 1) {
        last_ = last;
        return;
    }
    flush();
    open_ = true;
    first_ = first;
    last_ = last;
}

void ListBuilder::flush() {
    if (!open_)
        return;
    if (!out_.empty())
        out_ += ',';
    out_ += std::to_string(first_);
    if (last_ - first_ >= 2)
        out_ += '-' + std::to_string(last_);
    else if (last_ == first_ + 1)
        out_ += ',' + std::to_string(last_);
    open_ = false;
}

std::string ListBuilder::str() {
    flush();
    return out_.empty() ? "-" : out_;
}

std::string format_list(const std::vector<uint64_t>& sorted_unique) {
    ListBuilder b;
    for (uint64_t v : sorted_unique)
        b.add(v);
    return b.str();
}

namespace {

using Result = std::variant<std::string, ParseError>;

ParseError error_at(int col, std::string message) {
    return ParseError{col, std::move(message)};
}

// The set bits of words, as a LIST of page offsets below npages.
template <class ForEachWord> std::string bits_list(ForEachWord&& for_each_word, uint64_t npages) {
    ListBuilder b;
    for_each_word([&](uint64_t i, uint64_t w) {
        if (w == ~0ull && i * 64 + 63 < npages) {
            b.add_range(i * 64, i * 64 + 63);
            return;
        }
        for (uint64_t m = w; m; m &= m - 1) {
            const uint64_t off = i * 64 + static_cast<uint64_t>(__builtin_ctzll(m));
            if (off < npages)
                b.add(off);
        }
    });
    return b.str();
}

std::string too_many_pages(uint64_t limit) {
    return "this would touch more than " + std::to_string(limit) +
           " pages of memslots in one command, more than Ringside simulates at once; split it";
}

uint64_t pages_listed(const PageList& list) {
    uint64_t n = 0;
    for (const PageRange& r : list)
        n = r.last - r.first >= ~0ull - n ? ~0ull : n + r.last - r.first + 1;
    return n;
}

// The gfn ranges covered by memslots of the given address spaces, sorted and merged.
std::vector<PageRange> slot_ranges(const Kvm& kvm, bool all_address_spaces) {
    std::vector<PageRange> r;
    for (size_t as = 0; as < (all_address_spaces ? kvm.memslots.size() : 1); ++as)
        for (const auto& [id, s] : kvm.memslots[as])
            r.push_back({s.base_gfn, s.base_gfn + s.npages - 1});
    std::sort(r.begin(), r.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::vector<PageRange> merged;
    for (const PageRange& x : r)
        if (!merged.empty() && x.first <= merged.back().last + 1)
            merged.back().last = std::max(merged.back().last, x.last);
        else
            merged.push_back(x);
    return merged;
}

// Calls f(lo, hi) for each part of the listed ranges that lies in one of the slot ranges.
template <class F>
void for_each_part_in_slots(const PageList& list, const std::vector<PageRange>& slots, F&& f) {
    for (const PageRange& r : list)
        for (const PageRange& s : slots) {
            const uint64_t lo = std::max(r.first, s.first);
            const uint64_t hi = std::min(r.last, s.last);
            if (lo <= hi)
                f(lo, hi);
        }
}

// How many listed pages fall in a memslot (the rest are MMIO or missed), saturating.
uint64_t pages_in_slots(const Kvm& kvm, const PageList& list, bool all_address_spaces = false) {
    uint64_t n = 0;
    for_each_part_in_slots(
        list, slot_ranges(kvm, all_address_spaces),
        [&](uint64_t lo, uint64_t hi) { n = hi - lo >= ~0ull - n ? ~0ull : n + hi - lo + 1; });
    return n;
}

template <class F> void for_each_page(const PageList& list, F&& f) {
    for (const PageRange& r : list)
        for (uint64_t g = r.first;; ++g) {
            f(g);
            if (g == r.last)
                break;
        }
}

} // namespace

Result Session::execute(const Command& c) {
    if (c.op == Op::Vm) {
        kvm_.emplace(*make_kernel_config(c.vm).config);
        kvm_->events = sink_;
        vmm_ = Vmm{};
        workloads_.clear();
        migration_.reset();
        const VmSpec& v = c.vm;
        Event e{EventKind::Ioctl, uint8_t(IoctlId::CreateVm)};
        kvm_->emit(e, "a new VM on " + std::string(arch_name(v.arch)) + " Linux " +
                          version_name(v.version) + ", " + std::to_string(v.page_size / 1024) +
                          "K pages" +
                          (v.arch == Arch::X86_64 ? (v.pml ? ", Intel PML on" : ", no PML") : "") +
                          " — kvm_dev_ioctl_create_vm, virt/kvm/kvm_main.c");
        return std::string("0");
    }
    if (!kvm_)
        return error_at(1, "no VM yet: a scenario starts with `vm arch=A kernel=X.Y`");
    Kvm& kvm = *kvm_;

    auto need_vcpu = [&](uint32_t id) -> Vcpu* { return kvm.vcpu_by_id(id); };
    auto no_vcpu = [&](uint32_t id) {
        return error_at(c.id_col, "vCPU " + std::to_string(id) + " was never created");
    };
    auto need_slot = [&]() -> const Memslot* {
        return c.as_id < kvm.memslots.size() ? kvm.id_to_memslot(c.as_id, c.id) : nullptr;
    };
    auto no_slot = [&] {
        return error_at(c.id_col, "there is no memslot " + std::to_string(c.id) +
                                      (c.as_id ? " in address space " + std::to_string(c.as_id)
                                               : std::string()));
    };
    const uint32_t slot_number = (uint32_t(c.as_id) << 16) | c.id;

    switch (c.op) {
    case Op::Vm:
    case Op::Expect:
        break;
    case Op::Check:
        return std::to_string(kvm_ioctl_check_extension(kvm, c.cap).value);
    case Op::Enable:
        return ret_text(kvm_vm_ioctl_enable_cap(kvm, uint32_t(c.cap), c.args0, c.flags).value);
    case Op::Memslot:
        return ret_text(
            kvm_set_memory_region(kvm, c.as_id, uint16_t(c.id), c.flags, c.gfn, c.pages).value);
    case Op::Vcpu: {
        const KRet r = kvm_vm_ioctl_create_vcpu(kvm, c.id, c.start_index);
        if (r.ok())
            vmm_.fetch_index[c.id] = c.start_index;
        return ret_text(r.value);
    }
    case Op::Run: {
        Vcpu* v = need_vcpu(c.id);
        if (!v)
            return no_vcpu(c.id);
        if (pages_in_slots(kvm, c.program.pages) > limits_.touched_pages)
            return error_at(c.id_col, too_many_pages(limits_.touched_pages));
        const RunResult r = kvm_arch_vcpu_ioctl_run(kvm, *v, c.program);
        return "done=" + std::to_string(r.done) + " exit=" + std::string(exit_reason_name(r.exit));
    }
    case Op::HostWrite:
        if (pages_in_slots(kvm, c.program.pages, true) > limits_.touched_pages)
            return error_at(1, too_many_pages(limits_.touched_pages));
        // Pages in no memslot have no host memory Ringside knows of: nothing happens there.
        for_each_part_in_slots(c.program.pages, slot_ranges(kvm, true),
                               [&](uint64_t lo, uint64_t hi) {
                                   for (uint64_t g = lo;; ++g) {
                                       vmm_host_write(kvm, g);
                                       if (g == hi)
                                           break;
                                   }
                               });
        return std::string("0");
    case Op::KernelWrite: {
        Vcpu* v = nullptr;
        if (c.on_vcpu && !(v = need_vcpu(*c.on_vcpu)))
            return no_vcpu(*c.on_vcpu);
        if (pages_listed(c.program.pages) > limits_.kernel_write_pages)
            return error_at(1, "kernel-write prints one token a page: at most " +
                                   std::to_string(limits_.kernel_write_pages) + " pages");
        std::string out;
        for_each_page(c.program.pages, [&](uint64_t gfn) {
            if (!out.empty())
                out += ' ';
            out += mark_text(kvm_write_guest_page(kvm, v, gfn, c.during));
        });
        return out;
    }
    case Op::Harvest: {
        Vcpu* v = need_vcpu(c.id);
        if (!v)
            return no_vcpu(c.id);
        if (!v->dirty_ring)
            return error_at(c.id_col, "vCPU " + std::to_string(c.id) + " has no dirty ring");
        return std::to_string(vmm_harvest_ring(vmm_, *v->dirty_ring, c.id, c.max, c.order, sink_));
    }
    case Op::Reset:
        return ret_text(kvm_vm_ioctl_reset_dirty_pages(kvm).value);
    case Op::GetLog: {
        BitmapWords words;
        const KRet r = kvm_get_dirty_log_protect(kvm, slot_number, &words);
        if (!r.ok())
            return ret_text(r.value);
        auto each = [&](auto f) {
            for (auto [i, w] : words)
                f(i, w);
        };
        return "0 bits=" + bits_list(each, need_slot()->npages);
    }
    case Op::ClearLog: {
        // The ioctl's bitmap, built on demand: bit i of word k stands for page first + 64k + i.
        std::set<uint64_t> listed;
        if (c.bits)
            for (const PageRange& r : *c.bits) {
                const uint64_t lo = std::max(r.first, c.first);
                const uint64_t hi = std::min(r.last, c.first + c.num - 1);
                for (uint64_t off = lo; c.num && off <= hi && listed.size() < limits_.listed_bits;
                     ++off)
                    listed.insert(off - c.first);
            }
        auto user_word = [&](uint64_t k) -> uint64_t {
            if (!c.bits) {
                const uint64_t left = uint64_t(c.num) - k * 64;
                return left >= 64 ? ~0ull : (1ull << left) - 1;
            }
            uint64_t w = 0;
            for (auto it = listed.lower_bound(k * 64); it != listed.end() && *it < k * 64 + 64;
                 ++it)
                w |= 1ull << (*it % 64);
            return w;
        };
        return ret_text(
            kvm_clear_dirty_log_protect(kvm, slot_number, c.first, c.num, user_word).value);
    }
    case Op::ShowRing: {
        const Vcpu* v = need_vcpu(c.id);
        if (!v)
            return no_vcpu(c.id);
        if (!v->dirty_ring)
            return std::string("none");
        const DirtyRing& r = *v->dirty_ring;
        return "entries=" + std::to_string(r.size) + " soft_limit=" + std::to_string(r.soft_limit) +
               " dirty_index=" + std::to_string(r.dirty_index) +
               " reset_index=" + std::to_string(r.reset_index) +
               " used=" + std::to_string(dirty_ring_used(r)) +
               " soft_full=" + (dirty_ring_soft_full(r) ? "1" : "0");
    }
    case Op::ShowEntry: {
        const Vcpu* v = need_vcpu(c.id);
        if (!v)
            return no_vcpu(c.id);
        if (!v->dirty_ring)
            return error_at(c.id_col, "vCPU " + std::to_string(c.id) + " has no dirty ring");
        if (c.index >= v->dirty_ring->size)
            return error_at(c.id_col, "entry " + std::to_string(c.index) +
                                          " is outside the ring (" +
                                          std::to_string(v->dirty_ring->size) + " entries)");
        const DirtyGfn& e = std::as_const(*v->dirty_ring).entry(uint32_t(c.index));
        return "flags=" + std::to_string(e.flags) + " slot=" + std::to_string(e.slot) +
               " offset=" + std::to_string(e.offset);
    }
    case Op::ShowBitmap: {
        const Memslot* s = need_slot();
        if (!s)
            return no_slot();
        if (!s->dirty_bitmap)
            return std::string("none");
        const DirtyBitmap& bm = *s->dirty_bitmap;
        return bits_list([&](auto f) { bm.for_each_nonzero_word(f); }, s->npages);
    }
    case Op::ShowWp: {
        const Memslot* s = need_slot();
        if (!s)
            return no_slot();
        ListBuilder b;
        s->pages.for_each_range([&](uint64_t first, uint64_t last, Mapping m) {
            if (write_is_logged(*s, m))
                b.add_range(first, last);
        });
        return b.str();
    }
    case Op::Workload: {
        if (!c.all_vcpus && !need_vcpu(c.id))
            return no_vcpu(c.id);
        for (const Vcpu& v : kvm.vcpus)
            if (c.all_vcpus || v.vcpu_id == c.id) {
                workloads_[v.vcpu_id] = c.workload;
                Event e{EventKind::Workload, uint8_t(c.workload.pattern)};
                e.vcpu = v.vcpu_id;
                e.a = c.workload.rate;
                e.b = c.workload.seed;
                kvm.emit(e, migrate::workload_text(c.workload));
            }
        return std::string("0");
    }
    case Op::Migrate: {
        auto r = run_migration(c.migration);
        if (!r->error.empty())
            return error_at(1, "migrate: " + r->error);
        return r->summary();
    }
    case Op::ShowRound: {
        if (!migration_)
            return error_at(1, "no migration yet: `migrate` first");
        if (c.index >= migration_->per_round.size())
            return error_at(1, "no round " + std::to_string(c.index) + " (the migration had " +
                                   std::to_string(migration_->rounds) +
                                   " rounds and the stop, round " +
                                   std::to_string(migration_->rounds) + ")");
        return migration_->round_text(c.index);
    }
    case Op::ShowMigration: {
        if (!migration_)
            return error_at(1, "no migration yet: `migrate` first");
        const migrate::MigrationResult& m = *migration_;
        if (c.field == "converged")
            return std::string(m.converged ? "yes" : "no");
        if (c.field == "mode")
            return std::string(migrate::mode_name(m.mode));
        if (c.field == "rounds")
            return std::to_string(m.rounds);
        if (c.field == "sent")
            return std::to_string(m.pages_sent);
        if (c.field == "downtime")
            return migrate::ms_text(m.downtime_ns);
        return std::to_string(m.lost.size());
    }
    case Op::ShowLost: {
        if (!migration_)
            return error_at(1, "no migration yet: `migrate` first");
        if (migration_->lost.empty())
            return std::string("none");
        std::string out;
        for (size_t i = 0; i < migration_->lost.size(); ++i)
            out += (i ? "; " : "") + migration_->lost_text(i);
        return out;
    }
    case Op::ShowHarvested: {
        if (vmm_.harvested.empty())
            return std::string("empty");
        std::string out;
        for (const auto& [slot, offsets] : vmm_.harvested) {
            if (!out.empty())
                out += ';';
            ListBuilder b;
            offsets.for_each([&](uint64_t off) { b.add(off); });
            out += std::to_string(slot) + ':' + b.str();
        }
        return out;
    }
    }
    return error_at(1, "internal error: unhandled command");
}

std::shared_ptr<const migrate::MigrationResult>
Session::run_migration(migrate::MigrationConfig config,
                       const std::function<bool(const migrate::Progress&)>& progress) {
    if (!kvm_) {
        auto r = std::make_shared<migrate::MigrationResult>();
        r->error = "no VM yet";
        return r;
    }
    config.max_ticks = limits_.migration_ticks;
    config.max_writes = limits_.migration_writes;
    auto r = std::make_shared<const migrate::MigrationResult>(
        migrate::migrate(*kvm_, vmm_, workloads_, config, progress));
    if (r->error.empty()) {
        migration_ = r;
        migrate::report_events(*kvm_, *r);
    }
    return r;
}

void Session::set_sink(EventSink* sink) {
    sink_ = sink;
    if (kvm_)
        kvm_->events = sink;
}

std::string state_digest(const Session& s) {
    const Kvm* kvm = s.kvm();
    if (!kvm)
        return "no vm\n";
    std::string out;
    auto line = [&](const std::string& t) { out += t + "\n"; };
    const VmSpec& v = kvm->config.spec;
    line("vm " + std::string(arch_name(v.arch)) + " " + version_name(v.version) + " page " +
         std::to_string(v.page_size) + " pml " + std::to_string(kvm->config.cpu_dirty_log_size));
    line("ring_size " + std::to_string(kvm->dirty_ring_size) + " with_bitmap " +
         std::to_string(kvm->dirty_ring_with_bitmap) + " manual " +
         std::to_string(kvm->manual_dirty_log_protect) + " tlb_flushes " +
         std::to_string(kvm->tlb_flushes) + " logging " +
         std::to_string(kvm->nr_memslots_dirty_logging));
    for (size_t as = 0; as < kvm->memslots.size(); ++as)
        for (const auto& [id, slot] : kvm->memslots[as]) {
            line("slot " + std::to_string(as) + ":" + std::to_string(id) + " gfn " +
                 std::to_string(slot.base_gfn) + " pages " + std::to_string(slot.npages) +
                 " flags " + std::to_string(slot.flags));
            std::string map;
            slot.pages.for_each_range([&](uint64_t first, uint64_t last, Mapping m) {
                map += std::to_string(first) + "-" + std::to_string(last) + ":" +
                       std::to_string(int(m)) + " ";
            });
            line(" map " + map);
            ListBuilder pop;
            for (uint64_t off = 0; off < slot.npages; ++off)
                if (slot.pages.populated(off))
                    pop.add(off);
            line(" populated " + pop.str());
            if (slot.dirty_bitmap) {
                const DirtyBitmap& bm = *slot.dirty_bitmap;
                line(" bitmap " +
                     bits_list([&](auto f) { bm.for_each_nonzero_word(f); }, slot.npages));
            }
        }
    for (const Vcpu& vc : kvm->vcpus) {
        std::string t =
            "vcpu " + std::to_string(vc.vcpu_id) + " unseen " + std::to_string(vc.unseen_writes) +
            " pending " +
            (vc.pending ? std::to_string(vc.pending->gfn) + (vc.pending->write ? "w" : "r")
                        : std::string("-")) +
            " pml " + std::to_string(vc.pml_buffer.size());
        if (vc.dirty_ring) {
            const DirtyRing& r = *vc.dirty_ring;
            t += " ring " + std::to_string(r.size) + " " + std::to_string(r.dirty_index) + " " +
                 std::to_string(r.reset_index);
            for (uint32_t i = 0; i < r.size; ++i) {
                const DirtyGfn& g = r.entry(i);
                if (g.flags || g.slot || g.offset)
                    t += " [" + std::to_string(i) + "]" + std::to_string(g.flags) + "/" +
                         std::to_string(g.slot) + "/" + std::to_string(g.offset);
            }
        }
        line(t);
    }
    const Vmm& vmm = s.vmm();
    for (const auto& [id, f] : vmm.fetch_index)
        line("fetch " + std::to_string(id) + " " + std::to_string(f));
    for (const auto& [slot, offs] : vmm.harvested) {
        ListBuilder b;
        offs.for_each([&](uint64_t off) { b.add(off); });
        line("harvested " + std::to_string(slot) + ":" + b.str());
    }
    return out;
}

namespace {

// Reads one line of at most kMaxLineLength bytes; false at end of input. A longer line is
// consumed to its end and reported through *too_long.
bool read_line(std::istream& in, std::string& line, bool* too_long) {
    line.clear();
    *too_long = false;
    if (in.peek() == std::char_traits<char>::eof())
        return false;
    std::streambuf* sb = in.rdbuf();
    for (;;) {
        const int ch = sb->sbumpc();
        if (ch == std::char_traits<char>::eof() || ch == '\n')
            return true;
        if (line.size() < kMaxLineLength)
            line.push_back(static_cast<char>(ch));
        else
            *too_long = true;
    }
}

} // namespace

FileStatus run_scenario(std::istream& in, Reporter& out, Session* session, bool trace) {
    Session local;
    Session& s = session ? *session : local;
    EventLog events; // the current command's events, when tracing
    uint64_t traced = 0;
    struct Detach { // the session must not keep pointing at events once it is gone
        Session& s;
        ~Detach() { s.set_sink(nullptr); }
    } detach{s};
    if (trace)
        s.set_sink(&events);
    std::optional<std::string> last; // the previous command's result text
    std::string line;
    bool too_long = false;
    for (int lineno = 1; read_line(in, line, &too_long); ++lineno) {
        if (too_long) {
            out.error(lineno, int(kMaxLineLength) + 1,
                      "line longer than " + std::to_string(kMaxLineLength) + " characters");
            return FileStatus::Error;
        }
        ParsedLine parsed = parse_line(line);
        if (auto* err = std::get_if<ParseError>(&parsed)) {
            out.error(lineno, err->col, err->message);
            return FileStatus::Error;
        }
        auto* cmd = std::get_if<Command>(&parsed);
        if (!cmd)
            continue;
        if (cmd->op == Op::Expect) {
            if (!last) {
                out.error(lineno, 1, "expect has no previous command to check");
                return FileStatus::Error;
            }
            if (*last != cmd->expect) {
                out.expectation_failed(lineno, cmd->expect, *last);
                return FileStatus::ExpectationFailed;
            }
            continue;
        }
        Result r = s.execute(*cmd);
        if (auto* err = std::get_if<ParseError>(&r)) {
            out.error(lineno, err->col, err->message);
            return FileStatus::Error;
        }
        last = std::get<std::string>(r);
        out.result(lineno, cmd->text, *last);
        for (size_t i = 0; i < events.size(); ++i)
            out.event(lineno, traced++, events[i], events.reason(i), s.kvm()->config);
        events.clear();
    }
    return FileStatus::Passed;
}

} // namespace ringside::scenario
