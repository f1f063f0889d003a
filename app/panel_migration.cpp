// Migration: one guest, one workload, pre-copy migrated in every dirty-tracking mode side by
// side — a card a mode (converged or not, rounds, pages sent, downtime, lost pages), each
// round's costs as small multiples on one scale per row, the pages a broken protocol lost (named
// and located), and the migration the timeline's own `migrate` ran, as "this VM". The settings
// column starts the comparison, which runs on a worker thread (migration_view.hpp).
#include "panels.hpp"
#include "plot.hpp"

#include <algorithm>
#include <cfloat>
#include <cstdio>

namespace ringside::app {

namespace {

using migrate::MigrationResult;
using migrate::Mode;
using migrate::Round;

// Each mode has one colour everywhere in the view: its card's band and its bars.
ImU32 mode_colour(Mode m) {
    switch (m) {
    case Mode::Bitmap:
        return IM_COL32(213, 94, 0, 255); // vermillion: the bitmap's colour in the machine view
    case Mode::Clear:
        return IM_COL32(204, 121, 167, 255); // reddish purple
    case Mode::Ring:
        return IM_COL32(230, 159, 0, 255); // orange: the ring's colour in the machine view
    case Mode::RingBitmap:
        return IM_COL32(86, 180, 233, 255); // sky blue
    }
    return IM_COL32(200, 200, 200, 255);
}

// How the mode collects the dirty pages, in a line.
const char* mode_how(Mode m) {
    switch (m) {
    case Mode::Bitmap:
        return "KVM_GET_DIRTY_LOG, which re-protects";
    case Mode::Clear:
        return "GET, then CLEAR_DIRTY_LOG chunk by chunk";
    case Mode::Ring:
        return "harvest the rings, then reset them";
    case Mode::RingBitmap:
        return "the ring; the bitmap once stopped";
    }
    return "";
}

enum class Unit { Count, Bytes, Nanos };

struct Metric {
    const char* title;
    const char* unit; // what one bar counts
    Unit kind;
    uint64_t (*get)(const Round&);
    const char* why; // the row's tooltip
};

constexpr Metric kMetrics[] = {
    {"dirty pages", "pages a round", Unit::Count, [](const Round& r) { return r.dirty; },
     "The round's set: what the last sync collected (round 0: every page), all of it sent. "
     "The dashed line is what fits in the downtime limit at the bandwidth: below it, the guest "
     "stops."},
    {"ioctls", "calls a round", Unit::Count, [](const Round& r) { return r.costs.ioctls; },
     "Dirty-tracking ioctls: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_RESET_DIRTY_RINGS and "
     "KVM_SET_USER_MEMORY_REGION (logging on)."},
    {"bitmap scanned", "bytes a round", Unit::Bytes,
     [](const Round& r) { return r.costs.bitmap_bytes; },
     "Bitmap bytes KVM copied out and QEMU scanned: a bit a page, dirty or not."},
    {"ring entries", "harvested a round", Unit::Count,
     [](const Round& r) { return r.costs.ring_entries; },
     "Ring entries userspace collected (and KVM reset): one a dirty page."},
    {"write faults", "exits a round", Unit::Count, [](const Round& r) { return r.costs.faults; },
     "Write-protect (and first-touch) faults on logging slots: the price of re-arming pages."},
    {"RING_FULL exits", "exits a round", Unit::Count,
     [](const Round& r) { return r.costs.ring_full_exits; },
     "KVM_EXIT_DIRTY_RING_FULL: a vCPU's ring reached its soft limit, so it stopped until "
     "userspace harvested and reset."},
    {"PML-full exits", "exits a round", Unit::Count,
     [](const Round& r) { return r.costs.pml_full_exits; },
     "x86 with PML: the CPU's 512-entry log filled and KVM emptied it."},
    {"TLB flushes", "a round", Unit::Count, [](const Round& r) { return r.costs.tlb_flushes; },
     "kvm_flush_remote_tlbs after re-protecting pages (GET, CLEAR, RESET)."},
    {"guest stalled", "time a round", Unit::Nanos,
     [](const Round& r) { return r.costs.stalled_ns; },
     "Guest time lost to faults and exits, summed over the vCPUs."},
};

std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

// A value short enough for an axis: "375k", "1.2M", "32 KiB", "366 ms".
std::string short_value(double v, Unit u) {
    auto scaled = [](double x, const char* const* units, double step) {
        int i = 0;
        while (i < 4 && x >= step) {
            x /= step;
            ++i;
        }
        const char* f = x < 10 && x != double(int64_t(x)) ? "%.1f%s" : "%.0f%s";
        char b[32];
        std::snprintf(b, sizeof b, f, x, units[i]);
        return std::string(b);
    };
    static const char* const counts[] = {"", "k", "M", "G", "T"};
    static const char* const bytes[] = {" B", " KiB", " MiB", " GiB", " TiB"};
    switch (u) {
    case Unit::Count:
        return scaled(v, counts, 1000);
    case Unit::Bytes:
        return scaled(v, bytes, 1024);
    case Unit::Nanos:
        if (v >= 1e9)
            return fmt(v >= 1e10 ? "%.0f s" : "%.1f s", v / 1e9);
        if (v >= 1e6)
            return fmt(v >= 1e7 ? "%.0f ms" : "%.1f ms", v / 1e6);
        return fmt("%.0f µs", v / 1e3);
    }
    return "";
}

// The exact value for a tooltip.
std::string exact_value(uint64_t v, Unit u) {
    switch (u) {
    case Unit::Count:
        return grouped(v);
    case Unit::Bytes:
        return grouped(v) + " bytes" + (v >= 1024 ? " (" + short_value(double(v), u) + ")" : "");
    case Unit::Nanos:
        return fmt("%.3f ms", double(v) / 1e6);
    }
    return "";
}

// Rounded down, as the engine and ringside-sim print times (1.95 ms is "1.9 ms" everywhere).
std::string ms_text(uint64_t ns) {
    if (ns >= 10000000000ull)
        return std::to_string(ns / 1000000000) + "." + std::to_string(ns / 100000000 % 10) +
               std::to_string(ns / 10000000 % 10) + " s";
    return std::to_string(ns / 1000000) + "." + std::to_string(ns / 100000 % 10) + " ms";
}

// A heading: drawn twice a pixel apart (one font is loaded), as the lesson's bold is.
void heading(const std::string& text, ImU32 colour = 0) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const ImU32 c = colour ? colour : ImGui::GetColorU32(ImGuiCol_Text);
    ImGui::PushStyleColor(ImGuiCol_Text, c);
    ImGui::TextUnformatted(text.c_str());
    ImGui::PopStyleColor();
    ImGui::GetWindowDrawList()->AddText(ImVec2(p.x + 1, p.y), c, text.c_str());
}

void dim_wrapped(const std::string& text) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
}

