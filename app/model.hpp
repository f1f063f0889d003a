// The app's model: the engine's timeline, which point of it is on screen, and the console. The
// panels read it and emit Actions; apply() is the only place it changes (Dear ImGui style: the
// UI is a function of this state).
#pragma once

#include "migration_view.hpp"
#include "scenario/timeline.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ringside::app {

struct LessonPlayer; // lesson_player.hpp

// One line of the console: what was typed and what the engine answered.
struct ConsoleEntry {
    std::string command;
    std::string result; // the result text, or the error message
    std::string reason; // the explanation of the ioctl's result, if any
    bool error = false; // a scenario error (nothing ran)
    int error_col = 0;  // its column in the line
    uint64_t event = 0; // events before the command
};

// What the colours of one page mean (the guest-memory panel's legend).
enum class PageState : uint8_t {
    Unmapped,    // never touched, or zapped
    Armed,       // mapped, and its next write is logged
    Writable,    // mapped writable: writes are not seen
    DirtyRing,   // published in a ring, not yet harvested
    Harvested,   // collected by userspace
    DirtyBitmap, // its bit is set in the slot's bitmap
    Untracked,   // written, in a slot that does not log
    Count,
};
const char* page_state_name(PageState s);

// The Memory order view: which program, on which architecture, which execution, how far the
// step-through has got.
struct OrderingState {
    bool shown = false;     // replaces the machine view (guest memory, rings, ...)
    int program = 0;        // 0 the ring's publish handshake, 1 its reset, then the classic shapes
    bool arm64 = true;      // else x86_64
    bool acqrel = false;    // QEMU harvests with acquire/release (order=acqrel), else plain
    bool kernel_wmb = true; // kvm_dirty_ring_push keeps its smp_wmb (false: patch=no-wmb)
    bool plain_reset = false; // KVM's reset uses plain accesses (patch=plain-reset)
    int race = -1;            // the race explorer: whose witness (-1: the first found)
    int execution = 0;        // which allowed execution
    int step = 0;             // steps of it taken so far
    bool operator==(const OrderingState&) const = default;
};

// "publish,acqrel,bad": a memory-order program (publish, reset, mp, sb, sb-mb, lb, explore) and
// its switches (x86, acqrel, no-wmb, plain-reset, and bad: show the first bad execution with
// every step taken),
// as --ordering and a lesson's `ordering` key write it. False when malformed.
bool parse_ordering(const std::string& text, OrderingState* s);

// The migration view: the settings of the next comparison, the comparison running or last run
// (its worker thread reports into it), and the lost page the machine view is asked to show.
struct MigrationView {
    static constexpr uint64_t kNoPage = ~0ull;
    bool shown = false;                     // replaces the machine view, as the memory order does
    migrate::GuestSetup setup;              // what "migrate in every mode" runs
    std::shared_ptr<Comparison> comparison; // running, or the last one run
    std::vector<ModeRun> runs;              // its modes as of this frame (tick() copies them)
    bool runs_final = false;                // the worker is done: runs will not change
    uint64_t page = kNoPage;                // "show page": the machine view outlines this gfn
    uint64_t page_frame = 0;                // when it was asked for (the view scrolls to it)
    ExportResult exported;                  // the last export, or nothing yet
};

struct Model {
    scenario::Timeline timeline;
    std::string title = "default scenario";
    uint64_t cursor = 0;    // the state shown is the one after this many events
    scenario::Session view; // timeline.state_after(cursor)
    bool playing = false;
    float events_per_second = 4.0f;
    double play_accumulator = 0;
    std::vector<ConsoleEntry> console;
    std::vector<std::string> history; // commands typed, oldest first
    std::string load_error;           // a scenario file that could not be used
    uint64_t frame = 0;               // animation time: frames, never the wall clock
    uint64_t cursor_changed_frame = 0;
    uint64_t selected_event = ~0ull;
    uint32_t focused_vcpu = 0;
    bool presenter = false;
    bool reduce_motion = false;
    OrderingState ordering;
    uint64_t ordering_changed_frame = 0;
    MigrationView migration;
    std::shared_ptr<LessonPlayer> lesson; // the lesson player, once the picker has been used
    // Events from here on stay hidden (a lesson's later steps and unrevealed answers).
    uint64_t limit = ~0ull;
    uint64_t visible_end() const { return std::min<uint64_t>(timeline.event_count(), limit); }
};

