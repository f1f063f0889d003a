// Memory order: why arm64 needs ACQ_REL. A program written with the kernel's primitives (the
// ring's publish and reset handshakes, or a classic shape) rendered for arm64 or x86, every
// execution the architecture's model allows, and one of them drawn: the threads side by side,
// reads-from / from-read / coherence edges, which neighbouring accesses the model keeps in
// order, and a step-through of when each store becomes visible and what each read sees.
#include "panels.hpp"

#include "ordering/execution_view.hpp"
#include "ordering/explorer.hpp"
#include "ordering/kernel_programs.hpp"
#include "ordering/litmus_parser.hpp"

#include <cmath>

namespace ringside::app {

namespace {

using namespace ringside::ordering;

// Everything worked out for one choice of program, architecture and switches.
struct Prepared {
    OrderingState key;
    KernelProgram program;
    RenderedProgram rendered;
    ordering::Test test;
    ExecutionViews views;
    std::string error;
};

std::vector<KernelProgram> programs(const OrderingState& s) {
    std::vector<KernelProgram> out = {ring_publish(s.acqrel, s.kernel_wmb), ring_reset(s.acqrel)};
    for (KernelProgram& p : classic_programs())
        out.push_back(std::move(p));
    KernelProgram all; // the race explorer: drawn by draw_explorer
    all.title = "The whole protocol: race explorer, 2 entries x 2 laps";
    out.push_back(all);
    return out;
}

const Prepared& prepare(const OrderingState& s) {
    static Prepared cache;
    static bool ready = false;
    OrderingState key = s;
    key.shown = false;
    key.execution = key.step = 0;
    if (ready && cache.key == key)
        return cache;
    ready = true;
    cache = Prepared{};
    cache.key = key;
    std::vector<KernelProgram> all = programs(s);
    cache.program = all[size_t(std::clamp(s.program, 0, int(all.size()) - 1))];
    const ordering::Arch arch = s.arm64 ? ordering::Arch::AArch64 : ordering::Arch::X86;
    cache.rendered = render(cache.program, arch);
    try {
        cache.test = parse_litmus(cache.rendered.litmus, cache.program.name + ".litmus");
        cache.views =
            allowed_executions(cache.test, s.arm64 ? ordering::Model::Armv8 : ordering::Model::Tso);
    } catch (const LitmusError& e) {
        cache.error = e.what();
    }
    return cache;
}

ImU32 colour(ImU32 c, float alpha) {
    return (c & 0x00ffffff) | (ImU32(alpha * 255.0f) << 24);
}

// An arrow from a to b, bending sideways by `bend` so edges between the same rows stay apart.
void arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, ImU32 c, float bend, float thick) {
    const ImVec2 mid((a.x + b.x) * 0.5f + bend, (a.y + b.y) * 0.5f);
    dl->AddBezierQuadratic(a, mid, b, c, thick, 24);
    const float dx = b.x - mid.x, dy = b.y - mid.y, len = std::sqrt(dx * dx + dy * dy) + 1e-3f;
    const float ux = dx / len, uy = dy / len, s = 7 + thick;
    dl->AddTriangleFilled(b, ImVec2(b.x - ux * s - uy * s * 0.5f, b.y - uy * s + ux * s * 0.5f),
                          ImVec2(b.x - ux * s + uy * s * 0.5f, b.y - uy * s - ux * s * 0.5f), c);
}

constexpr int kExplorer = 6; // the program index of the race explorer

struct Explored {
    OrderingState key;
    RingProgram program;
    ExploreResult result;
    std::string error;
};

const Explored& explored(const OrderingState& s) {
    static Explored cache;
    static bool ready = false;
    OrderingState key = s;
    key.shown = false;
    key.execution = key.step = 0;
    key.race = -1;
    if (ready && cache.key == key)
        return cache;
    ready = true;
    cache = Explored{};
    cache.key = key;
    RingSetup setup;
    setup.arch = s.arm64 ? ordering::Arch::AArch64 : ordering::Arch::X86;
    setup.harvest = s.acqrel ? HarvestOrder::AcqRel : HarvestOrder::Plain;
    setup.patches.no_wmb = !s.kernel_wmb;
    setup.patches.plain_reset = s.plain_reset;
    setup.entries = 2;
    setup.laps = 2;
    try {
        cache.program = ring_program(setup);
        cache.result = explore(cache.program);
    } catch (const LitmusError& e) {
        cache.error = e.what();
    }
    return cache;
}

// The whole protocol, 2 entries x 2 laps: every execution the model allows, judged by the truth
// tracker, and a witness of each race as a step list to walk through.
void draw_explorer(Actions& a, Ui& ui, OrderingState& s, bool& changed) {
    const Theme t = ui.theme;
    changed |= ImGui::Checkbox("QEMU uses acquire/release (order=acqrel)", &s.acqrel);
    ImGui::SameLine();
    changed |= ImGui::Checkbox("push keeps smp_wmb", &s.kernel_wmb);
    ImGui::SameLine();
    changed |= ImGui::Checkbox("reset uses plain accesses (before 6.1)", &s.plain_reset);
    const Explored& e = explored(s);
    if (!e.error.empty()) {
        ImGui::TextColored(ImColor(error_colour(t)), "%s", e.error.c_str());
        return;
    }
    const ExploreResult& r = e.result;
    const char* arch = s.arm64 ? "arm64" : "x86_64";
    if (r.bad)
        ImGui::TextColored(ImColor(error_colour(t)),
                           "%s: %llu of the %llu executions the model allows lose or misattribute "
                           "a dirty page",
                           arch, static_cast<unsigned long long>(r.bad),
                           static_cast<unsigned long long>(r.executions));
    else
        ImGui::TextColored(ImColor(ok_colour(t)),
                           "%s: none of the %llu executions the model allows loses a dirty page",
                           arch, static_cast<unsigned long long>(r.executions));
    record_item("ordering verdict");
    ImGui::TextDisabled("2 entries x 2 laps: the vCPU pushes, QEMU harvests, KVM resets, the "
                        "vCPU reuses each entry — every interleaving and reordering the model "
                        "allows, judged against every page the guest really wrote");
    for (int k = 0; k < kRingRaces; ++k) {
        const RingRace race = RingRace(k);
        if (!r.by_race[size_t(k)])
            continue;
        const bool chosen =
            (s.race < 0 && r.witnesses.size() && r.witnesses[0].race == race) || s.race == k;
        if (ImGui::RadioButton((std::string(race_name(race)) + "##race").c_str(), chosen)) {
            s.race = k;
            s.step = 0;
            changed = true;
        }
        ImGui::SameLine();
        ImGui::Text("%llu executions — %s", static_cast<unsigned long long>(r.by_race[size_t(k)]),
                    race_summary(race));
    }
    const RingWitness* w = s.race >= 0 ? r.witness(RingRace(s.race))
                                       : (r.witnesses.empty() ? nullptr : &r.witnesses[0]);
    if (!w)
        return;
    ImGui::Separator();
    ImGui::PushStyleColor(ImGuiCol_Text, error_colour(t));
    ImGui::TextWrapped("%s", w->story.c_str());
    ImGui::PopStyleColor();
    if (ImGui::Button("< step##exp") && s.step > 0) {
        --s.step;
        changed = true;
    }
    ImGui::SameLine();
    if (ImGui::Button("step >##exp") && s.step < int(w->steps.size())) {
        ++s.step;
        changed = true;
    }
    ImGui::SameLine();
    ImGui::TextDisabled("(← / → step)   %d of %zu", std::min<int>(s.step, int(w->steps.size())),
                        w->steps.size());
    if (!ImGui::BeginTable("witness", 7,
                           ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                               ImGuiTableFlags_SizingFixedFit))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    for (const char* h : {"#", "who", "function", "instruction", "location", "value", "read from"})
        ImGui::TableSetupColumn(h);
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < w->steps.size(); ++i) {
        const WitnessStep& st = w->steps[i];
        const bool done = int(i) < s.step, current = int(i) + 1 == s.step;
        ImGui::TableNextRow();
        if (current)
            ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg0,
                                   (highlight_colour(t) & 0x00ffffff) | 0x40000000);
        if (!done)
            ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.45f);
        ImGui::TableNextColumn();
        ImGui::Text("%zu", i + 1);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(actor_name(st.actor));
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(st.function.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(st.instruction.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(st.location.c_str());
        ImGui::TableNextColumn();
        ImGui::Text("%s %lld", st.kind == ordering::Event::Kind::Write ? "writes" : "reads",
                    static_cast<long long>(st.value));
        ImGui::TableNextColumn();
        if (st.kind != ordering::Event::Kind::Write)
            ImGui::Text("%s%s",
                        st.from ? ("step " + std::to_string(st.from)).c_str() : "initial value",
                        st.forwarded ? " (forwarded)" : "");
        if (!done)
            ImGui::PopStyleVar();
    }
    ImGui::EndTable();
    (void)a;
}

} // namespace

