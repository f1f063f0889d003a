#include "plot.hpp"

#include <algorithm>
#include <cmath>

namespace ringside::app {

double nice_ceiling(double v, bool binary) {
    if (!(v > 0))
        return 1;
    if (binary)
        for (double p = 1;; p *= 2) {
            if (v <= p)
                return p;
            if (v <= p * 1.5)
                return p * 1.5;
        }
    const double p = std::pow(10.0, std::floor(std::log10(v)));
    for (const double m : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0})
        if (v <= m * p * (1 + 1e-9))
            return m * p;
    return 10 * p;
}

namespace {

ImU32 with_alpha(ImU32 c, int alpha) {
    return (c & 0x00ffffffu) | (ImU32(alpha) << 24);
}

} // namespace

void bar_plot(const char* id, const Bars& b, ImVec2 size) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::InvisibleButton(id, size);
    const bool hovered = ImGui::IsItemHovered();
    const ImVec2 p1(p0.x + size.x, p0.y + size.y);
    const float font = ImGui::GetFontSize();
    const float small = font * 0.8f;
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const ImU32 grid = with_alpha(ImGui::GetColorU32(ImGuiCol_Border), 110);
    dl->AddRectFilled(p0, p1, with_alpha(ImGui::GetColorU32(ImGuiCol_FrameBg), 70));
    if (b.values.empty()) {
        const ImVec2 ts = ImGui::CalcTextSize(b.empty_text.c_str());
        dl->AddText(ImVec2(p0.x + (size.x - ts.x) / 2, p0.y + (size.y - ts.y) / 2), dim,
                    b.empty_text.c_str());
        return;
    }
    // The plot area: the scale's label above, the bars' labels below.
    const float top = p0.y + small + 2, bottom = p1.y - small - 3;
    const float left = p0.x + 2, right = p1.x - 2;
    const float h = std::max(1.0f, bottom - top);
    const size_t n = b.values.size();
    const float slot = (right - left) / float(n);
    const float gap = std::min(slot * 0.25f, 4.0f);
    auto y_of = [&](double v) {
        return bottom - float(std::clamp(v / (b.y_max > 0 ? b.y_max : 1), 0.0, 1.0)) * h;
    };
    // The scale: its top as a hairline with its value, and the baseline.
    dl->AddLine(ImVec2(left, top), ImVec2(right, top), grid);
    dl->AddLine(ImVec2(left, y_of(b.y_max / 2)), ImVec2(right, y_of(b.y_max / 2)),
                with_alpha(grid, 50));
    dl->AddText(ImGui::GetFont(), small, ImVec2(left + 1, p0.y), dim, b.top_label.c_str());
    int hover = -1;
    if (hovered) {
        const float mx = ImGui::GetIO().MousePos.x;
        hover = std::clamp(int((mx - left) / slot), 0, int(n) - 1);
    }
    for (size_t i = 0; i < n; ++i) {
        const float x0 = left + slot * float(i) + gap / 2, x1 = x0 + slot - gap;
        const double v = b.values[i];
        // A value above zero is at least a pixel tall: "some" never looks like "none".
        const float y = v > 0 ? std::min(y_of(v), bottom - 1.5f) : bottom;
        const bool hollow = i < b.hollow.size() && b.hollow[i];
        if (v > 0) {
            if (hollow) {
                dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, bottom), with_alpha(b.colour, 90));
                dl->AddRect(ImVec2(x0, y), ImVec2(x1, bottom), b.colour, 0, 0, 1.5f);
            } else {
                dl->AddRectFilled(ImVec2(x0, y), ImVec2(x1, bottom), b.colour);
            }
        }
        if (int(i) == hover)
            dl->AddRect(ImVec2(x0 - 1, std::min(y, bottom - 2) - 1), ImVec2(x1 + 1, bottom + 1),
                        text, 0, 0, 1.5f);
    }
    dl->AddLine(ImVec2(left, bottom), ImVec2(right, bottom), dim);
    if (std::all_of(b.values.begin(), b.values.end(), [](double v) { return v == 0; })) {
        const char* none = "none";
        const ImVec2 ts = ImGui::CalcTextSize(none);
        dl->AddText(ImVec2((left + right - ts.x) / 2, (top + bottom - ts.y) / 2), dim, none);
    }
    if (b.line >= 0 && b.line <= b.y_max) {
        // Dashed, so it never reads as a bar's top.
        const float y = y_of(b.line);
        const ImU32 c = with_alpha(text, 200);
        for (float x = left; x < right; x += 8)
            dl->AddLine(ImVec2(x, y), ImVec2(std::min(x + 4, right), y), c, 1.5f);
        if (!b.line_label.empty()) {
            const ImVec2 ts = ImGui::CalcTextSize(b.line_label.c_str());
            const float s = small / font;
            const ImVec2 at(right - ts.x * s - 3, std::max(top, y - small - 1));
            dl->AddRectFilled(ImVec2(at.x - 2, at.y), ImVec2(right, at.y + small),
                              with_alpha(ImGui::GetColorU32(ImGuiCol_WindowBg), 200));
            dl->AddText(ImGui::GetFont(), small, at, c, b.line_label.c_str());
        }
    }
    // The bars' labels, as many as fit without touching.
    float widest = 0;
    for (const std::string& l : b.labels)
        widest = std::max(widest, ImGui::CalcTextSize(l.c_str()).x * small / font);
    const size_t every = std::max<size_t>(1, size_t(std::ceil((widest + 4) / slot)));
    float drawn_to = -1e9f;
    for (size_t i = 0; i < std::min(n, b.labels.size()); ++i) {
        const bool last = i + 1 == n;
        if (i % every != 0 && !last)
            continue;
        const float w = ImGui::CalcTextSize(b.labels[i].c_str()).x * small / font;
        const float x = left + slot * (float(i) + 0.5f) - w / 2;
        if (x < drawn_to + 3)
            continue;
        dl->AddText(ImGui::GetFont(), small, ImVec2(x, bottom + 2), dim, b.labels[i].c_str());
        drawn_to = x + w;
    }
    if (hover >= 0 && b.tooltip)
        ImGui::SetTooltip("%s", b.tooltip(size_t(hover)).c_str());
}

} // namespace ringside::app
