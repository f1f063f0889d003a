#include "model.hpp"

#include "lesson_player.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>

namespace ringside::app {

const char* const kDefaultScenario =
    R"(# Ringside's default scenario: arm64 with the dirty ring and its backup bitmap.
vm arch=arm64 kernel=6.2
check DIRTY_LOG_RING
enable DIRTY_LOG_RING args0=64K
enable DIRTY_LOG_RING_ACQ_REL args0=64K
enable DIRTY_LOG_RING_WITH_BITMAP
memslot 0 gfn=0x100 pages=256 log
memslot 1 gfn=0x1000 pages=64
vcpu 0
vcpu 1
run 0 write 0x100..0x11f
run 1 write 0x140..0x147,0x1000..0x1003
kernel-write 0x150 during=its-save
harvest 0 max=20
reset
run 0 write 0x100..0x107
)";

const char* page_state_name(PageState s) {
    switch (s) {
    case PageState::Unmapped:
        return "unmapped";
    case PageState::Armed:
        return "armed (next write logged)";
    case PageState::Writable:
        return "writable (writes unseen)";
    case PageState::DirtyRing:
        return "dirty in a ring";
    case PageState::Harvested:
        return "harvested, awaiting reset";
    case PageState::DirtyBitmap:
        return "dirty in the bitmap";
    case PageState::Untracked:
        return "written, not tracked";
    case PageState::Count:
        break;
    }
    return "?";
}

namespace {

void set_view(Model& m) {
    m.view = m.timeline.state_after(m.cursor);
    m.cursor_changed_frame = m.frame;
}

} // namespace

void seek(Model& m, uint64_t n) {
    n = std::min<uint64_t>(n, m.visible_end());
    if (n == m.cursor)
        return;
    m.cursor = n;
    set_view(m);
}

void run_command(Model& m, const std::string& line) {
    ConsoleEntry entry;
    entry.command = line;
    entry.event = m.timeline.event_count();
    scenario::ParsedLine p = scenario::parse_line(line);
    if (auto* err = std::get_if<scenario::ParseError>(&p)) {
        entry.error = true;
        entry.error_col = err->col;
        entry.result = "column " + std::to_string(err->col) + ": " + err->message;
    } else if (auto* cmd = std::get_if<scenario::Command>(&p)) {
        if (cmd->op == scenario::Op::Expect) {
            entry.error = true;
            entry.result = "expect belongs in scenario files; the console shows every result";
        } else {
            auto r = m.timeline.execute(*cmd);
            if (auto* e = std::get_if<scenario::ParseError>(&r)) {
                entry.error = true;
                entry.error_col = e->col;
                entry.result = e->message;
            } else {
                entry.result = std::get<std::string>(r);
                const EventLog& log = m.timeline.log();
                for (uint64_t i = entry.event; i < log.size(); ++i)
                    if (log[i].kind == EventKind::Ioctl && !log.reason(i).empty())
                        entry.reason = std::string(log.reason(i));
            }
        }
    } else {
        return; // blank or comment
    }
    m.console.push_back(std::move(entry));
    m.cursor = m.timeline.event_count();
    set_view(m);
}

void load_scenario_text(Model& m, const std::string& text, const std::string& title) {
    m.timeline = scenario::Timeline();
    m.console.clear();
    m.title = title;
    m.cursor = 0;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        run_command(m, line);
    set_view(m);
}

