#include "render.hpp"

#include <glad/gl.h>

#include <algorithm>
#include <utility>

namespace ringside::app {

namespace {
std::vector<ImTextureID> g_uploaded;
} // namespace

std::vector<ImTextureID> take_uploaded_textures() {
    return std::exchange(g_uploaded, {});
}

Texture::~Texture() {
    if (tex_)
        glDeleteTextures(1, &tex_);
}

void Texture::upload(const std::vector<uint32_t>& pixels, int w, int h) {
    if (!tex_) {
        glGenTextures(1, &tex_);
        glBindTexture(GL_TEXTURE_2D, tex_);
        // Nearest: a cell is a crisp block of colour however far it is scaled.
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    }
    glBindTexture(GL_TEXTURE_2D, tex_);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    if (w != w_ || h != h_)
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    else
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    w_ = w;
    h_ = h;
    pixels_ = pixels;
    if (std::find(g_uploaded.begin(), g_uploaded.end(), id()) == g_uploaded.end())
        g_uploaded.push_back(id()); // a handful a frame, and only distinct ones
}

ImTextureID Texture::id() const {
    return reinterpret_cast<ImTextureID>(static_cast<uintptr_t>(tex_));
}

nlohmann::json& layout() {
    static nlohmann::json j = nlohmann::json::object();
    return j;
}

void record_panel(const char* name) {
    const ImVec2 p = ImGui::GetWindowPos(), s = ImGui::GetWindowSize();
    layout()["panels"][name] = {{"x", p.x}, {"y", p.y}, {"w", s.x}, {"h", s.y}};
}

void record_item(const char* name) {
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    layout()["items"][name] = {{"x", a.x}, {"y", a.y}, {"w", b.x - a.x}, {"h", b.y - a.y}};
}

void record_grid(const std::string& name, const GridGeometry& g) {
    layout()["grids"][name] = {{"x", g.x},
                               {"y", g.y},
                               {"cell_w", g.cell_w},
                               {"cell_h", g.cell_h},
                               {"columns", g.columns},
                               {"cells", g.cells},
                               {"per_cell", g.per_cell}};
}

} // namespace ringside::app
