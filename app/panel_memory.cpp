// Guest memory: every memslot's pages as a grid, one texel a page (or a few pages a texel for
// big slots), coloured by state; hover for the page's gfn, slot, offset and state.
#include "panels.hpp"

#include <algorithm>
#include <cstdio>

namespace ringside::app {

namespace {

// The page an event at the cursor is about, if any: what to highlight.
bool event_page(const Event& e, const Memslot& s, uint64_t* off) {
    switch (e.kind) {
    case EventKind::GuestFault:
    case EventKind::MapPage:
    case EventKind::PmlLog:
    case EventKind::MmioExit:
        if (!s.contains(e.a) || e.slot != s.slot_number())
            return false;
        *off = e.a - s.base_gfn;
        return true;
    case EventKind::RingPush:
    case EventKind::BitmapSet:
    case EventKind::Harvest:
    case EventKind::HostWrite:
        if (e.slot != s.slot_number() || e.a >= s.npages)
            return false;
        *off = e.a;
        return true;
    default:
        return false;
    }
}

// Who last wrote the page, as far as KVM saw it: the latest fault, PML log, ring push or bitmap
// bit for it before the cursor (searched back a bounded distance).
std::string last_writer(const Model& m, const Memslot& s, uint64_t off) {
    const EventLog& log = m.timeline.log();
    const uint64_t stop = m.cursor > 100000 ? m.cursor - 100000 : 0;
    for (uint64_t i = m.cursor; i-- > stop;) {
        const Event& e = log[i];
        uint64_t page;
        const bool write = (e.kind == EventKind::GuestFault && e.aux) ||
                           e.kind == EventKind::PmlLog || e.kind == EventKind::RingPush ||
                           e.kind == EventKind::BitmapSet;
        if (write && event_page(e, s, &page) && page == off)
            return e.vcpu == kNoVcpu
                       ? "KVM itself, with no vCPU running (event #" + std::to_string(i) + ")"
                       : "vCPU " + std::to_string(e.vcpu) + " (event #" + std::to_string(i) + ")";
        if (e.kind == EventKind::Ioctl && e.aux == uint8_t(IoctlId::CreateVm))
            break;
    }
    return stop > 0 ? "nobody in the last 100000 events" : "nobody KVM saw";
}

void draw_slot(const Model& m, Ui& ui, const Memslot& s) {
    const Theme t = ui.theme;
    ImGui::Text("slot %u%s: gfn 0x%llx, %llu pages%s%s%s", s.id,
                s.as_id ? (" (as " + std::to_string(s.as_id) + ")").c_str() : "",
                static_cast<unsigned long long>(s.base_gfn),
                static_cast<unsigned long long>(s.npages),
                s.dirty_track_enabled() ? ", logging" : ", not logging",
                s.readonly() ? ", read-only" : "", s.dirty_bitmap ? ", bitmap" : "");
    // One bitmap word a row while that fits; big slots fold several pages into a cell.
    GridGeometry g;
    g.columns = s.npages <= 64 * 512 ? 64 : 512;
    g.per_cell = std::max<uint64_t>(1, (s.npages + g.columns * 1024 - 1) / (g.columns * 1024));
    g.cells = (s.npages + g.per_cell - 1) / g.per_cell;
    const uint64_t rows = (g.cells + g.columns - 1) / g.columns;
    const std::string key = "slot " + std::to_string(s.slot_number());
    if (ui.texture_frame[key] != m.cursor_changed_frame + 1) {
        Texture& tex = texture_for_new_state(ui, key);
        ui.page_cache[key] = cell_states(m, s, g.per_cell);
        const std::vector<PageState>& cells = ui.page_cache[key];
        std::vector<uint32_t> px(g.columns * rows,
                                 page_colour(PageState::Unmapped, t) & 0x40ffffff);
        uint32_t colours[size_t(PageState::Count)];
        for (size_t k = 0; k < size_t(PageState::Count); ++k)
            colours[k] = page_colour(PageState(k), t);
        for (uint64_t c = 0; c < g.cells; ++c)
            px[c] = colours[size_t(cells[c])];
        tex.upload(px, int(g.columns), int(rows));
        ui.texture_frame[key] = m.cursor_changed_frame + 1;
    }
    const float avail = ImGui::GetContentRegionAvail().x;
    g.cell_w = g.cell_h =
        std::max(1.0f, std::min(avail / float(g.columns), 14.0f) * ui.memory_zoom);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    g.x = origin.x;
    g.y = origin.y;
    const ImVec2 size(g.cell_w * float(g.columns), g.cell_h * float(rows));
    ImGui::Dummy(size);
    grid_image(m, ui, key, origin, ImVec2(origin.x + size.x, origin.y + size.y));
    record_grid("memory " + key, g);
    ImDrawList* dl = ImGui::GetWindowDrawList();
    if (g.cell_w >= 6) // a grid of hairlines, so single pages read on a projector
        for (uint64_t r = 0; r <= rows; ++r)
            dl->AddLine(ImVec2(g.x, g.y + float(r) * g.cell_h),
                        ImVec2(g.x + g.cell_w * float(g.columns), g.y + float(r) * g.cell_h),
                        IM_COL32(0, 0, 0, 90));
    // The page the current event is about glows for a moment.
    uint64_t off;
    if (m.cursor > 0 && event_page(m.timeline.log()[m.cursor - 1], s, &off)) {
        const float glow = change_glow(m);
        const ImVec2 c = g.centre(off);
        const float r = std::max(g.cell_w, 6.0f) * (0.8f + 0.6f * glow);
        dl->AddRect(ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), highlight_colour(t), 2, 0,
                    2.0f + 2.0f * glow);
    }
    // A lesson step pointing at a page of this slot, or at the slot.
    if (const Highlight* h = lesson_highlight(m)) {
        if (h->kind == Highlight::Page && s.as_id == 0 && s.contains(h->a)) {
            const ImVec2 c = g.centre(h->a - s.base_gfn);
            const float r = std::max(g.cell_w, 8.0f) * 0.5f;
            outline(dl, ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), m, t);
        } else if (h->kind == Highlight::Slot && s.as_id == 0 && s.id == h->a) {
            outline(dl, origin, ImVec2(origin.x + size.x, origin.y + size.y), m, t);
        }
    }
    // The page the migration view asked to show: a lost page, outlined in the error colour.
    if (const uint64_t page = m.migration.page;
        page != MigrationView::kNoPage && s.as_id == 0 && s.contains(page)) {
        const ImVec2 c = g.centre(page - s.base_gfn);
        const float r = std::max(g.cell_w, 10.0f) * 0.5f + 3;
        dl->AddRect(ImVec2(c.x - r, c.y - r), ImVec2(c.x + r, c.y + r), error_colour(t), 0, 0, 3);
        char label[48];
        std::snprintf(label, sizeof label, "lost page 0x%llx",
                      static_cast<unsigned long long>(page));
        const ImVec2 ts = ImGui::CalcTextSize(label);
        const float lx = std::min(c.x + r + 4, g.x + g.cell_w * float(g.columns) - ts.x);
        const float ly = c.y + r + 2;
        dl->AddRectFilled(ImVec2(lx - 2, ly), ImVec2(lx + ts.x + 2, ly + ts.y),
                          ImGui::GetColorU32(ImGuiCol_WindowBg));
        dl->AddText(ImVec2(lx, ly), error_colour(t), label);
        if (m.frame - m.migration.page_frame < 3) // just asked for: scroll it into view
            ImGui::SetScrollFromPosY(c.y - ImGui::GetWindowPos().y, 0.5f);
    }
    if (ImGui::IsItemHovered()) {
        const ImVec2 mp = ImGui::GetMousePos();
        const uint64_t col = uint64_t((mp.x - g.x) / g.cell_w);
        const uint64_t row = uint64_t((mp.y - g.y) / g.cell_h);
        const uint64_t cell = row * g.columns + col;
        if (col < g.columns && cell < g.cells) {
            const uint64_t first = cell * g.per_cell;
            const std::vector<PageState>& cells = ui.page_cache[key];
            if (g.per_cell == 1)
                ImGui::SetTooltip("gfn 0x%llx — slot %u offset %llu\n%s\nlast written by %s",
                                  static_cast<unsigned long long>(s.base_gfn + first), s.id,
                                  static_cast<unsigned long long>(first),
                                  page_state_name(cells[first]), last_writer(m, s, first).c_str());
            else
                ImGui::SetTooltip("gfns 0x%llx.. (%llu pages a cell) — slot %u offset %llu..\n"
                                  "the cell shows its most telling page: %s",
                                  static_cast<unsigned long long>(s.base_gfn + first),
                                  static_cast<unsigned long long>(g.per_cell), s.id,
                                  static_cast<unsigned long long>(first),
                                  page_state_name(cells[cell]));
        }
    }
}

} // namespace

