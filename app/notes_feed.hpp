// The presenter-notes window: a second `ringside --presenter-notes` process, for the speaker's
// screen, fed by the main app through a pipe on its stdin. Each line says what the room sees:
// "LESSON-PATH<TAB>STEP" (STEP from 0). The window follows the latest line.
#pragma once

#include "lesson.hpp"

#include <optional>
#include <string>

namespace ringside::app {

class NotesFeed {
  public:
    // Takes bytes as read from the pipe; true when what to show changed.
    bool take(const std::string& bytes);
    const Lesson* lesson() const { return lesson_ ? &*lesson_ : nullptr; }
    int step() const { return step_; }
    const std::string& error() const { return error_; }

  private:
    std::string partial_, path_, error_;
    std::optional<Lesson> lesson_;
    int step_ = -1;
};

// The line the main app writes for a lesson at a step.
std::string notes_line(const std::string& lesson_path, int step);

} // namespace ringside::app
