// Rings: every vCPU's ring as one row of entries coloured by flags (free 00, dirty 01,
// harvested 1X), and the focused vCPU's ring in full with its markers: dirty_index (where KVM
// pushes next), reset_index (where reset walks next), the VMM's fetch index and the soft limit.
#include "panels.hpp"

#include <algorithm>
#include <cmath>

namespace ringside::app {

namespace {

uint32_t entry_state(uint32_t flags) {
    return flags & 2 ? 2 : flags & 1 ? 1 : 0;
}

// A triangle above or below entry c, its letter to the right (or left: D and F sit above the
// same entry whenever userspace has caught up, so their letters go to opposite sides).
void marker(ImDrawList* dl, ImVec2 c, float h, ImU32 colour, const char* label, bool above,
            bool label_left = false) {
    const float s = h * 0.45f;
    const float y = above ? c.y - h * 0.5f : c.y + h * 0.5f;
    const float d = above ? -s : s;
    dl->AddTriangleFilled(ImVec2(c.x, y), ImVec2(c.x - s, y + d), ImVec2(c.x + s, y + d), colour);
    // The letter in the text colour: yellow on a light theme would vanish.
    const float lx = label_left ? c.x - s - ImGui::CalcTextSize(label).x : c.x + s;
    dl->AddText(ImVec2(lx, y + d - (above ? ImGui::GetFontSize() * 0.6f : 0)),
                ImGui::GetColorU32(ImGuiCol_Text), label);
}

// Where a marker is drawn for a fractional ring index (markers slide between entries).
ImVec2 at_index(const GridGeometry& g, float i) {
    const float row = std::floor(i / float(g.columns));
    const float col = i - row * float(g.columns);
    return {g.x + (col + 0.5f) * g.cell_w, g.y + (row + 0.5f) * g.cell_h};
}

float smoothstep(float t) {
    return t * t * (3 - 2 * t);
}

} // namespace

void draw_rings(const Model& m, Actions& a, Ui& ui) {
    record_panel("rings");
    const Kvm* kvm = m.view.kvm();
    const Theme t = ui.theme;
    if (!kvm || kvm->vcpus.empty() || !kvm->vcpus[0].dirty_ring) {
        ImGui::TextDisabled(kvm && kvm->dirty_ring_size ? "no vCPUs yet"
                                                        : "no dirty ring: this VM uses the bitmap");
        return;
    }
    // The ring is shared memory between KVM and QEMU: the memory-order view shows why arm64
    // needs acquire/release for it.
    if (ImGui::SmallButton("why does arm64 need ACQ_REL?")) {
        OrderingState o = m.ordering;
        o.shown = true;
        o.program = 0;
        o.arm64 = true;
        a.ordering = o;
    }
    legend_swatch(entry_colour(0, t), "00 free", true);
    legend_swatch(entry_colour(1, t), "01 dirty (KVM pushed)");
    legend_swatch(entry_colour(2, t), "1X harvested (userspace)");
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const uint32_t size = kvm->vcpus[0].dirty_ring->size;
    const float avail = ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 3;

    // Overview: one row per vCPU, entries folded into cells when the ring is wider than the panel.
    const uint64_t per_cell = std::max<uint64_t>(1, (size + uint64_t(avail) - 1) / uint64_t(avail));
    const uint64_t cells = (size + per_cell - 1) / per_cell;
    const float cell_w = avail / float(cells);
    const float row_h = std::max(4.0f, std::min(18.0f, ImGui::GetFontSize() * 0.9f));
    const std::string key = "rings overview";
    const uint64_t nv = kvm->vcpus.size();
    if (ui.texture_frame[key] != m.cursor_changed_frame + 1) {
        Texture& tex = texture_for_new_state(ui, key);
        std::vector<uint32_t> px(cells * nv);
        for (uint64_t v = 0; v < nv; ++v) {
            const DirtyRing& r = *kvm->vcpus[v].dirty_ring;
            for (uint64_t c = 0; c < cells; ++c) {
                uint32_t best = 0;
                for (uint64_t i = c * per_cell; i < std::min<uint64_t>(size, (c + 1) * per_cell);
                     ++i)
                    best = std::max(best, entry_state(r.entry(uint32_t(i)).flags));
                px[v * cells + c] = entry_colour(best, t);
            }
        }
        tex.upload(px, int(cells), int(nv));
        ui.texture_frame[key] = m.cursor_changed_frame + 1;
    }
    const ImVec2 o = ImGui::GetCursorScreenPos();
    // Rows thinner than the text are labelled every few rows.
    const uint64_t label_every =
        std::max<uint64_t>(1, uint64_t(std::ceil(ImGui::GetFontSize() * 0.9f / row_h)));
    for (uint64_t v = 0; v < nv; v += label_every) {
        char label[16];
        std::snprintf(label, sizeof label, "%u", kvm->vcpus[v].vcpu_id);
        dl->AddText(ImVec2(o.x, o.y + float(v) * row_h), ImGui::GetColorU32(ImGuiCol_Text), label);
    }
    const float x0 = o.x + ImGui::GetFontSize() * 2.5f;
    ImGui::SetCursorScreenPos(ImVec2(x0, o.y));
    ImGui::Dummy(ImVec2(cell_w * float(cells), row_h * float(nv)));
    grid_image(m, ui, key, ImVec2(x0, o.y),
               ImVec2(x0 + cell_w * float(cells), o.y + row_h * float(nv)));
    GridGeometry og{x0, o.y, cell_w, row_h, cells, cells * nv, per_cell};
    record_grid("rings overview", og);
    if (ImGui::IsItemHovered() && ImGui::IsMouseClicked(0)) {
        const uint64_t v = uint64_t((ImGui::GetMousePos().y - o.y) / row_h);
        if (v < nv)
            a.focus_vcpu = kvm->vcpus[v].vcpu_id;
    }

    // The focused ring, 64 entries a row, with its indices.
    const Vcpu* fv = kvm->vcpu_by_id(m.focused_vcpu);
    if (!fv)
        fv = &kvm->vcpus[0];
    const DirtyRing& r = *fv->dirty_ring;
    const auto fetch_it = m.view.vmm().fetch_index.find(fv->vcpu_id);
    const uint32_t fetch = fetch_it == m.view.vmm().fetch_index.end() ? 0 : fetch_it->second;
    ImGui::Spacing();
    ImGui::Text(
        "vCPU %u: %u entries, dirty_index %u, reset_index %u, fetch %u, used %u, soft limit %u%s",
        fv->vcpu_id, r.size, r.dirty_index, r.reset_index, fetch, dirty_ring_used(r), r.soft_limit,
        dirty_ring_soft_full(r) ? " — SOFT FULL" : "");
    const uint64_t columns = 64;
    const uint64_t rows = (r.size + columns - 1) / columns;
    const std::string fkey = "ring " + std::to_string(fv->vcpu_id);
    if (ui.texture_frame[fkey] != m.cursor_changed_frame + 1) {
        Texture& ft = texture_for_new_state(ui, fkey);
        std::vector<uint32_t> px(columns * rows);
        for (uint32_t i = 0; i < r.size; ++i)
            px[i] = entry_colour(r.entry(i).flags, t);
        ft.upload(px, int(columns), int(rows));
        ui.texture_frame[fkey] = m.cursor_changed_frame + 1;
    }
    ImGui::BeginChild("focused ring", ImVec2(0, 0), false);
    // A margin on the left keeps entry 0's marker letters and outline inside the panel.
    const float margin = ImGui::GetFontSize();
    const float fw = std::max(
        2.0f, std::min((ImGui::GetContentRegionAvail().x - margin) / float(columns), 16.0f));
    const ImVec2 fo(ImGui::GetCursorScreenPos().x + margin, ImGui::GetCursorScreenPos().y);
    const float pad = fw + ImGui::GetFontSize() * 0.5f; // room for the markers and letters
    ImGui::SetCursorScreenPos(ImVec2(fo.x, fo.y + pad));
    // Only the rows in view are drawn (a 65536-entry ring is 1024 rows); the dummy keeps the
    // scroll range of the whole ring.
    const ImVec2 full(fw * float(columns), fw * float(rows));
    ImGui::Dummy(full);
    const ImVec2 clip_min = ImGui::GetWindowPos(), clip_size = ImGui::GetWindowSize();
    const float y0 = std::max(fo.y + pad, clip_min.y),
                y1 = std::min(fo.y + pad + full.y, clip_min.y + clip_size.y);
    if (y1 > y0)
        grid_image(m, ui, fkey, ImVec2(fo.x, y0), ImVec2(fo.x + full.x, y1),
                   ImVec2(0, (y0 - fo.y - pad) / full.y), ImVec2(1, (y1 - fo.y - pad) / full.y));
    GridGeometry fg{fo.x, fo.y + pad, fw, fw, columns, r.size, 1};
    record_grid("ring focused", fg);
    ImDrawList* cdl = ImGui::GetWindowDrawList();
    if (fw >= 6)
        for (uint64_t y = 0; y <= rows; ++y)
            cdl->AddLine(ImVec2(fg.x, fg.y + float(y) * fw),
                         ImVec2(fg.x + fw * float(columns), fg.y + float(y) * fw),
                         IM_COL32(0, 0, 0, 110));
    const uint32_t mask = r.size - 1;
    // The markers slide from where they were to where the step put them.
    RingMarkers& mk = ui.ring_markers[fv->vcpu_id];
    const float target[3] = {float(r.dirty_index & mask), float(r.reset_index & mask),
                             float(fetch & mask)};
    if (mk.stamp != m.cursor_changed_frame + 1) {
        for (int k = 0; k < 3; ++k)
            mk.from[k] = mk.stamp ? mk.shown[k] : target[k];
        mk.stamp = m.cursor_changed_frame + 1;
    }
    const float step = smoothstep(transition(m));
    for (int k = 0; k < 3; ++k)
        mk.shown[k] = mk.from[k] + (target[k] - mk.from[k]) * step;
    marker(cdl, at_index(fg, mk.shown[0]), fw, page_colour(PageState::DirtyRing, t), "D", true);
    marker(cdl, at_index(fg, mk.shown[1]), fw, page_colour(PageState::Armed, t), "R", false);
    marker(cdl, at_index(fg, mk.shown[2]), fw, page_colour(PageState::Harvested, t), "F", true,
           true);
    // The soft limit: the entry at reset_index + soft_limit, where KVM starts making the vCPU exit.
    const ImVec2 sl = fg.centre((r.reset_index + r.soft_limit) & mask);
    cdl->AddLine(ImVec2(sl.x - fw * 0.5f, sl.y - fw * 0.7f),
                 ImVec2(sl.x - fw * 0.5f, sl.y + fw * 0.7f), error_colour(t), 3);
    // The entry the current event wrote (a push, or userspace collecting it) glows a moment.
    if (m.cursor > 0) {
        const Event& e = m.timeline.log()[m.cursor - 1];
        if ((e.kind == EventKind::RingPush || e.kind == EventKind::Harvest) &&
            e.vcpu == fv->vcpu_id) {
            const float glow = change_glow(m);
            const ImVec2 c = fg.centre(e.n & mask);
            const float h = fw * (0.7f + 0.5f * glow);
            cdl->AddRect(ImVec2(c.x - h, c.y - h), ImVec2(c.x + h, c.y + h), highlight_colour(t), 2,
                         0, 2.0f + 2.0f * glow);
        }
    }
    if (const Highlight* h = lesson_highlight(m);
        h && h->kind == Highlight::Entry && h->a == fv->vcpu_id && h->b < r.size) {
        const ImVec2 c = fg.centre(h->b);
        outline(cdl, ImVec2(c.x - fw * 0.5f, c.y - fw * 0.5f),
                ImVec2(c.x + fw * 0.5f, c.y + fw * 0.5f), m, t);
    }
    if (ImGui::IsItemHovered()) {
        const ImVec2 mp = ImGui::GetMousePos();
        const uint64_t i = uint64_t((mp.y - fg.y) / fw) * columns + uint64_t((mp.x - fg.x) / fw);
        if (i < r.size) {
            const DirtyGfn& e = r.entry(uint32_t(i));
            ImGui::SetTooltip("entry %llu: flags %u, slot %u, offset %llu",
                              static_cast<unsigned long long>(i), e.flags, e.slot,
                              static_cast<unsigned long long>(e.offset));
        }
    }
    ImGui::EndChild();
}

} // namespace ringside::app
