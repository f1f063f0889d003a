// Themes (dark, light, high contrast) and the state colours every panel shares. The state
// colours are the Okabe-Ito palette, which stays distinguishable with red-green colour
// blindness, and every state also differs in lightness.
#pragma once

#include "model.hpp"

#include <imgui.h>

#include <string>

namespace ringside::app {

enum class Theme { Dark, Light, Contrast };
bool parse_theme(const std::string& s, Theme* out);
void apply_theme(Theme t);
// The screen's content scale (2 on a HiDPI screen); re-applies the current theme scaled.
void set_ui_scale(float scale);

// RGBA as ImGui packs it (IM_COL32).
ImU32 page_colour(PageState s, Theme t);
ImU32 entry_colour(uint32_t flags, Theme t); // 0 free, 1 dirty, 2/3 harvested
ImU32 error_colour(Theme t);
ImU32 ok_colour(Theme t);
ImU32 highlight_colour(Theme t);

Theme current_theme();

} // namespace ringside::app
