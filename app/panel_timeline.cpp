// Timeline: the event log with play, pause, step, speed and scrub; each event names the kernel
// function it mirrors, with the engine's explanation.
#include "panels.hpp"

namespace ringside::app {

void draw_timeline(const Model& m, Actions& a, Ui& ui) {
    (void)ui;
    record_panel("timeline");
    const EventLog& log = m.timeline.log();
    const uint64_t n = m.visible_end(); // a lesson hides its later steps
    const KernelConfig* cfg = m.view.kvm() ? &m.view.kvm()->config : nullptr;
    if (ImGui::Button("|<"))
        a.seek = 0;
    ImGui::SameLine();
    if (ImGui::Button("< step") && m.cursor > 0)
        a.seek = m.cursor - 1;
    ImGui::SameLine();
    if (ImGui::Button(m.playing ? "pause" : "play"))
        a.play = !m.playing;
    ImGui::SameLine();
    if (ImGui::Button("step >") && m.cursor < n)
        a.seek = m.cursor + 1;
    ImGui::SameLine();
    if (ImGui::Button(">|"))
        a.seek = n;
    ImGui::SameLine();
    float speed = m.events_per_second;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
    if (ImGui::SliderFloat("##speed", &speed, 0.5f, 2000.0f, "%.1f events/s",
                           ImGuiSliderFlags_Logarithmic))
        a.speed = speed;
    ImGui::SameLine();
    uint64_t pos = m.cursor;
    const uint64_t zero = 0;
    ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 12);
    if (ImGui::SliderScalar("##scrub", ImGuiDataType_U64, &pos, &zero, &n, "event %llu"))
        a.seek = pos;
    ImGui::SameLine();
    ImGui::Text("%llu of %llu events", static_cast<unsigned long long>(m.cursor),
                static_cast<unsigned long long>(n));

    // What just happened, in a sentence, with the kernel function.
    if (m.cursor > 0 && cfg) {
        const Event& e = log[m.cursor - 1];
        const KernelSite site = kernel_site(e, *cfg);
        ImGui::TextWrapped("#%llu %s", static_cast<unsigned long long>(m.cursor - 1),
                           describe(e, *cfg, log.reason(m.cursor - 1)).c_str());
        kernel_site_text(site.function, site.file);
    } else {
        ImGui::TextDisabled("the start: nothing has happened yet");
    }
    ImGui::Separator();
    ImGui::BeginChild("events");
    ImGuiListClipper clip;
    clip.Begin(int(std::min<uint64_t>(n, uint64_t(INT32_MAX))));
    while (clip.Step())
        for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
            const Event& e = log[size_t(i)];
            const bool done = uint64_t(i) < m.cursor;
            char label[48];
            std::snprintf(label, sizeof label, "#%d %s", i,
                          std::string(event_kind_name(e.kind)).c_str());
            if (!done)
                ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.45f);
            if (ImGui::Selectable(label, uint64_t(i) + 1 == m.cursor))
                a.seek = uint64_t(i) + 1;
            if (!done)
                ImGui::PopStyleVar();
            // Each event in the words of the kernel it happened on (a `vm` line changes it).
            if (const KernelConfig* at = m.timeline.config_at(uint64_t(i))) {
                ImGui::SameLine(ImGui::GetFontSize() * 9);
                ImGui::TextUnformatted(describe(e, *at, log.reason(size_t(i))).c_str());
            }
        }
    // Follow the cursor whenever it moves (playing, stepping, a new command), not while the
    // user scrolls the list by hand.
    if (m.playing || m.frame - m.cursor_changed_frame <= 1 || ImGui::IsWindowAppearing()) {
        const float line = ImGui::GetTextLineHeightWithSpacing();
        ImGui::SetScrollY(std::max(0.0f, float(m.cursor) * line - ImGui::GetWindowHeight() * 0.5f));
    }
    ImGui::EndChild();
}

} // namespace ringside::app
