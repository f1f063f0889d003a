// One frame of the app's window: the header, the panels laid out (or the memory-order or
// migration view in their place), the band of burned-in captions; then the actions the panels
// asked for are applied. Also the console history, kept under the XDG state directory.
#include "frame.hpp"

#include "lesson_player.hpp"
#include "panels.hpp"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <cfloat>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ringside::app {

// Settings and history live under the XDG directories, never in the repository.
namespace {

std::filesystem::path state_dir() {
    if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x)
        return std::filesystem::path(x) / "ringside";
    if (const char* h = std::getenv("HOME"); h && *h)
        return std::filesystem::path(h) / ".local/state/ringside";
    return {};
}

} // namespace

void load_history(Model& m) {
    std::ifstream in(state_dir() / "history");
    std::string line;
    while (std::getline(in, line))
        if (!line.empty())
            m.history.push_back(line);
}

void save_history(const Model& m) {
    const auto dir = state_dir();
    if (dir.empty())
        return;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::ofstream out(dir / "history", std::ios::trunc);
    const size_t first = m.history.size() > 1000 ? m.history.size() - 1000 : 0;
    for (size_t i = first; i < m.history.size(); ++i)
        out << m.history[i] << '\n';
}

namespace {

// The window title of the panel a lesson step focuses.
std::string focus_title(Focus f) {
    switch (f) {
    case Focus::Console:
        return "Console";
    case Focus::Vcpus:
        return "vCPUs";
    case Focus::Memory:
        return "Guest memory";
    case Focus::Rings:
        return "Rings";
    case Focus::Capabilities:
        return "Capabilities";
    case Focus::Bitmaps:
        return "Bitmaps";
    case Focus::Timeline:
        return "Timeline";
    case Focus::Ordering:
        return "Memory order";
    case Focus::Migration:
        return "Migration";
    case Focus::None:
        break;
    }
    return "";
}

// Burned-in captions: their size, and the band along the bottom that holds the longest of them.
struct CaptionBand {
    float font_size = 0, pad = 0, height = 0;
};

// The caption size shrinks (to 3/4 of the UI's) until the longest caption fits a fifth of the
// frame's height: a small recording keeps room for the panels.
CaptionBand caption_band(const Ui& ui, float w, float h) {
    CaptionBand b;
    if (ui.captions.empty())
        return b;
    const float font = ImGui::GetFontSize();
    b.pad = font * 0.6f;
    for (float scale = 1.3f; scale >= 0.75f; scale -= 0.05f) {
        b.font_size = font * scale;
        float text_h = 0;
        for (const std::string& c : ui.captions)
            text_h = std::max(
                text_h,
                ImGui::GetFont()->CalcTextSizeA(b.font_size, FLT_MAX, w - b.pad * 4, c.c_str()).y);
        b.height = text_h + b.pad * 2;
        if (b.height <= h * 0.2f)
            break;
    }
    return b;
}

// The text of s less its last UTF-8 character.
void drop_last_character(std::string& s) {
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80)
        s.pop_back();
    if (!s.empty())
        s.pop_back();
}