struct Actions {
    std::vector<std::string> commands; // scenario-language lines to run, in order
    std::optional<uint64_t> seek;      // show the state after this many events
    std::optional<bool> play;
    std::optional<float> speed; // events per second while playing
    std::optional<uint32_t> focus_vcpu;
    std::optional<uint64_t> select_event;
    bool toggle_presenter = false;
    std::optional<bool> reduce_motion;
    std::optional<OrderingState> ordering;
    std::optional<int> open_lesson; // an index into the picker's lessons
    std::optional<int> lesson_step;
    std::optional<std::string> answer; // committed to the current step's question
    bool try_it_yourself = false, back_to_lesson = false;
    std::optional<bool> migration_view;               // show the migration view, or leave it
    std::optional<migrate::GuestSetup> compare_setup; // the comparison's settings changed
    bool start_compare = false, cancel_compare = false;
    std::optional<uint64_t> show_page; // the machine view, this gfn outlined (kNoPage: none)
    std::optional<bool> export_json;   // export the runs shown: JSON (true) or CSV (false)...
    std::string export_path;           // ...to this file ("": a new one under data_dir())
};

// Runs one scenario-language line at the end of the timeline and shows its result.
void run_command(Model& m, const std::string& line);
// Loads a scenario file's commands (expect lines are checked, not shown); false with
// m.load_error set when it cannot be read or has an error.
bool load_scenario_file(Model& m, const std::string& path, uint64_t max_commands = ~0ull);
void load_scenario_text(Model& m, const std::string& text, const std::string& title);
void apply(Model& m, const Actions& a);
// Starts migrating m.migration.setup in every mode on a worker thread, unless the same setup is
// already migrating or has been migrated to the end (a lesson step visited again).
void start_comparison(Model& m);
// A comparison's worker is still running: the app keeps drawing frames for its progress.
bool comparison_running(const Model& m);

// Advances playback by one frame (dt seconds of presentation time).
void tick(Model& m, double dt);
void seek(Model& m, uint64_t n);

// The colour class of every page of one slot in the state shown.
std::vector<PageState> page_states(const Model& m, const Memslot& slot);
// The same folded into cells of per_cell pages, each showing its most telling page (ring
// states, then the bitmap, then untracked writes, then mappings). Costs the slot's mapped
// ranges, bitmap bits and ring entries, not its pages: a 4 Mi-page slot stays cheap.
std::vector<PageState> cell_states(const Model& m, const Memslot& slot, uint64_t per_cell);

// What the latest bitmap ioctls before the cursor did to one slot, word by word (word index →
// 64 bits, one a page): what KVM_GET_DIRTY_LOG returned, what KVM_CLEAR_DIRTY_LOG was asked
// to clear and really cleared, and which pages the latest KVM_RESET_DIRTY_RINGS re-armed.
struct BitmapActivity {
    static constexpr uint64_t kNone = ~0ull;
    uint64_t get_event = kNone; // the first event of the getlog command, or kNone
    std::map<uint64_t, uint64_t> returned;
    uint64_t clear_event = kNone;
    uint64_t clear_first = 0, clear_num = 0; // the range asked for, in pages
    std::map<uint64_t, uint64_t> cleared;
    uint64_t reset_event = kNone;
    std::map<uint64_t, uint64_t> rearmed;
};
BitmapActivity bitmap_activity(const Model& m, const Memslot& slot);

// The built-in scenario the app opens on.
extern const char* const kDefaultScenario;

} // namespace ringside::app
