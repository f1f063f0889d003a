// Bitmaps: each logging slot's dirty bitmap, one 64-bit word a row, beside what the latest
// KVM_GET_DIRTY_LOG returned, what KVM_CLEAR_DIRTY_LOG was asked to clear and cleared, and the
// pages the latest KVM_RESET_DIRTY_RINGS re-armed.
#include "panels.hpp"

#include <cinttypes>

namespace ringside::app {

namespace {

constexpr uint64_t kRowsShown = 32; // words a strip shows at once

enum class Strip { Now, Returned, Cleared, Rearmed };

const BitmapActivity& activity(const Model& m, Ui& ui, const Memslot& s) {
    auto& [stamp, act] = ui.bitmap_activity[s.slot_number()];
    if (stamp != m.cursor_changed_frame + 1) {
        act = bitmap_activity(m, s);
        stamp = m.cursor_changed_frame + 1;
    }
    return act;
}

uint64_t word_of(const std::map<uint64_t, uint64_t>& words, uint64_t i) {
    const auto it = words.find(i);
    return it == words.end() ? 0 : it->second;
}

// The 64 bits strip `which` shows for word i.
uint64_t strip_word(Strip which, const Memslot& s, const BitmapActivity& act, uint64_t i) {
    switch (which) {
    case Strip::Now:
        return s.dirty_bitmap ? s.dirty_bitmap->word(i) : 0;
    case Strip::Returned:
        return word_of(act.returned, i);
    case Strip::Cleared:
        return word_of(act.cleared, i);
    case Strip::Rearmed:
        return word_of(act.rearmed, i);
    }
    return 0;
}

// One strip: `rows` words from w0, 64 cells a row. Set bits take `on`; pages outside the slot
// are blank; pages of CLEAR_DIRTY_LOG's range that were not cleared are shaded.
void draw_strip(const Model& m, Ui& ui, const Memslot& s, const BitmapActivity& act, Strip which,
                const char* label, const char* detail, ImU32 on, uint64_t w0, uint64_t rows) {
    const Theme t = ui.theme;
    static const char* kNames[] = {"now", "returned", "cleared", "rearmed"};
    const std::string key = "bitmap " + std::to_string(s.slot_number()) + " " + kNames[int(which)];
    Texture& tex = texture(ui, key);
    const uint64_t stamp = (m.cursor_changed_frame + 1) * 1000003 + w0;
    if (ui.texture_frame[key] != stamp) {
        const ImU32 off = page_colour(PageState::Unmapped, t);
        const ImU32 asked =
            t == Theme::Light ? IM_COL32(170, 170, 170, 255) : IM_COL32(95, 100, 110, 255);
        std::vector<uint32_t> px(64 * rows, 0);
        for (uint64_t r = 0; r < rows; ++r) {
            const uint64_t w = strip_word(which, s, act, w0 + r);
            for (uint64_t b = 0; b < 64; ++b) {
                const uint64_t page = (w0 + r) * 64 + b;
                if (page >= s.npages)
                    continue;
                const bool in_range =
                    which == Strip::Cleared && act.clear_event != BitmapActivity::kNone &&
                    page >= act.clear_first && page - act.clear_first < act.clear_num;
                px[r * 64 + b] = (w >> b & 1) ? on : in_range ? asked : off;
            }
        }
        tex.upload(px, 64, int(rows));
        ui.texture_frame[key] = stamp;
    }
    ImGui::TextUnformatted(label);
    ImGui::SameLine();
    ImGui::TextDisabled("%s", detail);
    const float cw = std::max(2.0f, std::min(ImGui::GetContentRegionAvail().x / 64.0f, 10.0f));
    const ImVec2 o = ImGui::GetCursorScreenPos();
    GridGeometry g{o.x, o.y, cw, cw, 64, 64 * rows, 1};
    ImGui::Image(tex.id(), ImVec2(cw * 64, cw * float(rows)));
    record_grid(key, g);
    if (ImGui::IsItemHovered()) {
        const ImVec2 mp = ImGui::GetMousePos();
        const uint64_t bit = std::min<uint64_t>(63, uint64_t((mp.x - g.x) / cw));
        const uint64_t w = w0 + std::min<uint64_t>(rows - 1, uint64_t((mp.y - g.y) / cw));
        const uint64_t page = w * 64 + bit;
        ImGui::SetTooltip("word %" PRIu64 " = 0x%016" PRIx64 "\nbit %" PRIu64
                          ": page offset %" PRIu64 ", gfn 0x%" PRIx64 " — %s",
                          w, strip_word(which, s, act, w), bit, page, s.base_gfn + page,
                          strip_word(which, s, act, w) >> bit & 1 ? "set" : "clear");
    }
}

std::string at_event(uint64_t e) {
    return e == BitmapActivity::kNone ? "" : "(at event #" + std::to_string(e) + ")";
}

void draw_slot(const Model& m, Ui& ui, const Memslot& s) {
    const Theme t = ui.theme;
    const uint64_t words = (s.npages + 63) / 64;
    ImGui::Text("slot %u%s: gfn 0x%llx, %llu words%s", s.id,
                s.as_id ? (" (as " + std::to_string(s.as_id) + ")").c_str() : "",
                static_cast<unsigned long long>(s.base_gfn), static_cast<unsigned long long>(words),
                s.dirty_bitmap ? "" : " — no bitmap (the ring alone logs it)");
    uint64_t& w0 = ui.bitmap_first_word[s.slot_number()];
    const uint64_t rows = std::min(words, kRowsShown);
    if (words > kRowsShown) {
        int first = int(std::min<uint64_t>(w0, words - kRowsShown));
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
        const std::string id = "first word##" + std::to_string(s.slot_number());
        if (ImGui::SliderInt(id.c_str(), &first, 0,
                             int(std::min<uint64_t>(words - kRowsShown, INT32_MAX))))
            w0 = uint64_t(first);
    }
    w0 = std::min(w0, words - rows);
    const BitmapActivity& act = activity(m, ui, s);
    const ImU32 dirty = page_colour(PageState::DirtyBitmap, t);
    const ImU32 armed = page_colour(PageState::Armed, t);
    if (s.dirty_bitmap)
        draw_strip(m, ui, s, act, Strip::Now, "bitmap now", "", dirty, w0, rows);
    if (s.dirty_bitmap) {
        draw_strip(m, ui, s, act, Strip::Returned, "GET_DIRTY_LOG returned",
                   act.get_event == BitmapActivity::kNone ? "(not called yet)"
                                                          : at_event(act.get_event).c_str(),
                   dirty, w0, rows);
        if (act.clear_event != BitmapActivity::kNone) {
            const std::string detail = "first=" + std::to_string(act.clear_first) +
                                       " num=" + std::to_string(act.clear_num) + " " +
                                       at_event(act.clear_event) + "; grey: asked, not set";
            draw_strip(m, ui, s, act, Strip::Cleared, "CLEAR_DIRTY_LOG cleared", detail.c_str(),
                       armed, w0, rows);
        }
    }
    if (act.reset_event != BitmapActivity::kNone || !s.dirty_bitmap)
        draw_strip(m, ui, s, act, Strip::Rearmed, "ring reset re-armed",
                   act.reset_event == BitmapActivity::kNone ? "(no reset yet)"
                                                            : at_event(act.reset_event).c_str(),
                   armed, w0, rows);
    ImGui::Spacing();
}

} // namespace

void draw_bitmaps(const Model& m, Actions& a, Ui& ui) {
    (void)a;
    record_panel("bitmaps");
    const Kvm* kvm = m.view.kvm();
    if (!kvm)
        return;
    bool any = false;
    for (const Memslots& as : kvm->memslots)
        for (const auto& [id, s] : as) {
            if (!s.dirty_bitmap && !s.dirty_track_enabled())
                continue;
            any = true;
            draw_slot(m, ui, s);
        }
    if (!any)
        ImGui::TextDisabled("no slot logs dirty pages: add one with `memslot ... log`");
}

} // namespace ringside::app