bool load_scenario_file(Model& m, const std::string& path, uint64_t max_commands) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        m.load_error = path + ": cannot open the scenario file";
        return false;
    }
    // One pass, with ringside-sim's rules: each line is parsed and run into a new timeline and
    // each expect checked against the result before it. A broken file is reported with its line
    // and column, and the model keeps what it showed; a failed expectation is reported and the
    // rest of the file still loads (the user wants to see why).
    Model next;
    std::string line, problem;
    uint64_t commands = 0;
    for (int lineno = 1; std::getline(in, line); ++lineno) {
        if (line.size() > scenario::kMaxLineLength) {
            m.load_error = path + ":" + std::to_string(lineno) + ":" +
                           std::to_string(scenario::kMaxLineLength + 1) +
                           ": error: line longer than " + std::to_string(scenario::kMaxLineLength) +
                           " characters";
            return false;
        }
        const scenario::ParsedLine p = scenario::parse_line(line);
        if (auto* err = std::get_if<scenario::ParseError>(&p)) {
            m.load_error = path + ":" + std::to_string(lineno) + ":" + std::to_string(err->col) +
                           ": error: " + err->message;
            return false;
        }
        auto* c = std::get_if<scenario::Command>(&p);
        if (!c)
            continue;
        if (c->op == scenario::Op::Expect) {
            if (next.console.empty()) {
                m.load_error = path + ":" + std::to_string(lineno) +
                               ":1: error: expect has no previous command to check";
                return false;
            }
            if (problem.empty() && next.console.back().result != c->expect)
                problem = std::to_string(lineno) + ": expected '" + c->expect + "', got '" +
                          next.console.back().result + "'";
            continue;
        }
        if (commands++ >= max_commands)
            break;
        run_command(next, line);
        if (next.console.back().error) {
            m.load_error = path + ":" + std::to_string(lineno) + ":" +
                           std::to_string(next.console.back().error_col) +
                           ": error: " + next.console.back().result;
            return false;
        }
    }
    const size_t slash = path.find_last_of('/');
    m.timeline = std::move(next.timeline);
    m.console = std::move(next.console);
    m.title = slash == std::string::npos ? path : path.substr(slash + 1);
    m.cursor = m.timeline.event_count();
    set_view(m);
    m.load_error = problem.empty() ? "" : path + ":" + problem;
    return true;
}

void apply(Model& m, const Actions& a) {
    if (a.open_lesson)
        open_lesson(m, *a.open_lesson);
    if (a.lesson_step)
        go_to_step(m, *a.lesson_step);
    if (a.answer)
        commit_answer(m, *a.answer);
    if (a.back_to_lesson)
        back_to_lesson(m);
    // Typing during a lesson forks a copy to explore: the lesson itself stays as written.
    if (a.try_it_yourself ||
        (!a.commands.empty() && m.lesson && m.lesson->lesson() && !m.lesson->exploring))
        try_it_yourself(m);
    for (const std::string& c : a.commands) {
        // What the user typed (or clicked) is remembered; a scenario's own lines are not.
        if (m.history.empty() || m.history.back() != c)
            m.history.push_back(c);
        const size_t before = m.timeline.command_count();
        run_command(m, c);
        // A migration typed in the console is shown where migrations are drawn.
        if (m.timeline.command_count() > before &&
            m.timeline.command(before).op == scenario::Op::Migrate) {
            m.migration.shown = true;
            m.ordering.shown = false;
        }
    }
    if (a.seek)
        seek(m, *a.seek);
    if (a.play) {
        m.playing = *a.play;
        if (m.playing && m.cursor >= m.visible_end())
            seek(m, 0);
    }
    if (a.speed)
        m.events_per_second = std::clamp(*a.speed, 0.5f, 2000.0f);
    if (a.focus_vcpu)
        m.focused_vcpu = *a.focus_vcpu;
    if (a.select_event)
        m.selected_event = *a.select_event;
    if (a.toggle_presenter)
        m.presenter = !m.presenter;
    if (a.reduce_motion)
        m.reduce_motion = *a.reduce_motion;
    if (a.ordering && *a.ordering != m.ordering) {
        m.ordering = *a.ordering;
        m.ordering_changed_frame = m.frame;
        if (m.ordering.shown)
            m.migration.shown = false;
    }
    if (a.migration_view) {
        m.migration.shown = *a.migration_view;
        if (m.migration.shown)
            m.ordering.shown = false;
    }
    if (a.compare_setup)
        m.migration.setup = *a.compare_setup;
    if (a.cancel_compare && m.migration.comparison)
        m.migration.comparison->cancel();
    if (a.start_compare)
        start_comparison(m);
    if (a.show_page) {
        m.migration.page = *a.show_page;
        m.migration.page_frame = m.frame;
        if (m.migration.page != MigrationView::kNoPage)
            m.migration.shown = m.ordering.shown = false;
    }
    if (a.export_json) {
        ExportRuns runs;
        if (m.migration.comparison) {
            runs.setup = &m.migration.comparison->setup();
            for (const ModeRun& r : m.migration.runs)
                if (r.result)
                    runs.compared.push_back(r.result.get());
        }
        runs.this_vm = m.view.migration();
        m.migration.exported = export_runs(runs, *a.export_json, a.export_path, std::time(nullptr));
    }
}

void start_comparison(Model& m) {
    MigrationView& v = m.migration;
    if (v.comparison && setup_key(v.comparison->setup()) == setup_key(v.setup)) {
        bool cancelled = false;
        for (const ModeRun& r : v.comparison->snapshot())
            cancelled |= r.state == ModeRun::State::Cancelled;
        if (!cancelled)
            return; // running, or done: the same results
    }
    v.comparison.reset(); // a comparison still running is cancelled first (its destructor)
    v.comparison = std::make_shared<Comparison>(v.setup);
    v.runs = v.comparison->snapshot(&v.runs_final);
}

