// Capabilities: each dirty-tracking capability's check value and what enabling it would return
// right now, with the reason (the engine's dry runs), and the same for any other arch/version.
#include "dry_run.hpp"
#include "panels.hpp"

#include <string>

namespace ringside::app {

namespace {

const Arch kArches[] = {Arch::X86_64, Arch::Arm64, Arch::LoongArch, Arch::RiscV};

// pointed: a capability a lesson step points at ("" for none), outlined in its row.
void cap_rows(const std::vector<CapRow>& rows, const std::vector<CapRow>* compare, Theme t,
              const Model& m, const std::string& pointed = "") {
    if (!ImGui::BeginTable("caps", 3,
                           ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                               ImGuiTableFlags_SizingStretchProp))
        return;
    ImGui::TableSetupColumn("capability", ImGuiTableColumnFlags_WidthFixed,
                            ImGui::CalcTextSize("DIRTY_LOG_RING_WITH_BITMAP").x);
    ImGui::TableSetupColumn("check", ImGuiTableColumnFlags_WidthFixed,
                            ImGui::CalcTextSize("1048576").x);
    ImGui::TableSetupColumn("enable now", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < rows.size(); ++i) {
        const CapRow& r = rows[i];
        const bool changed = compare && i < compare->size() &&
                             ((*compare)[i].check.value != r.check.value ||
                              (*compare)[i].enable.value != r.enable.value);
        ImGui::TableNextRow();
        if (changed)
            ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg0,
                                   (highlight_colour(t) & 0x00ffffff) | 0x30000000);
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(r.name.c_str());
        if (!pointed.empty() && r.name == pointed)
            outline(ImGui::GetWindowDrawList(), ImGui::GetItemRectMin(), ImGui::GetItemRectMax(), m,
                    t);
        ImGui::TableNextColumn();
        ImGui::Text("%lld", static_cast<long long>(r.check.value));
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("%s", r.check.why.c_str());
        ImGui::TableNextColumn();
        result_text(ret_text(r.enable.value), t);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("enable %s args0=%llu\n%s", r.name.c_str(),
                              static_cast<unsigned long long>(r.args0), r.enable.why.c_str());
    }
    ImGui::EndTable();
}

} // namespace

void draw_caps(const Model& m, Actions& a, Ui& ui) {
    record_panel("capabilities");
    const Kvm* kvm = m.view.kvm();
    if (!kvm) {
        ImGui::TextDisabled("no VM yet");
        return;
    }
    const VmSpec& spec = kvm->config.spec;
    ImGui::Text("This VM: %s, Linux %s", std::string(arch_name(spec.arch)).c_str(),
                version_name(spec.version).c_str());
    const std::vector<CapRow> now = capability_report(*kvm);
    const Highlight* h = lesson_highlight(m);
    cap_rows(now, nullptr, ui.theme, m, h && h->kind == Highlight::Cap ? h->cap : "");
    // The reason for the row the learner most likely wonders about: the first that fails.
    for (const CapRow& r : now)
        if (!r.enable.ok()) {
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            ImGui::TextWrapped("%s: %s", r.name.c_str(), r.enable.why.c_str());
            ImGui::PopStyleColor();
            break;
        }

    ImGui::Separator();
    ImGui::TextUnformatted("Another kernel, on a new VM:");
    const auto vs = known_versions();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::BeginCombo("##arch", std::string(arch_name(kArches[ui.caps_arch])).c_str())) {
        for (int i = 0; i < 4; ++i)
            if (ImGui::Selectable(std::string(arch_name(kArches[i])).c_str(), i == ui.caps_arch))
                ui.caps_arch = i;
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
    ui.caps_version = std::min<int>(ui.caps_version, int(vs.size()) - 1);
    if (ImGui::BeginCombo("##ver", version_name(vs[size_t(ui.caps_version)]).c_str())) {
        for (int i = 0; i < int(vs.size()); ++i)
            if (ImGui::Selectable(version_name(vs[size_t(i)]).c_str(), i == ui.caps_version))
                ui.caps_version = i;
        ImGui::EndCombo();
    }
    VmSpec other;
    other.arch = kArches[ui.caps_arch];
    other.version = vs[size_t(ui.caps_version)];
    other.pml = other.arch == Arch::X86_64;
    other.page_size = other.arch == Arch::LoongArch ? 16384 : 4096;
    const ConfigOrError cfg = make_kernel_config(other);
    if (!cfg.config) {
        ImGui::TextDisabled("%s", cfg.error.c_str());
        return;
    }
    ImGui::SameLine();
    if (ImGui::Button("new VM here"))
        a.commands.push_back("vm arch=" + std::string(arch_name(other.arch)) +
                             " kernel=" + version_name(other.version));
    const CapMatrix matrix = capability_matrix(*cfg.config);
    const CapMatrix mine = capability_matrix(kvm->config);
    cap_rows(matrix.fresh, &mine.fresh, ui.theme, m);
    ImGui::TextDisabled("highlighted: differs from this VM's kernel");
}

} // namespace ringside::app
