// Lessons: TOML files (lessons/README.md) that tell the story of dirty tracking step by step,
// each step running scenario-language commands, pointing at a panel and an object, and maybe
// asking the room to predict what one more command returns. Loading checks the file on its own
// (keys, types, limits, command syntax, markup links); check_lesson() then plays it into the
// engine and checks every command runs, every stated answer is what the engine returns and
// every panel object exists. No GUI here: the player (the app) and the tests share it.
#pragma once

#include "model.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ringside::app {

// What a lesson may hold; a file beyond these is refused with its FILE:LINE.
struct LessonLimits {
    static constexpr uint64_t kFileBytes = 256 * 1024;
    static constexpr size_t kSteps = 40;           // the validator; the course asks for 5-15
    static constexpr size_t kCommandsPerStep = 64; // in commands = [...]; the ask is apart
    static constexpr size_t kCommands = 1000;      // in the whole lesson, asks included
    static constexpr size_t kCommandChars = 1000;
    static constexpr size_t kNarrationChars = 4000; // also notes and reveal
    static constexpr size_t kShortChars = 1000;     // summary, prompt, a step's title ...
    static constexpr size_t kChoices = 8;
    // Pages named by run, host-write and kernel-write, and bits= of clearlog, over the lesson:
    // a 16 GiB guest written once. With the slot limit below this bounds the events (and so
    // the memory) a lesson can make, whatever its commands.
    static constexpr uint64_t kPagesNamed = 1ull << 22;
    static constexpr uint64_t kSlotPages = 1ull << 24; // one memslot: 64 GiB of 4K pages
    static constexpr uint64_t kEvents = 1ull << 23;    // a backstop, checked as it plays
};

// Narration's light markup, parsed for the app's small renderer: **bold**, `code`,
// [[kernel_function]], and a blank line between paragraphs. Single newlines are spaces.
// Markers do not nest; an unclosed one is plain text (the validator reports it).
struct Span {
    enum Kind { Text, Bold, Code, Link, ParagraphBreak } kind;
    std::string text; // a Link's text is the function's name
};
std::vector<Span> parse_markup(std::string_view text);

// The kernel function a [[link]] may name, and the file that holds it (relative to the
// kernel's tree; QEMU's and the selftest's own functions say so): the functions the engine's
// events mirror on every arch and version, plus a documented list of functions the narration
// may name that make no event (lesson.cpp). nullptr when the name is unknown.
const char* kernel_function_file(std::string_view name);
// Every such name, sorted, with its file.
const std::vector<std::pair<std::string, std::string>>& kernel_functions();

// The panel a step brings forward.
enum class Focus {
    None,
    Console,
    Vcpus,
    Memory,
    Rings,
    Capabilities,
    Bitmaps,
    Timeline,
    Ordering,
    Migration,
};
const char* focus_name(Focus f); // as a lesson writes it ("" for None)

// The object a step outlines.
struct Highlight {
    enum Kind { None, Vcpu, Slot, Page, Entry, Cap } kind = None;
    uint64_t a = 0;  // the vCPU id, slot id (address space 0), gfn, or an entry's vCPU id
    uint64_t b = 0;  // an entry's index in the ring array
    std::string cap; // a capability's name, as the scenario language spells it
};
// "vcpu N" | "slot N" | "page 0xGFN" | "entry VCPU INDEX" | "cap NAME"; nullopt when malformed.
std::optional<Highlight> parse_highlight(std::string_view text);
// "" when the object exists in this state, else why not ("vCPU 3 does not exist").
std::string resolve_highlight(const Highlight& h, const scenario::Session& state);

struct LessonCommand {
    std::string text; // one scenario-language line
    int line = 0;     // its line in the lesson file
};

struct Question {
    enum Kind { Choice, Result } kind = Choice;
    std::string prompt;
    LessonCommand ask; // run at the reveal, after the step's commands
    std::vector<std::string> choices;
    std::string answer; // the result text the engine returns for ask
    std::string reveal;
    int line = 0, answer_line = 0;
};

struct LessonStep {
    std::string title;
    std::string narration;
    std::vector<LessonCommand> commands;
    Focus focus = Focus::None;
    Highlight highlight;
    std::string notes;                     // presenter notes
    std::optional<OrderingState> ordering; // `ordering = "publish,bad"`: the memory-order view
    // [step.compare]: the migration view's settings; entering the step starts the comparison.
    std::optional<migrate::GuestSetup> compare;
    std::optional<Question> question;
    int line = 0; // its [[step]] header
    int highlight_line = 0;
};

struct Lesson {
    std::string path, title, summary, audience, duration, arch, kernel;
    std::vector<LessonStep> steps;
};

// Reads and checks a lesson on its own: the lesson, or "FILE:LINE: error: MESSAGE" for the
// first problem in the file.
std::variant<Lesson, std::string> load_lesson(const std::string& path);

// Where each step of a lesson played into a Model lies on its timeline. Restoring a step is
// seeking to after_commands (or after_ask once its question was revealed): the engine's time
// travel gives the exact state. Console entries [console_begin, console_after_commands) are the
// step's commands; the ask's entry, when there is a question, is the next one.
struct StepMarks {
    uint64_t begin = 0;          // events before the step's first command
    uint64_t after_commands = 0; // the state the step shows
    uint64_t after_ask = 0;      // after the question's ask (after_commands without one)
    size_t console_begin = 0, console_after_commands = 0, console_after_ask = 0;
    std::string ask_result; // what ask returned: hide it until the learner commits an answer
};

struct LessonRun {
    std::vector<StepMarks> steps; // one per step played
    std::string error;            // "" or "FILE:LINE: error: ..." (the steps before it played)
};

// Plays the whole lesson into m, replacing what it held: every step's commands, then its
// question's ask, in order (so the ask's effects stay, and the next step starts after them).
// m's cursor is left at the end; seek to a step's marks to show it.
LessonRun play_lesson(const Lesson& lesson, Model& m);

// Plays the lesson and checks every command runs, every answer is the engine's result, and
// every highlight resolves after its step's commands: "" or the first "FILE:LINE: error: ...".
std::string check_lesson(const Lesson& lesson);

// One file of a lesson folder, as the picker lists it.
struct LessonEntry {
    std::string path;
    std::string name;             // the file name
    std::optional<Lesson> lesson; // loaded and checked
    std::string error;            // or why not
};
// Every *.toml in dir (not its subfolders), sorted by name, each loaded and checked on its own.
std::vector<LessonEntry> scan_lessons(const std::string& dir);

} // namespace ringside::app
