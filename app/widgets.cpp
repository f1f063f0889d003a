#include "lesson_player.hpp"
#include "panels.hpp"

#include <cmath>

namespace ringside::app {

Texture& texture(Ui& ui, const std::string& key) {
    auto& t = ui.textures[key];
    if (!t)
        t = std::make_unique<Texture>();
    return *t;
}

Texture& texture_for_new_state(Ui& ui, const std::string& key) {
    auto& now = ui.textures[key];
    auto& before = ui.textures[key + " (before)"];
    std::swap(now, before); // what it showed becomes the crossfade's starting picture
    if (!now)
        now = std::make_unique<Texture>();
    return *now;
}

void grid_image(const Model& m, Ui& ui, const std::string& key, ImVec2 p0, ImVec2 p1, ImVec2 uv0,
                ImVec2 uv1) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const Texture& now = texture(ui, key);
    const float t = transition(m);
    const auto before = ui.textures.find(key + " (before)");
    if (t < 1 && before != ui.textures.end() && before->second &&
        before->second->width() == now.width() && before->second->height() == now.height() &&
        !before->second->same_pixels(now)) {
        // A crossfade: the state before the step, with the new one fading in over it.
        dl->AddImage(before->second->id(), p0, p1, uv0, uv1);
        dl->AddImage(now.id(), p0, p1, uv0, uv1, IM_COL32(255, 255, 255, int(255 * t)));
    } else {
        dl->AddImage(now.id(), p0, p1, uv0, uv1);
    }
}

const Highlight* lesson_highlight(const Model& m) {
    if (!m.lesson || m.lesson->exploring)
        return nullptr;
    const LessonStep* s = m.lesson->current_step();
    return s && s->highlight.kind != Highlight::None ? &s->highlight : nullptr;
}

void outline(ImDrawList* dl, ImVec2 a, ImVec2 b, const Model& m, Theme t) {
    // A slow pulse in animation time (still under reduce motion): where to look.
    const float pulse =
        m.reduce_motion ? 1.0f : 0.65f + 0.35f * std::sin(float(m.frame % 120) * 0.0524f);
    const ImU32 c = highlight_colour(t);
    dl->AddRect(ImVec2(a.x - 3, a.y - 3), ImVec2(b.x + 3, b.y + 3),
                (c & 0x00ffffff) | (ImU32(255 * pulse) << 24), 3, 0, 3);
}

float transition(const Model& m) {
    if (m.reduce_motion)
        return 1;
    const uint64_t age = m.frame - m.cursor_changed_frame;
    return age >= kTransitionFrames ? 1.0f : float(age) / float(kTransitionFrames);
}

void result_text(const std::string& result, Theme t) {
    const bool err = !result.empty() && result[0] == '-' && result.size() > 1 && result[1] == 'E';
    ImGui::PushStyleColor(ImGuiCol_Text, err ? error_colour(t) : ok_colour(t));
    ImGui::TextUnformatted(result.c_str());
    ImGui::PopStyleColor();
}

void legend_swatch(ImU32 colour, const char* label, bool first) {
    const float h = ImGui::GetTextLineHeight();
    // Continue the line when the item fits, else start a new one.
    if (!first) {
        const float w = h + ImGui::GetStyle().ItemSpacing.x * 2 + ImGui::CalcTextSize(label).x;
        ImGui::SameLine();
        if (ImGui::GetContentRegionAvail().x < w)
            ImGui::NewLine();
    }
    const ImVec2 p = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddRectFilled(p, ImVec2(p.x + h, p.y + h), colour, 2);
    ImGui::Dummy(ImVec2(h, h));
    ImGui::SameLine();
    ImGui::TextUnformatted(label);
}

void kernel_site_text(const char* function, const char* file) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::Text("%s, %s", function, file);
    ImGui::PopStyleColor();
}

float change_glow(const Model& m) {
    if (m.reduce_motion) // a still highlight for the same second: nothing moves
        return m.frame - m.cursor_changed_frame < 60 ? 1.0f : 0.0f;
    const uint64_t age = m.frame - m.cursor_changed_frame;
    return age >= 60 ? 0.0f : 1.0f - float(age) / 60.0f; // 60 frames: a second at 60 fps
}

} // namespace ringside::app