void draw_memory(const Model& m, Actions& a, Ui& ui) {
    record_panel("memory");
    const Kvm* kvm = m.view.kvm();
    if (!kvm) {
        ImGui::TextDisabled("no VM yet");
        return;
    }
    for (int i = 0; i < int(PageState::Count); ++i)
        legend_swatch(page_colour(PageState(i), ui.theme), page_state_name(PageState(i)), i == 0);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
    ImGui::SliderFloat("zoom", &ui.memory_zoom, 0.25f, 4.0f, "%.2fx");
    ImGui::SameLine();
    ImGui::TextDisabled("drag to pan, Ctrl + wheel to zoom");
    if (m.migration.page != MigrationView::kNoPage) {
        ImGui::TextColored(ImColor(error_colour(ui.theme)),
                           "outlined: page 0x%llx, lost by the migration",
                           static_cast<unsigned long long>(m.migration.page));
        ImGui::SameLine();
        if (ImGui::SmallButton("clear"))
            a.show_page = MigrationView::kNoPage;
        ImGui::SameLine();
        if (ImGui::SmallButton("back to the migration"))
            a.migration_view = true;
    }
    // Ctrl + wheel zooms, so the wheel must not also scroll then.
    ImGui::BeginChild("slots", ImVec2(0, 0), false,
                      ImGuiWindowFlags_HorizontalScrollbar |
                          (ImGui::GetIO().KeyCtrl ? ImGuiWindowFlags_NoScrollWithMouse : 0));
    bool any = false;
    for (const Memslots& as : kvm->memslots)
        for (const auto& [id, s] : as) {
            draw_slot(m, ui, s);
            any = true;
        }
    if (!any)
        ImGui::TextDisabled("no memslots: try `memslot 0 gfn=0x100 pages=256 log`");
    // Pan by dragging the grid; zoom with Ctrl + wheel.
    const ImGuiIO& io = ImGui::GetIO();
    if (ImGui::IsWindowHovered()) {
        if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
            ImGui::SetScrollX(ImGui::GetScrollX() - io.MouseDelta.x);
            ImGui::SetScrollY(ImGui::GetScrollY() - io.MouseDelta.y);
        }
        if (io.KeyCtrl && io.MouseWheel != 0)
            ui.memory_zoom =
                std::clamp(ui.memory_zoom * (io.MouseWheel > 0 ? 1.25f : 0.8f), 0.25f, 4.0f);
    }
    ImGui::EndChild();
}

} // namespace ringside::app