bool comparison_running(const Model& m) {
    return m.migration.comparison && m.migration.comparison->running();
}

void tick(Model& m, double dt) {
    m.frame++;
    if (m.migration.comparison && !m.migration.runs_final) // what the worker has done so far
        m.migration.runs = m.migration.comparison->snapshot(&m.migration.runs_final);
    if (!m.playing)
        return;
    m.play_accumulator += dt * m.events_per_second;
    const auto steps = static_cast<uint64_t>(m.play_accumulator);
    if (steps == 0)
        return;
    m.play_accumulator -= double(steps);
    seek(m, m.cursor + steps);
    if (m.cursor >= m.visible_end())
        m.playing = false;
}

namespace {

// Which state wins when several pages share one cell (indexed by PageState).
constexpr uint8_t kPriority[] = {0, 1, 2, 6, 5, 4, 3};
static_assert(sizeof kPriority == size_t(PageState::Count));

PageState mapping_state(Mapping map, bool logging) {
    if (map == Mapping::Writable)
        return logging ? PageState::Writable : PageState::Untracked;
    if (map != Mapping::Unmapped)
        return logging ? PageState::Armed : PageState::Writable;
    return PageState::Unmapped;
}

} // namespace

std::vector<PageState> cell_states(const Model& m, const Memslot& slot, uint64_t per_cell) {
    if (per_cell <= 1)
        return page_states(m, slot);
    std::vector<PageState> out((slot.npages + per_cell - 1) / per_cell, PageState::Unmapped);
    auto raise = [&](uint64_t off, PageState s) {
        PageState& c = out[off / per_cell];
        if (kPriority[size_t(s)] > kPriority[size_t(c)])
            c = s;
    };
    const bool logging = slot.dirty_track_enabled();
    slot.pages.for_each_range([&](uint64_t first, uint64_t last, Mapping map) {
        const PageState s = mapping_state(map, logging);
        if (s != PageState::Unmapped)
            for (uint64_t c = first / per_cell; c <= last / per_cell; ++c)
                raise(c * per_cell, s);
    });
    if (slot.dirty_bitmap)
        slot.dirty_bitmap->for_each_nonzero_word([&](uint64_t i, uint64_t w) {
            for (uint64_t b = w; b; b &= b - 1) {
                const uint64_t off = i * 64 + static_cast<uint64_t>(__builtin_ctzll(b));
                if (off < slot.npages)
                    raise(off, PageState::DirtyBitmap);
            }
        });
    for (const Vcpu& v : m.view.kvm()->vcpus) {
        if (!v.dirty_ring)
            continue;
        const DirtyRing& r = *v.dirty_ring;
        const uint32_t used = std::min(dirty_ring_used(r), r.size);
        for (uint32_t k = 0; k < used; ++k) {
            const DirtyGfn& e = r.entry(r.reset_index + k);
            if (e.slot != slot.slot_number() || e.offset >= slot.npages)
                continue;
            if (e.flags & KVM_DIRTY_GFN_F_RESET)
                raise(e.offset, PageState::Harvested);
            else if (e.flags & KVM_DIRTY_GFN_F_DIRTY)
                raise(e.offset, PageState::DirtyRing);
        }
    }
    return out;
}

std::vector<PageState> page_states(const Model& m, const Memslot& slot) {
    std::vector<PageState> out(slot.npages, PageState::Unmapped);
    const bool logging = slot.dirty_track_enabled();
    slot.pages.for_each_range([&](uint64_t first, uint64_t last, Mapping map) {
        const PageState s = mapping_state(map, logging);
        std::fill(out.begin() + long(first), out.begin() + long(last) + 1, s);
    });
    if (slot.dirty_bitmap)
        slot.dirty_bitmap->for_each_nonzero_word([&](uint64_t i, uint64_t w) {
            for (uint64_t b = w; b; b &= b - 1) {
                const uint64_t off = i * 64 + static_cast<uint64_t>(__builtin_ctzll(b));
                if (off < out.size())
                    out[off] = PageState::DirtyBitmap;
            }
        });
    const Kvm* kvm = m.view.kvm();
    for (const Vcpu& v : kvm->vcpus) {
        if (!v.dirty_ring)
            continue;
        const DirtyRing& r = *v.dirty_ring;
        const uint32_t used = std::min(dirty_ring_used(r), r.size);
        for (uint32_t k = 0; k < used; ++k) {
            const DirtyGfn& e = r.entry(r.reset_index + k);
            if (e.slot != slot.slot_number() || e.offset >= out.size())
                continue;
            if (e.flags & KVM_DIRTY_GFN_F_RESET)
                out[e.offset] = PageState::Harvested;
            else if (e.flags & KVM_DIRTY_GFN_F_DIRTY)
                out[e.offset] = PageState::DirtyRing;
        }
    }
    return out;
}