void coloured_wrapped(ImU32 c, const std::string& text) {
    ImGui::PushStyleColor(ImGuiCol_Text, c);
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
}

void tooltip_on_hover(const char* text) {
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 28);
        ImGui::TextUnformatted(text);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

// ---- the settings column

// A label in the column's left part, the widget filling the rest.
void field(const char* label) {
    ImGui::AlignTextToFramePadding();
    ImGui::TextUnformatted(label);
    ImGui::SameLine(ImGui::GetFontSize() * 6.2f);
    ImGui::SetNextItemWidth(-FLT_MIN);
}

bool u64_field(const char* label, const char* id, uint64_t* v, uint64_t lo, uint64_t hi,
               const char* format = "%llu") {
    field(label);
    uint64_t x = *v;
    if (!ImGui::InputScalar(id, ImGuiDataType_U64, &x, nullptr, nullptr, format))
        return false;
    x = std::clamp(x, lo, hi);
    if (x == *v)
        return false;
    *v = x;
    return true;
}

bool draw_settings(const Model& m, Actions& a, Ui& ui) {
    migrate::GuestSetup g = m.migration.setup;
    bool changed = false;
    const Theme t = ui.theme;

    heading("The guest");
    static const Arch arches[] = {Arch::X86_64, Arch::Arm64, Arch::RiscV}; // 4 KiB pages
    field("arch");
    if (ImGui::BeginCombo("##arch", std::string(arch_name(g.arch)).c_str())) {
        for (const Arch x : arches)
            if (ImGui::Selectable(std::string(arch_name(x)).c_str(), x == g.arch)) {
                g.arch = x;
                changed = true;
            }
        ImGui::EndCombo();
    }
    field("kernel");
    if (ImGui::BeginCombo("##kernel", version_name(g.version).c_str())) {
        for (const Version v : known_versions())
            if (ImGui::Selectable(version_name(v).c_str(), v == g.version)) {
                g.version = v;
                changed = true;
            }
        ImGui::EndCombo();
    }
    if (g.arch == Arch::X86_64) {
        field("PML");
        changed |= ImGui::Checkbox("##pml", &g.pml);
        tooltip_on_hover("Intel's Page Modification Logging: the CPU logs dirty pages in a "
                         "512-entry buffer, so writes need no write-protect fault.");
    }
    field("memory");
    if (ImGui::BeginCombo("##memory", memory_text(g.pages).c_str())) {
        for (const uint64_t mib : {64ull, 256ull, 1024ull, 4096ull, 16384ull}) {
            const uint64_t pages = mib * 256;
            if (ImGui::Selectable(memory_text(pages).c_str(), pages == g.pages)) {
                g.pages = pages;
                changed = true;
            }
        }
        ImGui::EndCombo();
    }
    field("vCPUs");
    int vcpus = int(g.vcpus);
    if (ImGui::InputInt("##vcpus", &vcpus) && std::clamp(vcpus, 1, 64) != int(g.vcpus)) {
        g.vcpus = uint32_t(std::clamp(vcpus, 1, 64));
        changed = true;
    }
    field("ring");
    if (ImGui::BeginCombo("##ring", (std::to_string(g.ring_entries) + " entries").c_str())) {
        for (uint32_t n = 256; n <= 65536; n *= 4)
            if (ImGui::Selectable((std::to_string(n) + " entries").c_str(), n == g.ring_entries)) {
                g.ring_entries = n;
                changed = true;
            }
        ImGui::EndCombo();
    }

    ImGui::Spacing();
    heading("Workload (each vCPU)");
    migrate::WorkloadSpec& w = g.workload;
    field("pattern");
    static const migrate::Pattern patterns[] = {migrate::Pattern::Sequential,
                                                migrate::Pattern::Uniform, migrate::Pattern::HotSet,
                                                migrate::Pattern::Bursts, migrate::Pattern::Idle};
    if (ImGui::BeginCombo("##pattern", std::string(pattern_name(w.pattern)).c_str())) {
        for (const migrate::Pattern p : patterns)
            if (ImGui::Selectable(std::string(pattern_name(p)).c_str(), p == w.pattern)) {
                w.pattern = p;
                if (p != migrate::Pattern::Idle && w.rate == 0)
                    w.rate = 10000; // the workload command's default
                if (p == migrate::Pattern::Bursts && w.on_ms + w.off_ms == 0)
                    w.on_ms = 100, w.off_ms = 900;
                changed = true;
            }
        ImGui::EndCombo();
    }
    if (w.pattern != migrate::Pattern::Idle)
        changed |= u64_field("writes/s", "##rate", &w.rate, 1, 1ull << 40);
    if (w.pattern == migrate::Pattern::HotSet) {
        changed |= u64_field("hot pages", "##hot", &w.hot, 0, 1ull << 31);
        tooltip_on_hover("The first N pages of the guest, written with Zipf's law (0: a quarter "
                         "of the guest).");
        field("Zipf s");
        float s = float(w.zipf_milli) / 1000.0f;
        if (ImGui::InputFloat("##s", &s, 0.1f, 0.5f, "%.2f")) {
            w.zipf_milli = uint32_t(std::clamp(s, 0.0f, 9.999f) * 1000.0f + 0.5f);
            changed = true;
        }
    }
    if (w.pattern == migrate::Pattern::Bursts) {
        changed |= u64_field("on (ms)", "##on", &w.on_ms, 0, 1ull << 32);
        changed |= u64_field("off (ms)", "##off", &w.off_ms, 0, 1ull << 32);
        if (w.on_ms + w.off_ms == 0)
            w.on_ms = 1;
    }
    changed |= u64_field("seed", "##seed", &w.seed, 0, ~0ull);

    ImGui::Spacing();
    heading("Migration");
    migrate::MigrationConfig& c = g.config;
    field("MiB/s");
    double mib = double(c.bandwidth) / double(1 << 20);
    if (ImGui::InputDouble("##bandwidth", &mib, 0, 0, "%.1f")) {
        c.bandwidth = std::max<uint64_t>(4096, uint64_t(std::clamp(mib, 0.0, 1e6) * (1 << 20)));
        changed = true;
    }
    uint64_t downtime_ms = c.downtime_ns / 1000000;
    if (u64_field("downtime ms", "##downtime", &downtime_ms, 0, 1ull << 30)) {
        c.downtime_ns = downtime_ms * 1000000;
        changed = true;
    }
    uint64_t rounds = c.max_rounds;
    if (u64_field("max rounds", "##rounds", &rounds, 1, 1000)) {
        c.max_rounds = uint32_t(rounds);
        changed = true;
    }
    // What the defaults mean for this guest: round 0 sends everything.
    const uint64_t round0_ms = g.pages * 4096 * 1000 / std::max<uint64_t>(c.bandwidth, 1);
    ImGui::TextDisabled("round 0 sends every page: %s", ms_text(round0_ms * 1000000).c_str());

    ImGui::Spacing();
    heading("Break the protocol", error_colour(t));
    const bool arm64 = g.arch == Arch::Arm64;
    bool its = !c.its_save.empty();
    ImGui::BeginDisabled(!arm64);
    if (ImGui::Checkbox("vGIC ITS table save at stop", &its)) {
        c.its_save.clear();
        if (its)
            c.its_save.push_back({g.pages - 1, g.pages - 1}); // a page the workload leaves cold
        changed = true;
    }
    ImGui::EndDisabled();
    tooltip_on_hover(
        "arm64: when the vCPUs stop, KVM_DEV_ARM_ITS_SAVE_TABLES writes the ITS tables into "
        "guest memory from KVM, with no vCPU running. Only the ring's backup bitmap "
        "(DIRTY_LOG_RING_WITH_BITMAP) records that write.");
    if (its && arm64) {
        ImGui::Indent();
        uint64_t gfn = c.its_save[0].first;
        if (u64_field("page 0x", "##its", &gfn, 0, g.pages - 1, "%llx")) {
            c.its_save.assign(1, {gfn, gfn});
            changed = true;
        }
        ImGui::Unindent();
    }
    bool kw = !c.kernel_writes.empty();
    if (ImGui::Checkbox("KVM write with no vCPU", &kw)) {
        c.kernel_writes.clear();
        if (kw) // after round 0 has sent the page
            c.kernel_writes.push_back({(round0_ms + 100) * 1000000, g.pages - 1});
        changed = true;
    }
    tooltip_on_hover("KVM writes guest memory with no vCPU running (kvm_write_guest from an "
                     "ioctl). Linux 5.17-6.1 built with the ring WARN and drop it; 6.2+ mark "
                     "it in the slot's bitmap, if the slot has one.");
    if (kw) {
        ImGui::Indent();
        uint64_t gfn = c.kernel_writes[0].second, at = c.kernel_writes[0].first / 1000000;
        if (u64_field("page 0x", "##kwpage", &gfn, 0, g.pages - 1, "%llx")) {
            c.kernel_writes[0].second = gfn;
            changed = true;
        }
        if (u64_field("at ms", "##kwat", &at, 0, 1ull << 30)) {
            c.kernel_writes[0].first = at * 1000000;
            changed = true;
        }
        ImGui::Unindent();
    }
    bool plain = c.harvest == HarvestOrder::Plain;
    if (ImGui::Checkbox("plain harvest (no acquire/release)", &plain)) {
        c.harvest = plain ? HarvestOrder::Plain : HarvestOrder::AcqRel;
        changed = true;
    }
    tooltip_on_hover("QEMU reads each ring entry's flags and then its slot and offset with plain "
                     "loads. arm64's memory model lets the second read see an older entry: the "
                     "memory-order view shows how.");
    if (changed) {
        if (!g.config.its_save.empty() && g.arch != Arch::Arm64)
            g.config.its_save.clear();
        for (PageRange& r : g.config.its_save)
            r.first = std::min(r.first, g.pages - 1), r.last = std::min(r.last, g.pages - 1);
        for (auto& kwr : g.config.kernel_writes)
            kwr.second = std::min(kwr.second, g.pages - 1);
        a.compare_setup = g;
    }

    ImGui::Spacing();
    ImGui::Separator();
    ImGui::Spacing();
    const bool running = comparison_running(m);
    const float full = ImGui::GetContentRegionAvail().x;
    if (running) {
        if (ImGui::Button("Cancel", ImVec2(full, ImGui::GetFrameHeight() * 1.5f)))
            a.cancel_compare = true;
    } else {
        ImGui::PushStyleColor(ImGuiCol_Button, ImGui::GetStyleColorVec4(ImGuiCol_ButtonActive));
        if (ImGui::Button("Migrate in every mode", ImVec2(full, ImGui::GetFrameHeight() * 1.5f))) {
            a.start_compare = true;
            if (!a.compare_setup)
                a.compare_setup = g;
        }
        ImGui::PopStyleColor();
    }
    record_item("migration start");
    // Where the worker has got, and what it cost in real time: the scale figure.
    const std::vector<ModeRun>& runs = m.migration.runs;
    if (running) {
        for (const ModeRun& r : runs)
            if (r.state == ModeRun::State::Running)
                ImGui::TextDisabled("migrating in %s mode…",
                                    std::string(mode_name(r.mode)).c_str());
        ImGui::TextDisabled("the app draws a frame in %.1f ms",
                            1000.0f / std::max(1.0f, ImGui::GetIO().Framerate));
    } else if (!runs.empty()) {
        double wall = 0;
        bool cancelled = false;
        for (const ModeRun& r : runs) {
            wall += r.wall_seconds;
            cancelled |= r.state == ModeRun::State::Cancelled;
        }
        if (cancelled)
            ImGui::TextDisabled("cancelled");
        else
            ImGui::TextDisabled("simulated in %.2f s of real time", wall);
        tooltip_on_hover("Wall-clock time of the simulation, on a worker thread: the app kept "
                         "drawing meanwhile.");
    }
    const std::string why = check_setup(g);
    if (!why.empty())
        coloured_wrapped(error_colour(t), why);
    else if (m.migration.comparison && !running &&
             setup_key(m.migration.comparison->setup()) != setup_key(g))
        dim_wrapped("The settings changed since the results shown were run.");

    ImGui::Spacing();
    heading("Export");
    ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::CalcTextSize("hide settings").x -
                    ImGui::GetStyle().FramePadding.x * 2 + ImGui::GetCursorPosX() -
                    ImGui::GetStyle().ItemSpacing.x);
    if (ImGui::SmallButton("hide settings"))
        ui.migration_settings = 0;
    ImGui::SetNextItemWidth(-FLT_MIN);
    ImGui::InputTextWithHint("##export", "path (empty: a new file)", ui.export_path,
                             sizeof ui.export_path);
    tooltip_on_hover(("Empty: a new file named by the time in " + data_dir()).c_str());
    const bool any = !m.migration.runs.empty() || m.view.migration();
    ImGui::BeginDisabled(!any);
    const float half = (full - ImGui::GetStyle().ItemSpacing.x) / 2;
    if (ImGui::Button("Export CSV", ImVec2(half, 0))) {
        a.export_json = false;
        a.export_path = ui.export_path;
    }
    ImGui::SameLine();
    if (ImGui::Button("Export JSON", ImVec2(half, 0))) {
        a.export_json = true;
        a.export_path = ui.export_path;
    }
    ImGui::EndDisabled();
    const ExportResult& ex = m.migration.exported;
    if (!ex.message.empty())
        coloured_wrapped(ex.ok ? ok_colour(t) : error_colour(t), ex.message);
    return changed;
}

