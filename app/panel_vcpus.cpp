// vCPUs: each vCPU's state — how its last KVM_RUN ended, whether it must wait for a reset, its
// pending access, its ring's fill against the soft limit, its PML buffer on x86.
#include "panels.hpp"

namespace ringside::app {

namespace {

// The last KVM_RUN of every vCPU that ended at or before the cursor: found by walking the
// commands back (a run's last event is its KVM_RUN result), redone only when the state changes.
const std::map<uint32_t, Event>& last_runs(const Model& m, Ui& ui) {
    if (ui.last_runs_view == m.cursor_changed_frame + 1)
        return ui.last_runs;
    ui.last_runs.clear();
    const size_t want = m.view.kvm() ? m.view.kvm()->vcpus.size() : 0;
    const scenario::Timeline& t = m.timeline;
    const EventLog& log = t.log();
    for (size_t c = t.command_count(); c-- > 0 && ui.last_runs.size() < want;) {
        const scenario::Command& cmd = t.command(c);
        if (cmd.op == scenario::Op::Vm && t.end_event(c) <= m.cursor)
            break; // an earlier VM's vCPUs are not these
        if (cmd.op != scenario::Op::Run || t.end_event(c) > m.cursor ||
            t.end_event(c) == t.first_event(c))
            continue;
        const Event& e = log[t.end_event(c) - 1];
        if (e.kind == EventKind::Ioctl && e.aux == uint8_t(IoctlId::Run))
            ui.last_runs.emplace(e.vcpu, e); // keeps the latest: found first, going back
    }
    ui.last_runs_view = m.cursor_changed_frame + 1;
    return ui.last_runs;
}

std::string hex_gfn(uint64_t gfn) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(gfn));
    return buf;
}

} // namespace

void draw_vcpus(const Model& m, Actions& a, Ui& ui) {
    record_panel("vcpus");
    const Kvm* kvm = m.view.kvm();
    if (!kvm || kvm->vcpus.empty()) {
        ImGui::TextDisabled("no vCPUs yet: try `vcpu 0`");
        return;
    }
    const bool pml = kvm->config.cpu_dirty_log_size > 0;
    if (!ImGui::BeginTable("vcpus", pml ? 5 : 4,
                           ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                               ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp))
        return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("vCPU", ImGuiTableColumnFlags_WidthStretch, 0.5f);
    ImGui::TableSetupColumn("state", ImGuiTableColumnFlags_WidthStretch, 2.4f);
    ImGui::TableSetupColumn("ring used / soft limit", ImGuiTableColumnFlags_WidthStretch, 1.8f);
    ImGui::TableSetupColumn("writes unseen", ImGuiTableColumnFlags_WidthStretch, 0.9f);
    if (pml)
        ImGui::TableSetupColumn("PML", ImGuiTableColumnFlags_WidthStretch, 0.6f);
    ImGui::TableHeadersRow();
    for (const Vcpu& v : kvm->vcpus) {
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        char label[32];
        std::snprintf(label, sizeof label, "%u", v.vcpu_id);
        if (ImGui::Selectable(label, m.focused_vcpu == v.vcpu_id,
                              ImGuiSelectableFlags_SpanAllColumns))
            a.focus_vcpu = v.vcpu_id;
        ImGui::TableNextColumn();
        const bool soft_full = v.dirty_ring && dirty_ring_soft_full(*v.dirty_ring);
        const auto& runs = last_runs(m, ui);
        const auto found = runs.find(v.vcpu_id);
        const Event* run = found == runs.end() ? nullptr : &found->second;
        // Stepping through a run, the vCPU is still inside KVM_RUN.
        bool in_run = false;
        if (m.cursor > 0 && m.cursor < m.timeline.event_count()) {
            const size_t c = m.timeline.command_of(m.cursor - 1);
            const scenario::Command& cmd = m.timeline.command(c);
            in_run = cmd.op == scenario::Op::Run && cmd.id == v.vcpu_id &&
                     m.cursor < m.timeline.end_event(c);
        }
        std::string state =
            in_run ? std::string("in KVM_RUN")
            : run  ? "exited: " + std::string(exit_reason_name(static_cast<ExitReason>(run->aux2)))
                   : std::string("created, never run");
        if (soft_full)
            state += " — ring soft full: waits for a reset";
        if (v.pending)
            state += std::string(" — pending ") + (v.pending->write ? "write" : "read") +
                     " of gfn " + hex_gfn(v.pending->gfn);
        if (soft_full)
            ImGui::PushStyleColor(ImGuiCol_Text, error_colour(ui.theme));
        ImGui::TextWrapped("%s", state.c_str());
        if (soft_full)
            ImGui::PopStyleColor();
        ImGui::TableNextColumn();
        if (v.dirty_ring) {
            const DirtyRing& r = *v.dirty_ring;
            const uint32_t used = dirty_ring_used(r);
            char text[64];
            std::snprintf(text, sizeof text, "%u / %u", used, r.soft_limit);
            ImGui::PushStyleColor(ImGuiCol_PlotHistogram,
                                  soft_full ? error_colour(ui.theme)
                                            : page_colour(PageState::DirtyRing, ui.theme));
            ImGui::ProgressBar(r.soft_limit ? std::min(1.0f, float(used) / float(r.soft_limit)) : 0,
                               ImVec2(-1, 0), text);
            ImGui::PopStyleColor();
        } else {
            ImGui::TextDisabled("no ring");
        }
        ImGui::TableNextColumn();
        ImGui::Text("%llu", static_cast<unsigned long long>(v.unseen_writes));
        if (pml) {
            ImGui::TableNextColumn();
            ImGui::Text("%zu/512", v.pml_buffer.size());
        }
    }
    ImGui::EndTable();
}

} // namespace ringside::app
