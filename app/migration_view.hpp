// The migration view's work, without a GUI: one guest migrated in every mode on a worker thread
// (so the app keeps drawing at 60 fps while a 16 GiB guest migrates), the settings a lesson's
// [step.compare] table or --compare gives in the scenario language's words, and the export of
// the runs as CSV and JSON. The panel (panel_migration.cpp) only draws what is here.
#pragma once

#include "migrate/compare.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ringside::app {

// One mode of a comparison, as the worker last reported it.
struct ModeRun {
    enum class State : uint8_t { Waiting, Running, Done, Cancelled };
    migrate::Mode mode = migrate::Mode::Bitmap;
    State state = State::Waiting;
    migrate::Progress progress;                             // while Running
    std::shared_ptr<const migrate::MigrationResult> result; // once Done
    double wall_seconds = 0;                                // real time the simulation took
};

// Migrates one guest in each of the modes, one after another, on its own thread (the machine
// may have two cores: one draws, one migrates). Each mode gets its own VM, as run_mode sets it
// up. The worker publishes progress and results under a mutex; the UI thread takes snapshots.
class Comparison {
  public:
    explicit Comparison(const migrate::GuestSetup& setup,
                        std::vector<migrate::Mode> modes = {std::begin(migrate::kModes),
                                                            std::end(migrate::kModes)});
    Comparison(const Comparison&) = delete;
    Comparison& operator=(const Comparison&) = delete;
    ~Comparison(); // cancels the migration under way and waits for the worker

    const migrate::GuestSetup& setup() const { return setup_; }
    // The next progress report makes the running mode stop with error "cancelled"; the modes
    // not started yet are not run.
    void cancel();
    bool running() const;
    // Waits up to `timeout` for the worker to finish; true once it has.
    bool wait_for(std::chrono::milliseconds timeout) const;
    // Every mode as it stands; *finished tells whether the worker is done (nothing will change).
    std::vector<ModeRun> snapshot(bool* finished = nullptr) const;
    // Progress reports seen so far (for tests: the callback really fires).
    uint64_t reports() const;

  private:
    void work(std::stop_token stop);

    const migrate::GuestSetup setup_;
    mutable std::mutex mu_;
    mutable std::condition_variable done_;
    std::vector<ModeRun> runs_; // guarded by mu_
    bool finished_ = false;     // guarded by mu_
    uint64_t reports_ = 0;      // guarded by mu_
    std::jthread worker_;       // last: started once everything above exists
};

// Two setups run the same comparison when their scenario texts and migrate lines agree.
std::string setup_key(const migrate::GuestSetup& g);

// One setting, as a lesson's [step.compare] or --compare writes it: arch, kernel, memory
// ("64M", "1G", "16G"), vcpus, ring (entries a vCPU), workload (the words after
// `workload all`), migrate (the words after `migrate`). "" or what is wrong with it.
std::string compare_setting(const std::string& key, const std::string& value,
                            migrate::GuestSetup* g);
// After every setting: "" or why the whole does not make a guest (a kernel that did not exist
// on that arch, an ITS save off arm64).
std::string check_setup(const migrate::GuestSetup& g);
// "KEY=VALUE" items (--compare), each through compare_setting, then check_setup.
std::string compare_settings(const std::vector<std::string>& items, migrate::GuestSetup* g);
inline constexpr const char* kCompareKeys[] = {"arch", "kernel",   "memory", "vcpus",
                                               "ring", "workload", "migrate"};

// "64 MiB", "1 GiB", "1.5 GiB", "12 KiB": a guest of `pages` 4 KiB pages.
std::string memory_text(uint64_t pages);
// "arm64 Linux 6.6 · 1 GiB (262,144 pages) · 4 vCPUs · 4096-entry rings"
std::string guest_text(const migrate::GuestSetup& g);
// 1234567 → "1,234,567"
std::string grouped(uint64_t v);

// Where exports go unless a path is typed: $XDG_DATA_HOME/ringside, else
// ~/.local/share/ringside (never the repository). Empty when neither is set.
std::string data_dir();

// The runs being exported: the comparison's modes (with the guest they ran on), and the
// migration of the VM on the timeline, if any.
struct ExportRuns {
    const migrate::GuestSetup* setup = nullptr;
    std::vector<const migrate::MigrationResult*> compared;
    const migrate::MigrationResult* this_vm = nullptr;
    bool empty() const { return compared.empty() && !this_vm; }
};
// costs_csv() of the runs, with a first column saying which run a line is from ("compare" or
// "this-vm"), and result_json() of each in one document.
std::string export_csv(const ExportRuns& runs);
std::string export_json(const ExportRuns& runs);

struct ExportResult {
    bool ok = false;
    std::string path;    // where it went (or would have)
    std::string message; // "wrote PATH (N bytes)" or why not
};
// Writes the runs to `path`, or when it is empty to a new file under data_dir() named by the
// time (`now`, for tests: seconds since the epoch).
ExportResult export_runs(const ExportRuns& runs, bool json, const std::string& path, int64_t now);

} // namespace ringside::app