// ---- the results

// One column: a mode of the comparison, or the timeline's own migration.
struct Column {
    Mode mode = Mode::Bitmap;
    const ModeRun* run = nullptr;            // a comparison's mode
    const MigrationResult* result = nullptr; // once there is one
    bool this_vm = false;
    bool usable() const { return result && result->error.empty(); }
};

void draw_card(const Column& c, const migrate::MigrationConfig* config, Theme t) {
    const ImVec2 p = ImGui::GetCursorScreenPos();
    const float w = ImGui::GetContentRegionAvail().x;
    ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + w, p.y + 5), mode_colour(c.mode));
    ImGui::Dummy(ImVec2(w, 5));
    heading(c.this_vm ? "this VM: " + std::string(mode_name(c.mode))
                      : std::string(mode_name(c.mode)));
    // How it works, padded to the longest such text so that the cards' figures line up.
    const char* how = c.this_vm ? "the timeline's migrate, at the cursor" : mode_how(c.mode);
    float tallest =
        ImGui::CalcTextSize("the timeline's migrate, at the cursor", nullptr, false, w).y;
    for (const Mode x : migrate::kModes)
        tallest = std::max(tallest, ImGui::CalcTextSize(mode_how(x), nullptr, false, w).y);
    const float how_top = ImGui::GetCursorPosY();
    dim_wrapped(how);
    ImGui::SetCursorPosY(
        std::max(ImGui::GetCursorPosY(), how_top + tallest + ImGui::GetStyle().ItemSpacing.y));
    if (c.run && c.run->state == ModeRun::State::Waiting) {
        ImGui::TextDisabled("waiting");
        return;
    }
    if (c.run && c.run->state == ModeRun::State::Cancelled) {
        ImGui::TextDisabled("cancelled");
        return;
    }
    if (c.run && c.run->state == ModeRun::State::Running) {
        const migrate::Progress& pr = c.run->progress;
        const float f = pr.dirty ? float(pr.sent) / float(pr.dirty) : 0.0f;
        const std::string label =
            (pr.stopping ? std::string("stop") : "round " + std::to_string(pr.round)) + ": " +
            grouped(pr.sent) + " / " + grouped(pr.dirty);
        ImGui::ProgressBar(f, ImVec2(-FLT_MIN, 0), label.c_str());
        ImGui::TextDisabled("simulated %s", ms_text(pr.now_ns).c_str());
        return;
    }
    if (!c.result)
        return;
    const MigrationResult& r = *c.result;
    if (!r.error.empty()) {
        heading("unavailable", error_colour(t));
        coloured_wrapped(error_colour(t), r.error);
        return;
    }
    if (r.converged)
        heading("converged", ok_colour(t));
    else
        heading("did not converge", error_colour(t));
    const float col = ImGui::CalcTextSize("pages sent").x + ImGui::GetFontSize() * 0.6f;
    auto row = [&](const char* label, const char* why, const std::string& value, ImU32 colour = 0) {
        ImGui::TextDisabled("%s", label);
        tooltip_on_hover(why);
        ImGui::SameLine(col);
        if (colour)
            ImGui::TextColored(ImColor(colour), "%s", value.c_str());
        else
            ImGui::TextUnformatted(value.c_str());
    };
    row("rounds", "Pre-copy rounds (round 0 sends every page), then the stop-and-copy.",
        std::to_string(r.rounds) + " + stop");
    row("pages sent", "Pages sent in all: the guest's, and each dirtied again, once per round.",
        grouped(r.pages_sent));
    row("downtime", "The stop-and-copy: the guest is paused while the last pages go.",
        ms_text(r.downtime_ns),
        config && r.downtime_ns > config->downtime_ns ? error_colour(t) : ImU32(0));
    row("total time", "From logging on to the last page sent, in simulated time.",
        ms_text(r.total_ns));
    row("lost pages",
        "Pages whose copy on the destination differs from the source once it is over.",
        grouped(r.lost.size()), r.lost.empty() ? ok_colour(t) : error_colour(t));
}

