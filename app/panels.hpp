// The panels, one a file. Each reads the Model (the engine's state at the cursor) and records
// what the user asked for in Actions; none changes the engine, none re-implements a rule.
#pragma once

#include "lesson.hpp"
#include "model.hpp"
#include "render.hpp"
#include "theme.hpp"

#include <map>
#include <memory>

namespace ringside::app {

// A focused ring's markers (dirty_index, reset_index, fetch) as drawn, sliding between steps.
struct RingMarkers {
    uint64_t stamp = 0; // the view they slide towards (0: never drawn)
    float from[3] = {}, shown[3] = {};
};

// What the UI keeps between frames that is not the model: text being typed, caches of
// textures built from the model.
struct Ui {
    char input[1024] = {};
    int history_pos = -1;
    bool scroll_console = true;
    size_t console_count = 0; // console entries when last scrolled to the bottom
    int scroll_frames = 0;
    Theme theme = Theme::Dark;
    std::map<std::string, std::unique_ptr<Texture>> textures;
    std::map<std::string, uint64_t> texture_frame;            // the model view each texture shows
    std::map<std::string, std::vector<PageState>> page_cache; // per slot, with its texture
    std::map<uint32_t, Event> last_runs;                      // per vCPU, for the state shown
    uint64_t last_runs_view = 0;
    int caps_arch = 1;     // index into the architectures
    int caps_version = 0;  // index into the versions
    float memory_zoom = 1; // 1 = fit
    std::map<uint32_t, std::pair<uint64_t, BitmapActivity>> bitmap_activity; // per slot number
    std::map<uint32_t, uint64_t> bitmap_first_word;                          // per slot number
    bool show_picker = false;          // the lesson picker over the lesson being played
    std::string caption;               // burned-in caption of a recording
    std::vector<std::string> captions; // and every step's: their band fits the longest
    bool want_notes_window = false;    // the Lesson panel asked for the presenter-notes window
    int lesson_choice = -1;            // the choice picked, before committing
    char lesson_answer[256] = {};      // or the answer typed
    std::map<uint32_t, RingMarkers> ring_markers; // per vCPU id
    char export_path[512] = {};                   // the migration view's export field
    int migration_settings = -1; // its settings column: -1 shown but in presenter mode, 0, 1
};

Texture& texture(Ui& ui, const std::string& key);
// The texture to upload a grid's new picture into; the one it showed until now is kept, so
// grid_image can crossfade from it.
Texture& texture_for_new_state(Ui& ui, const std::string& key);
// Draws the grid texture `key` over [p0, p1] (uv0..uv1 of it), crossfading from the picture
// before the step while the transition runs.
void grid_image(const Model& m, Ui& ui, const std::string& key, ImVec2 p0, ImVec2 p1,
                ImVec2 uv0 = ImVec2(0, 0), ImVec2 uv1 = ImVec2(1, 1));
// The object the current lesson step points at, if any (not while exploring a copy).
const Highlight* lesson_highlight(const Model& m);
// A pulsing outline around [a, b]: what a lesson step points at.
void outline(ImDrawList* dl, ImVec2 a, ImVec2 b, const Model& m, Theme t);
// How far the transition into the state at the cursor has got: 0 → 1 over kTransitionFrames
// frames of animation time (the frame counter, never the wall clock); 1 with reduce motion.
inline constexpr uint64_t kTransitionFrames = 24; // 0.4 s at 60 fps: visible on a projector
float transition(const Model& m);

void draw_console(const Model& m, Actions& a, Ui& ui);
void draw_caps(const Model& m, Actions& a, Ui& ui);
void draw_vcpus(const Model& m, Actions& a, Ui& ui);
void draw_memory(const Model& m, Actions& a, Ui& ui);
void draw_rings(const Model& m, Actions& a, Ui& ui);
void draw_bitmaps(const Model& m, Actions& a, Ui& ui);
void draw_timeline(const Model& m, Actions& a, Ui& ui);
void draw_ordering(const Model& m, Actions& a, Ui& ui);
void draw_lesson(const Model& m, Actions& a, Ui& ui);
void draw_migration(const Model& m, Actions& a, Ui& ui);
class NotesFeed;
// The presenter-notes window's one panel (ringside --presenter-notes).
void draw_presenter_notes(const NotesFeed& feed, Ui& ui, double seconds, int w, int h);
// Lesson markup (**bold**, `code`, [[kernel_function]]), wrapped to the panel.
void draw_markup(const std::string& text, Theme t);

// Shared bits of presentation (widgets.cpp).
void result_text(const std::string& result, Theme t); // errnos in the error colour
// A colour and its meaning; items flow onto the same line while they fit.
void legend_swatch(ImU32 colour, const char* label, bool first = false);
// "kvm_dirty_ring_push, virt/kvm/dirty_ring.c" in a dimmer colour
void kernel_site_text(const char* function, const char* file);
// How strongly something that changed at the cursor should still glow (1 → 0 over ~1 s).
float change_glow(const Model& m);

} // namespace ringside::app
