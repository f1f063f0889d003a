#include "record_frame.hpp"

#include "render.hpp"

#include <glad/gl.h>

#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace ringside::app {

namespace {

static_assert(sizeof(ImDrawVert) == 20, "ImDrawVert is compared byte for byte: no padding");

PixelRect intersect(PixelRect a, PixelRect b) {
    return {std::max(a.x0, b.x0), std::max(a.y0, b.y0), std::min(a.x1, b.x1), std::min(a.y1, b.y1)};
}

PixelRect unite(PixelRect a, PixelRect b) {
    if (a.empty())
        return b;
    if (b.empty())
        return a;
    return {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}

// A coordinate far off the screen stays an int.
int clamped(float v) {
    return !(v > -1e7f) ? -10000000 : !(v < 1e7f) ? 10000000 : int(v);
}

// The scissor box ImGui's OpenGL 3 backend sets for a command, in its own integer arithmetic
// (imgui_impl_opengl3.cpp, ImGui_ImplOpenGL3_RenderDrawData); empty when it skips the command.
PixelRect backend_scissor(const ImDrawCmd& c, const ImDrawData& d, int fb_h) {
    const ImVec2 off = d.DisplayPos, scale = d.FramebufferScale;
    const ImVec2 lo((c.ClipRect.x - off.x) * scale.x, (c.ClipRect.y - off.y) * scale.y);
    const ImVec2 hi((c.ClipRect.z - off.x) * scale.x, (c.ClipRect.w - off.y) * scale.y);
    if (hi.x <= lo.x || hi.y <= lo.y)
        return {};
    const int x = clamped(lo.x), y = clamped(float(fb_h) - hi.y);
    return {x, y, x + clamped(hi.x - lo.x), y + clamped(hi.y - lo.y)};
}

// The pixels a triangle can touch: its bounding box and a pixel more, within its scissor box.
PixelRect covered(const DrawnTriangle& t, const ImDrawData& d, int fb_h) {
    float x0 = FLT_MAX, y0 = FLT_MAX, x1 = -FLT_MAX, y1 = -FLT_MAX;
    for (const ImDrawVert& v : t.v) {
        const float x = (v.pos.x - d.DisplayPos.x) * d.FramebufferScale.x;
        const float y = float(fb_h) - (v.pos.y - d.DisplayPos.y) * d.FramebufferScale.y;
        x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
    const PixelRect box{clamped(std::floor(x0)) - 1, clamped(std::floor(y0)) - 1,
                        clamped(std::ceil(x1)) + 1, clamped(std::ceil(y1)) + 1};
    return intersect(box, t.scissor);
}

bool same(const DrawnTriangle& before, const DrawnTriangle& now) {
    return !now.texture_changed && before.texture == now.texture &&
           before.scissor.x0 == now.scissor.x0 && before.scissor.y0 == now.scissor.y0 &&
           before.scissor.x1 == now.scissor.x1 && before.scissor.y1 == now.scissor.y1 &&
           std::memcmp(before.v, now.v, sizeof now.v) == 0;
}

} // namespace

DrawnTriangles drawn_triangles(const ImDrawData& d, int fb_h,
                               const std::vector<ImTextureID>& changed_textures) {
    DrawnTriangles out(size_t(std::max(0, d.CmdListsCount)));
    for (int n = 0; n < d.CmdListsCount; ++n) {
        const ImDrawList& list = *d.CmdLists[n];
        out[size_t(n)].reserve(size_t(list.IdxBuffer.Size / 3));
        for (const ImDrawCmd& c : list.CmdBuffer) {
            const PixelRect scissor = backend_scissor(c, d, fb_h);
            if (c.UserCallback || scissor.empty())
                continue;
            DrawnTriangle t;
            t.scissor = scissor;
            t.texture = c.TextureId;
            t.texture_changed = std::find(changed_textures.begin(), changed_textures.end(),
                                          c.TextureId) != changed_textures.end();
            for (unsigned i = 0; i + 2 < c.ElemCount; i += 3) {
                for (unsigned k = 0; k < 3; ++k)
                    t.v[k] = list.VtxBuffer[int(c.VtxOffset) +
                                            int(list.IdxBuffer[int(c.IdxOffset + i + k)])];
                out[size_t(n)].push_back(t);
            }
        }
    }
    return out;
}

PixelRect changed_region(const DrawnTriangles& before, const DrawnTriangles& now,
                         const ImDrawData& d, int fb_w, int fb_h) {
    PixelRect r;
    auto add = [&](const std::vector<DrawnTriangle>& list, size_t from, size_t to) {
        for (size_t i = from; i < to; ++i)
            r = unite(r, covered(list[i], d, fb_h));
    };
    static const std::vector<DrawnTriangle> none;
    for (size_t n = 0; n < std::max(before.size(), now.size()); ++n) {
        const auto& b = n < before.size() ? before[n] : none;
        const auto& a = n < now.size() ? now[n] : none;
        const size_t common = std::min(b.size(), a.size());
        size_t head = 0, tail = 0;
        while (head < common && same(b[head], a[head]))
            ++head;
        while (tail < common - head && same(b[b.size() - 1 - tail], a[a.size() - 1 - tail]))
            ++tail;
        if (b.size() == a.size()) { // one for one: only the pairs that differ
            for (size_t i = head; i + tail < a.size(); ++i)
                if (!same(b[i], a[i])) {
                    r = unite(r, covered(b[i], d, fb_h));
                    r = unite(r, covered(a[i], d, fb_h));
                }
        } else {
            add(b, head, b.size() - tail);
            add(a, head, a.size() - tail);
        }
    }
    return intersect(r, {0, 0, fb_w, fb_h});
}

PixelRect RecordFrame::draw(ImDrawData* d, ImVec4 clear, bool whole) {
    DrawnTriangles now = drawn_triangles(*d, h_, take_uploaded_textures());
    bool callbacks = false;
    for (int n = 0; n < d->CmdListsCount; ++n)
        for (const ImDrawCmd& c : d->CmdLists[n]->CmdBuffer)
            callbacks = callbacks || c.UserCallback;
    // Clip rectangles are narrowed below in whole pixels: only where ImGui's coordinates are
    // the framebuffer's.
    const bool unscaled = d->DisplayPos.x == 0 && d->DisplayPos.y == 0 &&
                          d->FramebufferScale.x == 1 && d->FramebufferScale.y == 1;
    whole = whole || !drawn_ || callbacks || !unscaled || clear.x != last_clear_.x ||
            clear.y != last_clear_.y || clear.z != last_clear_.z;
    const PixelRect full{0, 0, w_, h_};
    const PixelRect region = whole ? full : changed_region(last_, now, *d, w_, h_);
    last_ = std::move(now);
    last_clear_ = clear;
    drawn_ = true;
    if (region.empty())
        return region;
    for (auto& [buffer, lacks] : stale_)
        lacks = unite(lacks, region);
    if (!whole) {
        // Each command keeps its own clip, narrowed to the region, written so that the backend's
        // arithmetic gives back exactly these integers.
        for (int n = 0; n < d->CmdListsCount; ++n)
            for (ImDrawCmd& c : d->CmdLists[n]->CmdBuffer) {
                const PixelRect s = intersect(backend_scissor(c, *d, h_), region);
                c.ClipRect = s.empty() ? ImVec4(0, 0, 0, 0)
                                       : ImVec4(float(s.x0), float(h_ - s.y1), float(s.x1),
                                                float(h_ - s.y0));
            }
    }
    glViewport(0, 0, w_, h_);
    glEnable(GL_SCISSOR_TEST);
    glScissor(region.x0, region.y0, region.x1 - region.x0, region.y1 - region.y0);
    glClearColor(clear.x, clear.y, clear.z, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(d);
    glDisable(GL_SCISSOR_TEST);
    return region;
}

void RecordFrame::read(unsigned char* out) {
    const auto known = stale_.find(out);
    const PixelRect r = known != stale_.end() ? known->second : PixelRect{0, 0, w_, h_};
    stale_[out] = {};
    if (r.empty())
        return;
    glReadBuffer(GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glPixelStorei(GL_PACK_ROW_LENGTH, w_);
    glReadPixels(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0, GL_RGBA, GL_UNSIGNED_BYTE,
                 out + (size_t(r.y0) * size_t(w_) + size_t(r.x0)) * 4);
    glPixelStorei(GL_PACK_ROW_LENGTH, 0);
}

} // namespace ringside::app