// One lost page, and every mode that lost it the same way (same page, writer, time, reason).
struct LostGroup {
    const migrate::LostPage* page = nullptr;
    std::vector<Mode> modes;
    bool this_vm = false;
};

std::vector<LostGroup> lost_groups(const std::vector<Column>& cols) {
    std::vector<LostGroup> out;
    for (const Column& c : cols) {
        if (!c.usable())
            continue;
        for (const migrate::LostPage& l : c.result->lost) {
            auto same = [&](const LostGroup& g) {
                return g.this_vm == c.this_vm && g.page->gfn == l.gfn &&
                       g.page->writer == l.writer && g.page->when_ns == l.when_ns &&
                       g.page->why == l.why;
            };
            const auto it = std::find_if(out.begin(), out.end(), same);
            if (it != out.end())
                it->modes.push_back(c.mode);
            else
                out.push_back({&l, {c.mode}, c.this_vm});
        }
    }
    return out;
}

// The commands that replay one mode of the comparison on the timeline: its setup, then the
// migration.
std::vector<std::string> replay_commands(const migrate::GuestSetup& g, Mode mode) {
    std::vector<std::string> out;
    const std::string text = migrate::setup_scenario(g, mode);
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t nl = std::min(text.find('\n', pos), text.size());
        if (nl > pos)
            out.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    out.push_back(migrate::migrate_line(g.config));
    return out;
}

