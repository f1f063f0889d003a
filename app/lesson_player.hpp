// The lesson player's state: which lesson, which step, what the learner answered, and the
// lesson's own timeline while the learner tries things out. GUI-free; the Lesson panel draws it
// and asks for changes through Actions, which apply() hands to the functions below.
#pragma once

#include "lesson.hpp"

namespace ringside::app {

struct LessonPlayer {
    std::vector<LessonEntry> entries; // the picker: every lesson of the folder
    int current = -1;                 // the entry being played
    LessonRun run;
    int step = 0;
    std::vector<std::string> answers; // per step: the answer committed ("" = not yet)
    std::string error;                // a lesson that could not be opened
    // "Try it yourself": the lesson's timeline and console wait here while the user explores
    // a copy of the state at the step; "back to the lesson" puts them back.
    bool exploring = false;
    scenario::Timeline saved_timeline;
    std::vector<ConsoleEntry> saved_console;
    std::string saved_title;

    const Lesson* lesson() const;
    const LessonStep* current_step() const;
    bool revealed() const; // the current step's question has been answered
};

// Loads the folder's lessons for the picker (keeps what is playing).
void scan_lesson_folder(Model& m, const std::string& dir);
// Plays lesson `index` into the model and shows its first step.
void open_lesson(Model& m, int index);
// Shows step i: the exact engine state after its commands (or after its question's ask,
// once answered); later events stay hidden.
void go_to_step(Model& m, int i);
// Commits the learner's answer to the current step's question: the ask's events then play.
void commit_answer(Model& m, const std::string& answer);
// Forks a free-exploration copy of the state at the current step, and returns from it.
void try_it_yourself(Model& m);
void back_to_lesson(Model& m);

} // namespace ringside::app
