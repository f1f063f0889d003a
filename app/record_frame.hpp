// A recording draws each frame over the last one, only in the region where this frame's
// triangles differ from the last frame's (a pulsing outline, a sliding ring marker): llvmpipe
// then shades a few percent of the pixels, not all of them, and only that region is read back.
// The region is drawn with the same triangles in the same order, only clipped tighter, so its
// pixels are exactly those a whole redraw gives (ringside --record --whole-frames; tested).
#pragma once

#include <imgui.h>

#include <map>
#include <vector>

namespace ringside::app {

// Pixels [x0, x1) × [y0, y1) in OpenGL's window coordinates (origin at the bottom left).
struct PixelRect {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    bool empty() const { return x1 <= x0 || y1 <= y0; }
};

// One triangle as the OpenGL backend draws it: its scissor box, its texture and its vertices.
struct DrawnTriangle {
    PixelRect scissor;
    ImTextureID texture = nullptr;
    bool texture_changed = false; // the texture's pixels were uploaded for this frame
    ImDrawVert v[3];
};

// A frame's triangles in drawing order, one list per ImGui draw list (a window, mostly), less
// those the backend skips.
using DrawnTriangles = std::vector<std::vector<DrawnTriangle>>;
DrawnTriangles drawn_triangles(const ImDrawData& d, int fb_h,
                               const std::vector<ImTextureID>& changed_textures);

// Where two frames drawn from `before` and `now` can differ. The triangles are paired in
// drawing order (draw lists by position; in each, the common beginning and end, and between
// them one for one when as many, else not at all); the region bounds every triangle that is
// unpaired or differs from its pair, in either frame. Outside it every pixel is covered by the
// same triangles in the same order, so it is the same.
PixelRect changed_region(const DrawnTriangles& before, const DrawnTriangles& now,
                         const ImDrawData& d, int fb_w, int fb_h);

// The recording's picture: the window's back buffer, never swapped, so it keeps the last frame.
// (An offscreen framebuffer would not do: Mesa draws a window's buffers upside down in memory
// and a framebuffer object's upright, and a few pixels of antialiased text round differently.)
class RecordFrame {
  public:
    RecordFrame(int w, int h) : w_(w), h_(h) {}
    // Draws ImGui's draw data over the last frame, only where it changed (everywhere when
    // `whole`), and returns where that was: empty when the pixels are the last frame's.
    PixelRect draw(ImDrawData* d, ImVec4 clear, bool whole);
    // Brings `out` (w × h RGBA, bottom row first, as OpenGL reads them) up to this frame. The
    // recording's buffers go round (none is freed while it records): only what was drawn since
    // a buffer last held a frame is read back into it (reading converts every pixel from the
    // window's format).
    void read(unsigned char* out);

  private:
    int w_, h_;
    DrawnTriangles last_;
    std::map<const unsigned char*, PixelRect> stale_; // per buffer, what it lacks
    ImVec4 last_clear_;
    bool drawn_ = false;
};

} // namespace ringside::app