// The pages a broken protocol lost, named and located, in a red box.
void draw_lost(const Model& m, Actions& a, const std::vector<Column>& cols,
               const migrate::GuestSetup* setup, Theme t) {
    const std::vector<LostGroup> groups = lost_groups(cols);
    if (groups.empty())
        return;
    size_t total = 0;
    for (const Column& c : cols)
        if (c.usable())
            total += c.result->lost.size();
    const ImU32 red = error_colour(t);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->ChannelsSplit(2); // the box behind, drawn once its height is known
    dl->ChannelsSetCurrent(1);
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w = ImGui::GetContentRegionAvail().x;
    const float pad = ImGui::GetFontSize() * 0.5f;
    ImGui::SetCursorScreenPos(ImVec2(p0.x + pad, p0.y + pad));
    ImGui::BeginGroup();
    ImGui::PushTextWrapPos(p0.x + w - pad - ImGui::GetWindowPos().x); // window coordinates
    heading("LOST " + grouped(total) + (total == 1 ? " PAGE" : " PAGES") +
                ": the destination's copy differs from the source's",
            red);
    const Kvm* kvm = m.view.kvm();
    constexpr size_t kShown = 6;
    bool compared = false;
    for (size_t gi = 0; gi < groups.size() && gi < kShown; ++gi) {
        const LostGroup& g = groups[gi];
        const migrate::LostPage& l = *g.page;
        compared |= !g.this_vm;
        ImGui::PushID(int(gi));
        // Who lost it: each mode in its colour.
        if (g.this_vm) {
            ImGui::TextUnformatted("this VM,");
            ImGui::SameLine();
        }
        for (size_t k = 0; k < g.modes.size(); ++k) {
            ImGui::TextColored(ImColor(mode_colour(g.modes[k])), "%s%s",
                               std::string(mode_name(g.modes[k])).c_str(),
                               k + 1 < g.modes.size() ? "," : "");
            ImGui::SameLine();
        }
        heading("gfn " + hex(l.gfn));
        // Where it is and who wrote it: on the same line when it fits, else below.
        const uint32_t as_id = l.slot >> 16, slot_id = l.slot & 0xffff;
        const std::string where = "slot " + std::to_string(slot_id) +
                                  (as_id ? " (address space " + std::to_string(as_id) + ")" : "") +
                                  ", offset " + hex(l.offset) + " · written by " + l.writer +
                                  " at " + ms_text(l.when_ns);
        ImGui::SameLine();
        if (ImGui::CalcTextSize(where.c_str()).x > ImGui::GetContentRegionAvail().x)
            ImGui::NewLine();
        ImGui::TextWrapped("%s", where.c_str());
        coloured_wrapped(red, "why: " + l.why);
        if (g.this_vm) {
            bool here = false;
            if (kvm)
                for (const Memslots& as : kvm->memslots)
                    for (const auto& [id, s] : as)
                        here |= s.contains(l.gfn);
            if (here) {
                if (ImGui::SmallButton("show the page in the machine view"))
                    a.show_page = l.gfn;
            } else {
                ImGui::TextDisabled("the VM at the cursor has no such page");
            }
        } else if (setup && setup->pages <= (1u << 18) && setup->vcpus <= 8) {
            // Replayed on the UI thread: offered for guests that migrate in a blink.
            if (ImGui::SmallButton(
                    ("replay " + std::string(mode_name(g.modes[0])) + " mode in the console")
                        .c_str()))
                a.commands = replay_commands(*setup, g.modes[0]);
            tooltip_on_hover("Runs this mode's setup and migration as console commands (on the "
                             "timeline), so that the machine view can show the page.");
        }
        ImGui::PopID();
    }
    if (groups.size() > kShown)
        ImGui::TextDisabled("... and %zu more (Export JSON lists every one)",
                            groups.size() - kShown);
    if (compared && setup)
        dim_wrapped("The comparison's pages are in its own guests (" + guest_text(*setup) +
                    ", a VM for each mode), not in the VM on the timeline.");
    for (const Column& c : cols)
        if (c.usable() && !c.result->ordering_note.empty() && !c.result->lost.empty())
            dim_wrapped(std::string(mode_name(c.mode)) + ": " + c.result->ordering_note);
    ImGui::PopTextWrapPos();
    ImGui::EndGroup();
    record_item("migration lost");
    const float bottom = ImGui::GetItemRectMax().y + pad;
    dl->ChannelsSetCurrent(0);
    dl->AddRectFilled(p0, ImVec2(p0.x + w, bottom), (red & 0x00ffffffu) | (28u << 24));
    dl->AddRect(p0, ImVec2(p0.x + w, bottom), red, 0, 0, 3);
    dl->ChannelsMerge();
    ImGui::SetCursorScreenPos(ImVec2(p0.x, bottom));
    ImGui::Dummy(ImVec2(w, 1));
}