// The header: what is on screen and the keys, the view settings at the right. On a narrow
// window (a small recording) the keys go first, then the settings, then the title is cut short:
// nothing is drawn over anything else.
void draw_header(const Model& m, Actions& a, Ui& ui, float W, float top, ImGuiWindowFlags fixed) {
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(W, top));
    ImGui::Begin("##header", nullptr,
                 fixed | ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoBackground |
                     ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    const ImGuiStyle& style = ImGui::GetStyle();
    auto text_w = [](const std::string& t) { return ImGui::CalcTextSize(t.c_str()).x; };
    auto button_w = [&](const char* label) { return text_w(label) + style.FramePadding.x * 2; };
    const float combo_w = ImGui::GetFontSize() * 6.5f;
    const char* order_label = m.ordering.shown ? "machine view" : "memory order";
    const char* migration_label = m.migration.shown ? "machine view" : "migration";
    const float settings_w = button_w(order_label) + button_w(migration_label) +
                             style.ItemSpacing.x + ImGui::GetFrameHeight() +
                             style.ItemInnerSpacing.x + text_w("reduce motion") +
                             button_w("presenter") + combo_w + style.ItemSpacing.x * 3;
    const float room = W - style.WindowPadding.x * 2, gap = ImGui::GetFontSize();
    const Kvm* kvm = m.view.kvm();
    std::string text = "Ringside — " + m.title;
    if (kvm)
        text += "   ·   " + std::string(arch_name(kvm->config.spec.arch)) + " Linux " +
                version_name(kvm->config.spec.version);
    const std::string keys = "   ·   space play/pause, ←/→ step, F5 presenter";
    bool settings = !m.presenter;
    const float beside = settings ? settings_w + gap : 0;
    if (!m.presenter && text_w(text + keys) + beside <= room)
        text += keys;
    else if (settings && text_w(text) + beside > room)
        settings = false;
    const float text_room = room - (settings ? settings_w + gap : 0);
    if (text_w(text) > text_room) {
        while (!text.empty() && text_w(text + "…") > text_room)
            drop_last_character(text);
        text += "…";
    }
    ImGui::TextUnformatted(text.c_str());
    if (settings) { // the view settings, at the right
        ImGui::SameLine(W - style.WindowPadding.x - settings_w);
        OrderingState ord = m.ordering;
        if (ImGui::Button(order_label)) {
            ord.shown = !ord.shown;
            a.ordering = ord;
        }
        ImGui::SameLine();
        if (ImGui::Button(migration_label))
            a.migration_view = !m.migration.shown;
        ImGui::SameLine();
        bool reduce = m.reduce_motion;
        if (ImGui::Checkbox("reduce motion", &reduce))
            a.reduce_motion = reduce;
        ImGui::SameLine();
        if (ImGui::Button("presenter"))
            a.toggle_presenter = true;
        ImGui::SameLine();
        ImGui::SetNextItemWidth(combo_w);
        const char* names[] = {"dark", "light", "contrast"};
        int theme = int(ui.theme);
        if (ImGui::Combo("##theme", &theme, names, 3)) {
            ui.theme = Theme(theme);
            apply_theme(ui.theme);
            ui.texture_frame.clear(); // the state colours of the grids follow the theme
        }
    }
    ImGui::End();
}

} // namespace

