#include "theme.hpp"

namespace ringside::app {

namespace {
Theme g_theme = Theme::Dark;
float g_scale = 1; // the screen's content scale: paddings and spacings grow with the fonts
} // namespace

void set_ui_scale(float scale) {
    g_scale = scale;
    apply_theme(g_theme);
}

Theme current_theme() {
    return g_theme;
}

bool parse_theme(const std::string& s, Theme* out) {
    if (s == "dark")
        *out = Theme::Dark;
    else if (s == "light")
        *out = Theme::Light;
    else if (s == "contrast")
        *out = Theme::Contrast;
    else
        return false;
    return true;
}

void apply_theme(Theme t) {
    g_theme = t;
    ImGuiStyle& st = ImGui::GetStyle();
    st = ImGuiStyle();
    // Square corners: llvmpipe pays per triangle, and rounded frames cost ~800 of them a frame.
    st.WindowRounding = 0;
    st.FrameRounding = 0;
    st.WindowPadding = ImVec2(10, 8);
    st.ItemSpacing = ImVec2(8, 6);
    switch (t) {
    case Theme::Dark:
        ImGui::StyleColorsDark(&st);
        st.Colors[ImGuiCol_WindowBg] = ImVec4(0.09f, 0.10f, 0.12f, 1);
        st.Colors[ImGuiCol_TitleBgActive] = ImVec4(0.16f, 0.22f, 0.32f, 1);
        break;
    case Theme::Light:
        ImGui::StyleColorsLight(&st);
        st.Colors[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.96f, 1);
        break;
    case Theme::Contrast:
        ImGui::StyleColorsDark(&st);
        st.Colors[ImGuiCol_WindowBg] = ImVec4(0, 0, 0, 1);
        st.Colors[ImGuiCol_Text] = ImVec4(1, 1, 1, 1);
        st.Colors[ImGuiCol_Border] = ImVec4(1, 1, 1, 1);
        st.Colors[ImGuiCol_TitleBg] = ImVec4(0, 0, 0, 1);
        st.Colors[ImGuiCol_TitleBgActive] = ImVec4(0.2f, 0.2f, 0.2f, 1);
        st.Colors[ImGuiCol_FrameBg] = ImVec4(0.15f, 0.15f, 0.15f, 1);
        st.WindowBorderSize = 2;
        st.FrameBorderSize = 1;
        break;
    }
    st.ScaleAllSizes(g_scale);
}

ImU32 page_colour(PageState s, Theme t) {
    const bool light = t == Theme::Light;
    switch (s) {
    case PageState::Unmapped:
        return light ? IM_COL32(215, 215, 215, 255) : IM_COL32(52, 55, 60, 255);
    case PageState::Armed:
        return IM_COL32(0, 114, 178, 255); // blue
    case PageState::Writable:
        return IM_COL32(86, 180, 233, 255); // sky blue
    case PageState::DirtyRing:
        return IM_COL32(230, 159, 0, 255); // orange
    case PageState::Harvested:
        return IM_COL32(240, 228, 66, 255); // yellow
    case PageState::DirtyBitmap:
        return IM_COL32(213, 94, 0, 255); // vermillion
    case PageState::Untracked:
        return IM_COL32(204, 121, 167, 255); // reddish purple
    case PageState::Count:
        break;
    }
    return IM_COL32(255, 0, 255, 255);
}

ImU32 entry_colour(uint32_t flags, Theme t) {
    if (flags & 2)
        return page_colour(PageState::Harvested, t);
    if (flags & 1)
        return page_colour(PageState::DirtyRing, t);
    return page_colour(PageState::Unmapped, t);
}

ImU32 error_colour(Theme t) {
    return t == Theme::Light ? IM_COL32(190, 60, 0, 255) : IM_COL32(255, 120, 60, 255);
}
ImU32 ok_colour(Theme t) {
    return t == Theme::Light ? IM_COL32(0, 110, 80, 255) : IM_COL32(80, 210, 150, 255);
}
ImU32 highlight_colour(Theme t) {
    return t == Theme::Light ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);
}

} // namespace ringside::app