// The bars of one metric for one column.
Bars metric_bars(const Metric& mt, const Column& c, double y_max, double line) {
    Bars b;
    b.colour = mode_colour(c.mode);
    b.y_max = y_max;
    b.top_label = short_value(y_max, mt.kind);
    if (!c.usable()) {
        b.empty_text = !c.run                                      ? ""
                       : c.run->state == ModeRun::State::Running   ? "running…"
                       : c.run->state == ModeRun::State::Waiting   ? "waiting"
                       : c.run->state == ModeRun::State::Cancelled ? "cancelled"
                                                                   : "—";
        return b;
    }
    const MigrationResult& r = *c.result;
    for (const Round& rd : r.per_round) {
        b.values.push_back(double(mt.get(rd)));
        b.labels.push_back(rd.stop ? "S" : std::to_string(rd.index));
        b.hollow.push_back(rd.stop);
    }
    b.line = line;
    const Metric* metric = &mt;
    const MigrationResult* res = &r;
    b.tooltip = [metric, res](size_t i) {
        const Round& rd = res->per_round[i];
        std::string s =
            std::string(mode_name(res->mode)) + ", " +
            (rd.stop ? "stop-and-copy (the downtime)" : "round " + std::to_string(rd.index)) +
            ", " + ms_text(rd.end_ns - rd.start_ns) + "\n" +
            exact_value(metric->get(rd), metric->kind) + " " + metric->title;
        if (metric->get == kMetrics[0].get)
            s += "\n" + grouped(rd.sent) + " pages sent";
        return s;
    };
    return b;
}

