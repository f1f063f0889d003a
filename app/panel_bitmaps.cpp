// Bitmaps: each slot's dirty bitmap, one 64-bit word a row, and the latest words
// KVM_GET_DIRTY_LOG took, the ranges KVM_CLEAR_DIRTY_LOG cleared and the masks a ring reset
// re-armed.
#include "panels.hpp"

#include <cinttypes>

namespace ringside::app {

void draw_bitmaps(const Model& m, Actions& a, Ui& ui) {
    (void)a;
    record_panel("bitmaps");
    const Kvm* kvm = m.view.kvm();
    const Theme t = ui.theme;
    if (!kvm)
        return;
    bool any = false;
    for (const Memslots& as : kvm->memslots)
        for (const auto& [id, s] : as) {
            if (!s.dirty_bitmap)
                continue;
            any = true;
            const DirtyBitmap& bm = *s.dirty_bitmap;
            ImGui::Text("slot %u: %llu words", s.id, static_cast<unsigned long long>(bm.words()));
            const uint64_t rows = std::min<uint64_t>(bm.words(), 256);
            const std::string key = "bitmap " + std::to_string(s.slot_number());
            Texture& tex = texture(ui, key);
            if (ui.texture_frame[key] != m.cursor_changed_frame + 1) {
                std::vector<uint32_t> px(64 * rows);
                for (uint64_t w = 0; w < rows; ++w) {
                    const uint64_t word = bm.word(w);
                    for (uint64_t b = 0; b < 64; ++b)
                        px[w * 64 + b] = (word >> b & 1) ? page_colour(PageState::DirtyBitmap, t)
                                         : (w * 64 + b < s.npages)
                                             ? page_colour(PageState::Unmapped, t)
                                             : 0;
                }
                tex.upload(px, 64, int(rows));
                ui.texture_frame[key] = m.cursor_changed_frame + 1;
            }
            const float cw =
                std::max(2.0f, std::min(ImGui::GetContentRegionAvail().x / 64.0f, 10.0f));
            GridGeometry g;
            const ImVec2 o = ImGui::GetCursorScreenPos();
            g = {o.x, o.y, cw, cw, 64, 64 * rows, 1};
            ImGui::Image(tex.id(), ImVec2(cw * 64, cw * float(rows)));
            record_grid(key, g);
            if (rows < bm.words())
                ImGui::TextDisabled("(first 256 words shown)");
        }
    if (!any) {
        ImGui::TextDisabled("no slot has a dirty bitmap");
        return;
    }
    // The latest bitmap and reset work before the cursor.
    ImGui::Separator();
    ImGui::TextUnformatted("Latest masks (word: bits):");
    const EventLog& log = m.timeline.log();
    int shown = 0;
    const uint64_t stop = m.cursor > 100000 ? m.cursor - 100000 : 0;
    for (uint64_t i = m.cursor; i-- > stop && shown < 8;) {
        const Event& e = log[i];
        const char* what = e.kind == EventKind::BitmapTake    ? "GET_DIRTY_LOG took"
                           : e.kind == EventKind::BitmapClear ? "CLEAR_DIRTY_LOG cleared"
                           : e.kind == EventKind::ResetBatch  ? "reset re-armed"
                                                              : nullptr;
        if (!what)
            continue;
        ++shown;
        // Both keep the page offset or word index in n and the mask in b.
        if (e.kind == EventKind::ResetBatch)
            ImGui::Text("%s slot %u from offset %u: mask 0x%016" PRIx64, what, e.slot & 0xffff, e.n,
                        e.b);
        else
            ImGui::Text("%s slot %u word %u: 0x%016" PRIx64, what, e.slot & 0xffff, e.n, e.b);
    }
    if (!shown)
        ImGui::TextDisabled("none yet");
}

} // namespace ringside::app
