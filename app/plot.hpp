// Small plots in the app's theme, drawn with ImGui's draw list (ImPlot's manner, without it: it
// is not packaged for Debian 12): one call a plot, its data as plain arrays.
#pragma once

#include <imgui.h>

#include <functional>
#include <string>
#include <vector>

namespace ringside::app {

// The top of an honest scale for values up to v: the next round number at or above it — 1, 1.2,
// 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k, or with `binary` 2^k or 1.5 × 2^k (1 when v is 0).
double nice_ceiling(double v, bool binary = false);

struct Bars {
    std::vector<double> values;      // one bar each, left to right
    std::vector<std::string> labels; // under each bar; thinned out when they do not fit
    std::vector<bool> hollow;        // drawn as an outline (the stop-and-copy phase)
    double y_max = 1;                // the top of the scale: share it to compare plots
    ImU32 colour = IM_COL32(230, 159, 0, 255);
    std::string top_label; // the scale's top, with its unit ("200k")
    double line = -1;      // a reference line at this value (< 0: none)...
    std::string line_label;
    std::function<std::string(size_t)> tooltip; // exact values of bar i
    std::string empty_text;                     // shown instead when there are no values
};

// Draws the bars in a box of `size` at the cursor, as one item: hovering a bar outlines it and
// shows its tooltip.
void bar_plot(const char* id, const Bars& b, ImVec2 size);

} // namespace ringside::app