BitmapActivity bitmap_activity(const Model& m, const Memslot& slot) {
    BitmapActivity out;
    const scenario::Timeline& t = m.timeline;
    if (m.cursor == 0 || t.command_count() == 0)
        return out;
    const EventLog& log = t.log();
    const uint32_t number = slot.slot_number();
    // Walk the commands back from the one the cursor is in; an earlier `vm` is another VM.
    for (size_t c = t.command_of(m.cursor - 1) + 1; c-- > 0;) {
        const scenario::Command& cmd = t.command(c);
        const uint64_t first = t.first_event(c), end = std::min(t.end_event(c), m.cursor);
        if (cmd.op == scenario::Op::Vm)
            break;
        if (first >= end)
            continue;
        if (cmd.op == scenario::Op::GetLog && cmd.id == slot.id && cmd.as_id == slot.as_id &&
            out.get_event == BitmapActivity::kNone && log[end - 1].kind == EventKind::Ioctl &&
            log[end - 1].b == 0) {
            // The ioctl copies the bitmap out before it clears anything: the state at the
            // command's start is what userspace got.
            out.get_event = first;
            const scenario::Session before = t.state_after(first);
            if (const Kvm* k = before.kvm(); k && slot.as_id < k->memslots.size()) {
                const auto it = k->memslots[slot.as_id].find(slot.id);
                if (it != k->memslots[slot.as_id].end() && it->second.dirty_bitmap)
                    it->second.dirty_bitmap->for_each_nonzero_word(
                        [&](uint64_t i, uint64_t w) { out.returned[i] = w; });
            }
        }
        if (cmd.op == scenario::Op::ClearLog && cmd.id == slot.id && cmd.as_id == slot.as_id &&
            out.clear_event == BitmapActivity::kNone) {
            out.clear_event = first;
            out.clear_first = cmd.first;
            out.clear_num = cmd.num;
            for (uint64_t i = first; i < end; ++i)
                if (log[i].kind == EventKind::BitmapClear && log[i].slot == number)
                    out.cleared[log[i].n] |= log[i].b;
        }
        if (cmd.op == scenario::Op::Reset && out.reset_event == BitmapActivity::kNone) {
            out.reset_event = first;
            for (uint64_t i = first; i < end; ++i) {
                const Event& e = log[i];
                if (e.kind != EventKind::ResetBatch || e.slot != number || e.aux != 0)
                    continue; // aux != 0: KVM ignored the batch (out of range)
                // A batch re-arms mask's pages from offset n on: spread it over bitmap words.
                for (uint64_t b = e.b; b; b &= b - 1) {
                    const uint64_t page = e.n + uint64_t(__builtin_ctzll(b));
                    out.rearmed[page / 64] |= 1ull << (page % 64);
                }
            }
        }
        if (out.get_event != BitmapActivity::kNone && out.clear_event != BitmapActivity::kNone &&
            out.reset_event != BitmapActivity::kNone)
            break;
    }
    return out;
}

bool parse_ordering(const std::string& text, OrderingState* s) {
    static const char* names[] = {"publish", "reset", "mp", "sb", "sb-mb", "lb", "explore"};
    std::stringstream in(text);
    std::string item;
    bool first = true, bad = false;
    while (std::getline(in, item, ',')) {
        if (first) {
            const auto it = std::find(std::begin(names), std::end(names), item);
            if (it == std::end(names))
                return false;
            s->program = int(it - std::begin(names));
            first = false;
        } else if (item == "x86") {
            s->arm64 = false;
        } else if (item == "acqrel") {
            s->acqrel = true;
        } else if (item == "no-wmb") {
            s->kernel_wmb = false;
        } else if (item == "plain-reset") {
            s->plain_reset = true;
        } else if (item == "bad") {
            bad = true;
        } else {
            return false;
        }
    }
    if (bad) {
        s->execution = -1; // resolved by the view: the first bad execution, every step taken
        s->step = 1000;
    }
    return !first;
}

} // namespace ringside::app
