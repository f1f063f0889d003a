// One frame of the app's window, and the console history it keeps.
#pragma once

#include "model.hpp"
#include "panels.hpp"

#include <vector>

namespace ringside::app {

// Draws the whole window (w x h pixels) from the model, then applies what the panels asked;
// keys are the GLFW keys pressed since the last frame, taken (and cleared) here.
void draw_frame(Model& m, Ui& ui, int w, int h, std::vector<int>& keys);

// The console's history, under $XDG_STATE_HOME/ringside (never in the repository).
void load_history(Model& m);
void save_history(const Model& m);

} // namespace ringside::app