void draw_results(const Model& m, Actions& a, Ui& ui) {
    const Theme t = ui.theme;
    const Comparison* cmp = m.migration.comparison.get();
    const migrate::GuestSetup* setup = cmp ? &cmp->setup() : nullptr;
    std::vector<Column> cols;
    if (const MigrationResult* r = m.view.migration()) {
        Column c;
        c.mode = r->mode;
        c.result = r;
        c.this_vm = true;
        cols.push_back(c);
    }
    for (const ModeRun& run : m.migration.runs) {
        Column c;
        c.mode = run.mode;
        c.run = &run;
        c.result = run.result.get();
        cols.push_back(c);
    }
    if (setup) {
        ImGui::TextWrapped("Compared: %s", guest_text(*setup).c_str());
        tooltip_on_hover("The same guest and workload migrated once in each mode, each on a VM "
                         "of its own set up as QEMU sets one up. Every time and cost is "
                         "simulated, from the engine's cost model (sim/migrate/migration.hpp); "
                         "none is measured.");
        std::string how = "each vCPU writes: " + migrate::workload_text(setup->workload) + " · " +
                          fmt("%.1f MiB/s", double(setup->config.bandwidth) / (1 << 20)) +
                          " · downtime limit " + ms_text(setup->config.downtime_ns) +
                          " · at most " + std::to_string(setup->config.max_rounds) +
                          " rounds · the modes share each row's scale";
        dim_wrapped(how);
        std::string broken;
        if (!setup->config.its_save.empty())
            broken +=
                " · vGIC ITS save of page " + hex(setup->config.its_save[0].first) + " at stop";
        for (const auto& [ns, gfn] : setup->config.kernel_writes)
            broken += " · KVM writes page " + hex(gfn) + " with no vCPU at " + ms_text(ns);
        if (setup->config.harvest == HarvestOrder::Plain)
            broken += " · plain harvest";
        if (!broken.empty())
            coloured_wrapped(error_colour(t), "broken on purpose" + broken);
    } else if (cols.empty()) {
        heading("Live migration: pre-copy with the bitmap, or with the ring?");
        ImGui::Spacing();
        dim_wrapped(
            "Set a guest and its workload on the left, then Migrate in every mode: the same "
            "guest is migrated QEMU's way four times — KVM_GET_DIRTY_LOG, manual protect with "
            "KVM_CLEAR_DIRTY_LOG, the dirty ring, and the ring with its backup bitmap — and "
            "each round's costs are drawn side by side. Switch on a broken protocol to see the "
            "page it loses. A `migrate` typed in the console shows here too, as \"this VM\".");
        return;
    }
    if (cols.empty())
        return;
    ImGui::Spacing();
    draw_lost(m, a, cols, setup, t);
    ImGui::Spacing();

    // Cards and plots share one table, so every column lines up from card to last plot. With
    // presenter fonts they are drawn a little smaller, or five columns would not fit.
    if (m.presenter)
        ImGui::SetWindowFontScale(0.75f);
    const float font = ImGui::GetFontSize();
    const float label_w = font * 8.5f;
    const ImGuiTableFlags flags =
        ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_PadOuterX;
    if (!ImGui::BeginTable("runs", int(cols.size()) + 1, flags)) {
        ImGui::SetWindowFontScale(1);
        return;
    }
    ImGui::TableSetupColumn("##metric", ImGuiTableColumnFlags_WidthFixed, label_w);
    for (size_t i = 0; i < cols.size(); ++i)
        ImGui::TableSetupColumn(("##c" + std::to_string(i)).c_str(),
                                ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableNextRow();
    ImGui::TableSetColumnIndex(0);

    for (size_t i = 0; i < cols.size(); ++i) {
        ImGui::TableSetColumnIndex(int(i) + 1);
        ImGui::PushID(int(i));
        draw_card(cols[i], cols[i].this_vm ? nullptr : setup ? &setup->config : nullptr, t);
        ImGui::PopID();
    }

    // One scale a row for the comparison's modes; "this VM" is another guest: its own scale.
    const float rows_top = ImGui::GetCursorScreenPos().y;
    const float avail = ImGui::GetWindowPos().y + ImGui::GetWindowHeight() - rows_top;
    const size_t n_rows = std::size(kMetrics);
    const float row_h = std::clamp(avail / float(n_rows) - ImGui::GetStyle().CellPadding.y * 2 - 2,
                                   font * 3.0f, font * 6.0f);
    bool first_row = true;
    for (const Metric& mt : kMetrics) {
        double shared = 0, own = 0;
        for (const Column& c : cols)
            if (c.usable())
                for (const Round& r : c.result->per_round)
                    (c.this_vm ? own : shared) =
                        std::max(c.this_vm ? own : shared, double(mt.get(r)));
        double line = -1;
        if (first_row && setup) // the pages that fit in the downtime limit at the bandwidth
            line =
                double(setup->config.bandwidth) * double(setup->config.downtime_ns) / 1e9 / 4096.0;
        const bool binary = mt.kind == Unit::Bytes;
        const double shared_max = nice_ceiling(std::max(shared, line), binary);
        const double own_max = nice_ceiling(own, binary);
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(mt.title);
        tooltip_on_hover(mt.why);
        ImGui::TextDisabled("%s", mt.unit);
        if (line >= 0)
            ImGui::TextDisabled("- - downtime limit");
        for (size_t i = 0; i < cols.size(); ++i) {
            ImGui::TableSetColumnIndex(int(i) + 1);
            const Bars b = metric_bars(mt, cols[i], cols[i].this_vm ? own_max : shared_max,
                                       cols[i].this_vm ? -1 : line);
            bar_plot(("##" + std::string(mt.title) + std::to_string(i)).c_str(), b,
                     ImVec2(ImGui::GetContentRegionAvail().x, row_h));
            if (first_row) // where each mode's dirty pages were drawn (--layout)
                record_item(
                    ("migration dirty " + (cols[i].this_vm ? std::string("this-vm")
                                                           : std::string(mode_name(cols[i].mode))))
                        .c_str());
        }
        first_row = false;
    }
    ImGui::EndTable();
    record_item("migration plots");
    ImGui::SetWindowFontScale(1);
}

} // namespace

