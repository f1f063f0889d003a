// Console: type scenario-language commands, or use the buttons; every result is shown the
// kernel's way, with the engine's explanation.
#include "panels.hpp"

#include <algorithm>
#include <cstring>

namespace ringside::app {

namespace {

struct HistoryContext {
    Ui* ui;
    const std::vector<std::string>* history;
};

// Up and down walk the commands typed before, newest first, as in a shell.
int history_callback(ImGuiInputTextCallbackData* data) {
    auto* ctx = static_cast<HistoryContext*>(data->UserData);
    const int n = int(ctx->history->size());
    int& pos = ctx->ui->history_pos;
    if (data->EventFlag != ImGuiInputTextFlags_CallbackHistory || n == 0)
        return 0;
    if (data->EventKey == ImGuiKey_UpArrow)
        pos = pos < 0 ? n - 1 : std::max(0, pos - 1);
    else if (data->EventKey == ImGuiKey_DownArrow && pos >= 0)
        pos = pos + 1 >= n ? -1 : pos + 1;
    data->DeleteChars(0, data->BufTextLen);
    if (pos >= 0)
        data->InsertChars(0, (*ctx->history)[size_t(pos)].c_str());
    return 0;
}

void button_command(Actions& a, const char* label, const char* command) {
    if (ImGui::Button(label))
        a.commands.emplace_back(command);
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", command);
}

} // namespace

void draw_console(const Model& m, Actions& a, Ui& ui) {
    record_panel("console");
    const Theme t = ui.theme;
    const float footer = ImGui::GetFrameHeightWithSpacing() * 3.2f;
    ImGui::BeginChild("log", ImVec2(0, -footer), false);
    if (!m.load_error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, error_colour(t));
        ImGui::TextWrapped("%s", m.load_error.c_str());
        ImGui::PopStyleColor();
    }
    for (size_t i = 0; i < m.console.size(); ++i) {
        const ConsoleEntry& e = m.console[i];
        if (e.event >= m.limit) // a lesson's later steps and unrevealed answers
            break;
        const bool future = e.event > m.cursor; // after the point on screen
        if (future)
            ImGui::PushStyleVar(ImGuiStyleVar_Alpha, 0.4f);
        ImGui::TextDisabled("%3zu", i + 1);
        ImGui::SameLine();
        ImGui::TextUnformatted(e.command.c_str());
        ImGui::SameLine();
        ImGui::TextDisabled("=>");
        ImGui::SameLine();
        // A result that does not fit after its command goes on the next line, not broken up.
        const std::string shown = e.error ? "error: " + e.result : e.result;
        const bool below = ImGui::CalcTextSize(shown.c_str()).x > ImGui::GetContentRegionAvail().x;
        if (below) {
            ImGui::NewLine();
            ImGui::Indent();
        }
        if (e.error) {
            ImGui::PushStyleColor(ImGuiCol_Text, error_colour(t));
            ImGui::TextWrapped("error: %s", e.result.c_str());
            ImGui::PopStyleColor();
        } else {
            ImGui::PushTextWrapPos(0);
            result_text(e.result, t);
            ImGui::PopTextWrapPos();
        }
        if (below)
            ImGui::Unindent();
        if (!e.reason.empty()) {
            ImGui::Indent();
            ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            ImGui::TextWrapped("%s", e.reason.c_str());
            ImGui::PopStyleColor();
            ImGui::Unindent();
        }
        if (future)
            ImGui::PopStyleVar();
    }
    // Follow new results to the bottom, for a few frames: wrapped lines settle their height
    // only after they were first laid out.
    if (ui.scroll_console || m.console.size() != ui.console_count) {
        ui.console_count = m.console.size();
        ui.scroll_console = false;
        ui.scroll_frames = 3;
    }
    if (ui.scroll_frames > 0) {
        ImGui::SetScrollHereY(1.0f);
        --ui.scroll_frames;
    }
    ImGui::EndChild();

    ImGui::SetNextItemWidth(-1);
    const ImGuiInputTextFlags flags =
        ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CallbackHistory;
    HistoryContext ctx{&ui, &m.history};
    if (ImGui::InputTextWithHint("##cmd", "type a command, e.g. run 0 write 0x100..0x10f", ui.input,
                                 sizeof ui.input, flags, history_callback, &ctx)) {
        ui.history_pos = -1;
        if (ui.input[0]) {
            a.commands.emplace_back(ui.input);
            ui.input[0] = 0;
            ui.scroll_console = true;
        }
        ImGui::SetKeyboardFocusHere(-1);
    }
    button_command(a, "run vCPU 0", "run 0 write 0x100..0x10f");
    ImGui::SameLine();
    button_command(a, "harvest 0", "harvest 0");
    ImGui::SameLine();
    button_command(a, "reset", "reset");
    ImGui::SameLine();
    button_command(a, "get log", "getlog 0");
    ImGui::SameLine();
    button_command(a, "KVM write", "kernel-write 0x150 during=its-save");
}

} // namespace ringside::app