void draw_ordering(const Model& m, Actions& a, Ui& ui) {
    record_panel("ordering");
    const Theme t = ui.theme;
    OrderingState s = m.ordering;
    bool changed = false;
    const std::vector<KernelProgram> all = programs(s);
    // The choice: program, architecture, and the switches the ring programs have.
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 27);
    s.program = std::clamp(s.program, 0, int(all.size()) - 1);
    if (ImGui::BeginCombo("##program", all[size_t(s.program)].title.c_str())) {
        for (int i = 0; i < int(all.size()); ++i)
            if (ImGui::Selectable(all[size_t(i)].title.c_str(), i == s.program)) {
                s.program = i;
                changed = true;
            }
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::RadioButton("arm64 (ARMv8)", s.arm64) && !s.arm64) {
        s.arm64 = true;
        changed = true;
    }
    ImGui::SameLine();
    if (ImGui::RadioButton("x86_64 (TSO)", !s.arm64) && s.arm64) {
        s.arm64 = false;
        changed = true;
    }
    if (s.program == kExplorer) {
        draw_explorer(a, ui, s, changed);
        if (changed)
            a.ordering = s;
        return;
    }
    if (s.program <= 1) {
        ImGui::SameLine();
        changed |= ImGui::Checkbox("QEMU uses acquire/release (order=acqrel)", &s.acqrel);
        if (s.program == 0) {
            ImGui::SameLine();
            changed |= ImGui::Checkbox("kvm_dirty_ring_push keeps smp_wmb", &s.kernel_wmb);
        }
    }
    const Prepared& p = prepare(s);
    if (!p.error.empty()) {
        ImGui::TextColored(ImColor(error_colour(t)), "%s", p.error.c_str());
        if (changed)
            a.ordering = s;
        return;
    }
    const ExecutionViews& v = p.views;
    const int bad = first_with_outcome(v);
    const uint64_t total = v.allowed.size();
    const uint64_t bad_count = v.result.positive;
    // The verdict, as large as the text allows.
    const char* arch = s.arm64 ? "arm64" : "x86_64";
    if (bad >= 0)
        ImGui::TextColored(ImColor(error_colour(t)),
                           "%s ALLOWS it: %llu of the %llu executions the model allows end badly",
                           arch, static_cast<unsigned long long>(bad_count),
                           static_cast<unsigned long long>(total));
    else
        ImGui::TextColored(ImColor(ok_colour(t)),
                           "%s FORBIDS it: none of the %llu executions the model allows ends "
                           "badly",
                           arch, static_cast<unsigned long long>(total));
    record_item("ordering verdict");
    ImGui::TextWrapped("The bad outcome: %s", p.program.story.c_str());
    if (total == 0) {
        if (changed)
            a.ordering = s;
        return;
    }
    if (s.execution < 0) { // asked for "a bad execution" before the list was known
        s.execution = std::max(bad, 0);
        changed = true;
    }
    s.execution = std::clamp(s.execution, 0, int(total) - 1);
    // Which execution.
    if (ImGui::Button("<##exec") && s.execution > 0) {
        --s.execution;
        s.step = 0;
        changed = true;
    }
    ImGui::SameLine();
    ImGui::Text("execution %d of %llu", s.execution + 1, static_cast<unsigned long long>(total));
    ImGui::SameLine();
    if (ImGui::Button(">##exec") && s.execution + 1 < int(total)) {
        ++s.execution;
        s.step = 0;
        changed = true;
    }
    ImGui::SameLine();
    if (ImGui::Button("find a bad execution")) {
        if (bad >= 0) {
            s.execution = bad;
            s.step = 0;
        }
        changed = true;
    }
    if (bad < 0) {
        ImGui::SameLine();
        ImGui::TextDisabled("(there is none: the model forbids every bad one)");
    }
    const ExecutionView& x = v.allowed[size_t(s.execution)];
    ImGui::SameLine();
    ImGui::TextColored(ImColor(x.outcome ? error_colour(t) : ok_colour(t)), "final: %s%s",
                       x.state.c_str(), x.outcome ? " — bad" : " — fine");

    // The threads side by side, each instruction with the primitive it came from.
    const float steps_h = ImGui::GetTextLineHeightWithSpacing() * float(x.steps.size() + 2.5);
    ImGui::BeginChild("threads", ImVec2(0, -steps_h), false);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float col_w = ImGui::GetContentRegionAvail().x / float(p.test.threads.size());
    const float line = ImGui::GetTextLineHeightWithSpacing() * 1.25f;
    const int nthreads = int(p.test.threads.size());
    // Where each event is drawn: the row of its instruction.
    std::vector<ImVec2> left(x.x.events.size()), right(x.x.events.size());
    std::vector<int> step_of(x.x.events.size(), -1);
    for (size_t k = 0; k < x.steps.size(); ++k)
        step_of[size_t(x.steps[k])] = int(k);
    const int shown = std::clamp(s.step, 0, int(x.steps.size()));
    const int current = shown > 0 ? x.steps[size_t(shown - 1)] : -1;
    const float glow = change_glow(m);
    float bottom = origin.y;
    for (int th = 0; th < nthreads; ++th) {
        const float x0 = origin.x + col_w * float(th) + ImGui::GetFontSize();
        dl->AddText(ImVec2(x0, origin.y), ImGui::GetColorU32(ImGuiCol_Text),
                    ("P" + std::to_string(th) + "  " + p.program.threads[size_t(th)].who).c_str());
        const std::vector<Instr>& code = p.test.threads[size_t(th)].code;
        // Source and assembly interleaved: each primitive on its own line, then what it became.
        ImGui::PushClipRect(ImVec2(x0 - ImGui::GetFontSize(), origin.y),
                            ImVec2(x0 + col_w - ImGui::GetFontSize() * 1.5f, origin.y + 1e5f),
                            true);
        int last_from = -1;
        float y = origin.y + line * 1.3f;
        for (size_t i = 0; i < code.size(); ++i) {
            const int from =
                i < p.rendered.from[size_t(th)].size() ? p.rendered.from[size_t(th)][i] : -1;
            if (from >= 0 && from != last_from) {
                const Primitive& prim = p.program.threads[size_t(th)].code[size_t(from)];
                const std::string note =
                    primitive_text(prim) + (prim.why.empty() ? "" : "   // " + prim.why);
                dl->AddText(ImVec2(x0, y), colour(page_colour(PageState::Writable, t), 0.9f),
                            note.c_str());
                y += line;
            }
            last_from = from;
            // The event of this instruction, if it touched memory.
            int ev = -1;
            for (int e = x.x.first[size_t(th)]; e < x.x.first[size_t(th) + 1]; ++e)
                if (x.x.events[size_t(e)].instr == int(i) && x.x.events[size_t(e)].is_mem())
                    ev = e;
            const float xi = x0 + ImGui::GetFontSize() * 1.5f; // instructions are indented
            ImU32 text_col = ImGui::GetColorU32(ImGuiCol_Text);
            if (ev >= 0) {
                const bool done = step_of[size_t(ev)] >= 0 && step_of[size_t(ev)] < shown;
                if (ev == current)
                    dl->AddRectFilled(ImVec2(xi - 4, y - 2),
                                      ImVec2(x0 + col_w, y + ImGui::GetTextLineHeight() + 2),
                                      colour(highlight_colour(t), 0.12f + 0.2f * glow));
                const ordering::Event& e = x.x.events[size_t(ev)];
                const std::string val =
                    (e.kind == ordering::Event::Kind::Write ? "   writes " : "   reads ") +
                    p.test.locations[size_t(e.loc)].name + " = " + value_text(p.test, e.value) +
                    (step_of[size_t(ev)] >= 0
                         ? "   (step " + std::to_string(step_of[size_t(ev)] + 1) + ")"
                         : "");
                const float tw = ImGui::CalcTextSize(code[i].text.c_str()).x;
                dl->AddText(ImVec2(xi + tw, y),
                            done ? ImGui::GetColorU32(ImGuiCol_Text)
                                 : ImGui::GetColorU32(ImGuiCol_TextDisabled),
                            val.c_str());
                left[size_t(ev)] = ImVec2(xi - 6, y + ImGui::GetTextLineHeight() * 0.5f);
                right[size_t(ev)] = ImVec2(xi + tw + ImGui::CalcTextSize(val.c_str()).x + 6,
                                           y + ImGui::GetTextLineHeight() * 0.5f);
            } else {
                text_col = ImGui::GetColorU32(ImGuiCol_TextDisabled);
            }
            dl->AddText(ImVec2(xi, y), text_col, code[i].text.c_str());
            y += line;
        }
        ImGui::PopClipRect();
        bottom = std::max(bottom, y);
    }
    ImGui::Dummy(ImVec2(0, bottom - origin.y + line));
    // Edges. Reads-from from an initial value start at the top of the reader's column.
    const ImU32 rf_c = ok_colour(t), fr_c = error_colour(t),
                ord_c = page_colour(PageState::Armed, t);
    auto anchor_out = [&](int from, int to) {
        if (x.x.events[size_t(from)].thread < 0)
            return ImVec2(left[size_t(to)].x + col_w * 0.3f, origin.y + line * 0.9f);
        return x.x.events[size_t(from)].thread < x.x.events[size_t(to)].thread ? right[size_t(from)]
                                                                               : left[size_t(from)];
    };
    auto anchor_in = [&](int from, int to) {
        return x.x.events[size_t(from)].thread >= 0 &&
                       x.x.events[size_t(from)].thread < x.x.events[size_t(to)].thread
                   ? left[size_t(to)]
                   : right[size_t(to)];
    };
    for (const auto& [w, r] : x.rf)
        if (x.x.events[size_t(w)].thread != x.x.events[size_t(r)].thread)
            arrow(dl, anchor_out(w, r), anchor_in(w, r), colour(rf_c, 0.9f), 0, 2.5f);
    for (const auto& [r, w] : x.fr)
        arrow(dl, anchor_out(r, w), anchor_in(r, w), colour(fr_c, 0.9f), 20, 2.0f);
    for (const auto& [e1, e2] : x.ordered) { // a bracket left of the column
        const ImVec2 a0 = left[size_t(e1)], a1 = left[size_t(e2)];
        dl->AddLine(ImVec2(a0.x - 8, a0.y), ImVec2(a1.x - 8, a1.y), ord_c, 3);
        dl->AddLine(ImVec2(a0.x - 8, a0.y), ImVec2(a0.x - 2, a0.y), ord_c, 3);
        dl->AddLine(ImVec2(a1.x - 8, a1.y), ImVec2(a1.x - 2, a1.y), ord_c, 3);
    }
    ImGui::EndChild();
    legend_swatch(rf_c, "reads from", true);
    legend_swatch(fr_c, "read before it was overwritten (from-read)");
    legend_swatch(ord_c, "kept in order by this architecture");

    // The step-through: which store is visible when, what each read sees.
    if (ImGui::Button("< step##ord") && s.step > 0) {
        --s.step;
        changed = true;
    }
    ImGui::SameLine();
    if (ImGui::Button("step >##ord") && s.step < int(x.steps.size())) {
        ++s.step;
        changed = true;
    }
    ImGui::SameLine();
    ImGui::TextDisabled("(← / → step)   %d of %zu", shown, x.steps.size());
    for (size_t k = 0; k < x.steps.size(); ++k) {
        const bool done = int(k) < shown;
        const std::string text =
            std::to_string(k + 1) + ". " + step_text(p.test, x, v.model, x.steps[k]);
        if (int(k) == shown - 1)
            ImGui::TextColored(ImColor(highlight_colour(t)), "%s", text.c_str());
        else if (done)
            ImGui::TextUnformatted(text.c_str());
        else
            ImGui::TextDisabled("%s", text.c_str());
    }
    if (changed)
        a.ordering = s;
}

} // namespace ringside::app