void draw_frame(Model& m, Ui& ui, int w, int h, std::vector<int>& keys) {
    Actions a;
    const ImGuiWindowFlags chrome = m.presenter ? ImGuiWindowFlags_NoTitleBar : 0;
    const ImGuiWindowFlags fixed =
        ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse | chrome;
    // Burned-in captions keep a band of their own below the panels.
    const CaptionBand band = caption_band(ui, float(w), float(h));
    const float W = float(w), H = float(h) - band.height;
    const float top = ImGui::GetFrameHeight() * 1.6f;
    const float bottom_h = H * 0.26f;
    // Presenter fonts are twice as big: the capability names need the right column wider.
    const float left_w = W * (m.presenter ? 0.26f : 0.30f),
                right_w = W * (m.presenter ? 0.37f : 0.30f), mid_w = W - left_w - right_w;
    const float body_h = H - top - bottom_h;
    Focus focus = Focus::None;
    auto panel = [&](const char* name, float x, float y, float pw, float ph, auto draw) {
        ImGui::SetNextWindowPos(ImVec2(x, y));
        ImGui::SetNextWindowSize(ImVec2(pw, ph));
        // The panels tile the window, so their background is the frame's clear colour: llvmpipe
        // then shades each pixel once, not twice (half the frame time at 1920x1080).
        if (ImGui::Begin(name, nullptr, fixed | ImGuiWindowFlags_NoBackground))
            draw(m, a, ui);
        // Without backgrounds (and in presenter mode without title bars) a hairline tells the
        // panels apart.
        ImGui::GetBackgroundDrawList()->AddRect(ImVec2(x, y), ImVec2(x + pw, y + ph),
                                                ImGui::GetColorU32(ImGuiCol_Border));
        if (focus != Focus::None && std::string(name) == focus_title(focus)) // the step's panel
            ImGui::GetForegroundDrawList()->AddRect(ImVec2(x + 2, y + 2),
                                                    ImVec2(x + pw - 2, y + ph - 2),
                                                    highlight_colour(ui.theme), 0, 0, 4);
        ImGui::End();
    };
    draw_header(m, a, ui, W, top, fixed);
    // A lesson takes the top of the left column; below it the console, or the vCPUs when the
    // step points at them.
    const LessonStep* step = m.lesson && m.lesson->lesson() ? m.lesson->current_step() : nullptr;
    focus = step ? step->focus : Focus::None;
    if (m.lesson && (m.lesson->lesson() || ui.show_picker)) {
        panel("Lesson", 0, top, left_w, body_h * 0.62f, draw_lesson);
        if (focus == Focus::Vcpus)
            panel("vCPUs", 0, top + body_h * 0.62f, left_w, body_h * 0.38f, draw_vcpus);
        else
            panel("Console", 0, top + body_h * 0.62f, left_w, body_h * 0.38f, draw_console);
    } else {
        panel("Console", 0, top, left_w, body_h * 0.62f, draw_console);
        panel("vCPUs", 0, top + body_h * 0.62f, left_w, body_h * 0.38f, draw_vcpus);
    }
    if (m.ordering.shown) { // the memory-order view takes the machine's place
        panel("Memory order", left_w, top, W - left_w, H - top, draw_ordering);
    } else if (m.migration.shown) { // and so does the migration view
        panel("Migration", left_w, top, W - left_w, H - top, draw_migration);
    } else {
        panel("Guest memory", left_w, top, mid_w, body_h * 0.5f, draw_memory);
        panel("Rings", left_w, top + body_h * 0.5f, mid_w, body_h * 0.5f, draw_rings);
        panel("Capabilities", left_w + mid_w, top, right_w, body_h * 0.6f, draw_caps);
        panel("Bitmaps", left_w + mid_w, top + body_h * 0.6f, right_w, body_h * 0.4f, draw_bitmaps);
    }
    panel("Timeline", 0, top + body_h, m.ordering.shown || m.migration.shown ? left_w : W, bottom_h,
          draw_timeline);

    // Keyboard: the presenter's remote control (clickers send Page Up / Page Down). Presses come
    // from our own GLFW callback's queue, so one shorter than a frame is never lost.
    const bool typing = ImGui::GetIO().WantTextInput;
    for (const int key : keys) {
        const uint64_t at = a.seek ? *a.seek : m.cursor;
        if (key == GLFW_KEY_F5)
            a.toggle_presenter = !a.toggle_presenter;
        else if (typing)
            continue;
        else if (key == GLFW_KEY_SPACE)
            a.play = !(a.play ? *a.play : m.playing);
        else if (m.lesson && m.lesson->lesson() && !m.lesson->exploring &&
                 (key == GLFW_KEY_PAGE_DOWN || key == GLFW_KEY_PAGE_UP))
            // A presenter's clicker moves through the lesson's steps.
            a.lesson_step = m.lesson->step + (key == GLFW_KEY_PAGE_DOWN ? 1 : -1);
        else if (m.ordering.shown && (key == GLFW_KEY_RIGHT || key == GLFW_KEY_PAGE_DOWN ||
                                      key == GLFW_KEY_LEFT || key == GLFW_KEY_PAGE_UP)) {
            // The memory-order view steps through its execution instead.
            OrderingState o = a.ordering ? *a.ordering : m.ordering;
            o.step =
                std::max(0, o.step + (key == GLFW_KEY_RIGHT || key == GLFW_KEY_PAGE_DOWN ? 1 : -1));
            a.ordering = o;
        } else if ((key == GLFW_KEY_RIGHT || key == GLFW_KEY_PAGE_DOWN) &&
                   at < m.timeline.event_count())
            a.seek = at + 1;
        else if ((key == GLFW_KEY_LEFT || key == GLFW_KEY_PAGE_UP) && at > 0)
            a.seek = at - 1;
    }
    keys.clear();
    if (m.presenter) { // a spotlight on the mouse
        const ImVec2 mp = ImGui::GetMousePos();
        ImGui::GetForegroundDrawList()->AddCircle(mp, 40, IM_COL32(255, 220, 0, 200), 48, 4);
    }
    if (band.height > 0) { // burned-in captions of a recording: the band along the bottom
        ImDrawList* fg = ImGui::GetForegroundDrawList();
        fg->AddRectFilled(ImVec2(0, H), ImVec2(W, H + band.height), IM_COL32(0, 0, 0, 255));
        fg->AddText(ImGui::GetFont(), band.font_size, ImVec2(band.pad * 2, H + band.pad),
                    IM_COL32(255, 255, 255, 255), ui.caption.c_str(), nullptr, W - band.pad * 4);
    }
    const size_t before = m.history.size();
    apply(m, a);
    if (m.history.size() != before)
        save_history(m);
}

} // namespace ringside::app
