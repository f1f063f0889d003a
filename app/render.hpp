// Drawing big data: page grids and rings are compact RGBA arrays uploaded as one texture each,
// never one widget per page. Also where each thing was drawn, for --layout.
#pragma once

#include <imgui.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ringside::app {

// One RGBA texture, re-uploaded only when its pixels change.
class Texture {
  public:
    Texture() = default;
    Texture(const Texture&) = delete;
    Texture& operator=(const Texture&) = delete;
    ~Texture();
    // pixels: w * h colours (IM_COL32), row by row.
    void upload(const std::vector<uint32_t>& pixels, int w, int h);
    ImTextureID id() const;
    int width() const { return w_; }
    int height() const { return h_; }
    // The same picture: a crossfade between the two would change nothing.
    bool same_pixels(const Texture& other) const {
        return w_ == other.w_ && h_ == other.h_ && pixels_ == other.pixels_;
    }

  private:
    unsigned int tex_ = 0;
    int w_ = 0, h_ = 0;
    std::vector<uint32_t> pixels_; // what was uploaded (a grid: small)
};

// The textures whose pixels were uploaded since the last call: a recording redraws whatever
// shows them.
std::vector<ImTextureID> take_uploaded_textures();

// A grid of cells drawn from a texture: cell i is at column i % columns, row i / columns.
struct GridGeometry {
    float x = 0, y = 0; // top-left, in window pixels
    float cell_w = 1, cell_h = 1;
    uint64_t columns = 1;
    uint64_t cells = 0;
    uint64_t per_cell = 1; // items aggregated in one cell (1 = one page or entry per cell)
    ImVec2 centre(uint64_t item) const {
        const uint64_t c = item / per_cell;
        return {x + (float(c % columns) + 0.5f) * cell_w, y + (float(c / columns) + 0.5f) * cell_h};
    }
};

// Where panels and grids were drawn this frame (written by --layout).
nlohmann::json& layout();
void record_panel(const char* name);
// The last item drawn (a line of text, a button), by name.
void record_item(const char* name);
void record_grid(const std::string& name, const GridGeometry& g);

} // namespace ringside::app