void draw_migration(const Model& m, Actions& a, Ui& ui) {
    record_panel("migration");
    const float font = ImGui::GetFontSize();
    // Presenter fonts are twice as big, and a small window (a small recording) has no room to
    // spare: there the settings give their room to the results until asked for.
    const bool roomy = ImGui::GetContentRegionAvail().x > font * 60;
    const bool settings =
        ui.migration_settings < 0 ? !m.presenter && roomy : ui.migration_settings == 1;
    if (settings) {
        ImGui::BeginChild("settings", ImVec2(font * 17.5f, 0), false);
        draw_settings(m, a, ui);
        ImGui::EndChild();
        ImGui::SameLine();
        const ImVec2 p = ImGui::GetCursorScreenPos();
        ImGui::GetWindowDrawList()->AddLine(ImVec2(p.x - 4, p.y),
                                            ImVec2(p.x - 4, p.y + ImGui::GetContentRegionAvail().y),
                                            ImGui::GetColorU32(ImGuiCol_Border));
    }
    ImGui::BeginChild("results", ImVec2(0, 0), false);
    if (!settings) {
        if (ImGui::SmallButton("settings"))
            ui.migration_settings = 1;
        ImGui::SameLine();
        if (comparison_running(m)) {
            if (ImGui::SmallButton("cancel"))
                a.cancel_compare = true;
        } else if (ImGui::SmallButton("migrate in every mode")) {
            a.start_compare = true;
        }
    }
    draw_results(m, a, ui);
    ImGui::EndChild();
}

} // namespace ringside::app
