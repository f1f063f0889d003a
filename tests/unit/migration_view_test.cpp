// The migration view's GUI-free part (app/migration_view.hpp, the model's migration state): the
// worker migrates every mode off the calling thread, reports progress, can be cancelled, and
// gives the results run_mode gives; the settings a lesson or --compare writes; the export.
#include "lesson_player.hpp"
#include "migration_view.hpp"
#include "model.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace ringside;
using namespace ringside::app;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The guest of tests/scenarios/d-migrate-*.scn: 1024 pages, one vCPU sweeping 256 of them at
// 128 writes/s, 4 MiB/s, 10 ms of downtime: three rounds, 1169 pages sent, worked out by hand.
migrate::GuestSetup small_guest() {
    migrate::GuestSetup g;
    g.arch = Arch::Arm64;
    g.version = {6, 2};
    g.pages = 1024;
    g.vcpus = 1;
    g.ring_entries = 4096;
    EXPECT_EQ(compare_setting("workload", "seq pages=0..255 rate=128", &g), "");
    EXPECT_EQ(compare_setting("migrate", "bandwidth=4M downtime=10", &g), "");
    return g;
}

// A guest big enough that its migration is still running when the test looks.
migrate::GuestSetup big_guest() {
    migrate::GuestSetup g;
    EXPECT_EQ(compare_settings({"memory=16G", "vcpus=64", "ring=65536"}, &g), "");
    return g;
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A scratch folder as XDG_DATA_HOME, removed (and the variable restored) at the end.
struct DataHome {
    fs::path path;
    std::string saved;
    bool had = false;
    DataHome() {
        path = fs::temp_directory_path() /
               ("ringside-migration-test-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
        fs::remove_all(path);
        fs::create_directories(path);
        if (const char* x = std::getenv("XDG_DATA_HOME")) {
            had = true;
            saved = x;
        }
        setenv("XDG_DATA_HOME", path.c_str(), 1);
    }
    ~DataHome() {
        if (had)
            setenv("XDG_DATA_HOME", saved.c_str(), 1);
        else
            unsetenv("XDG_DATA_HOME");
        fs::remove_all(path);
    }
};

} // namespace

// ---- the worker

TEST(Comparison, MigratesEveryModeOffThisThread) {
    const migrate::GuestSetup g = small_guest();
    Comparison c(g);
    ASSERT_TRUE(c.wait_for(60s));
    EXPECT_FALSE(c.running());
    bool finished = false;
    const std::vector<ModeRun> runs = c.snapshot(&finished);
    EXPECT_TRUE(finished);
    ASSERT_EQ(runs.size(), std::size(migrate::kModes));
    for (size_t i = 0; i < runs.size(); ++i) {
        SCOPED_TRACE(std::string(migrate::mode_name(runs[i].mode)));
        EXPECT_EQ(runs[i].mode, migrate::kModes[i]);
        EXPECT_EQ(runs[i].state, ModeRun::State::Done);
        ASSERT_TRUE(runs[i].result);
        // The worker's result is run_mode's, field for field.
        const migrate::MigrationResult direct = migrate::run_mode(g, runs[i].mode);
        EXPECT_EQ(runs[i].result->summary(), direct.summary());
        EXPECT_EQ(migrate::result_json(*runs[i].result), migrate::result_json(direct));
        EXPECT_TRUE(runs[i].result->converged);
        EXPECT_EQ(runs[i].result->rounds, 3u);
        EXPECT_TRUE(runs[i].result->lost.empty());
    }
    EXPECT_GT(c.reports(), 0u); // the progress callback fired
    EXPECT_GT(runs[0].progress.dirty, 0u);
}

TEST(Comparison, AModeTheKernelCannotDoSaysWhy) {
    migrate::GuestSetup g = small_guest();
    g.arch = Arch::X86_64;
    g.version = {6, 1};
    Comparison c(g, {migrate::Mode::RingBitmap});
    ASSERT_TRUE(c.wait_for(60s));
    const std::vector<ModeRun> runs = c.snapshot();
    ASSERT_EQ(runs.size(), 1u);
    ASSERT_TRUE(runs[0].result);
    EXPECT_NE(runs[0].result->error.find("cannot do ring+bitmap"), std::string::npos)
        << runs[0].result->error;
}

TEST(Comparison, ABrokenProtocolLosesItsPage) {
    migrate::GuestSetup g = small_guest();
    ASSERT_EQ(compare_setting("migrate", "bandwidth=4M downtime=10 its-save=0x3f0", &g), "");
    Comparison c(g, {migrate::Mode::Ring, migrate::Mode::RingBitmap});
    ASSERT_TRUE(c.wait_for(60s));
    const std::vector<ModeRun> runs = c.snapshot();
    ASSERT_TRUE(runs[0].result && runs[1].result);
    ASSERT_EQ(runs[0].result->lost.size(), 1u); // d-migrate-ring-arm64-its.scn
    EXPECT_EQ(runs[0].result->lost[0].gfn, 0x3f0u);
    EXPECT_EQ(runs[0].result->lost[0].writer, "KVM (vGIC ITS save)");
    EXPECT_TRUE(runs[1].result->lost.empty()); // the backup bitmap caught it
}

TEST(Comparison, ProgressThenCancel) {
    Comparison c(big_guest());
    // The first mode reports its progress while it runs.
    const auto start = std::chrono::steady_clock::now();
    while (c.reports() < 3 && std::chrono::steady_clock::now() - start < 60s)
        std::this_thread::sleep_for(5ms);
    ASSERT_GE(c.reports(), 3u);
    std::vector<ModeRun> runs = c.snapshot();
    EXPECT_EQ(runs[0].state, ModeRun::State::Running);
    EXPECT_EQ(runs[1].state, ModeRun::State::Waiting);
    EXPECT_GT(runs[0].progress.dirty, 0u);
    EXPECT_LE(runs[0].progress.sent, runs[0].progress.dirty);
    EXPECT_TRUE(c.running());
    c.cancel();
    ASSERT_TRUE(c.wait_for(30s)); // the next report stops it
    bool finished = false;
    runs = c.snapshot(&finished);
    EXPECT_TRUE(finished);
    for (const ModeRun& r : runs) {
        EXPECT_EQ(r.state, ModeRun::State::Cancelled);
        EXPECT_FALSE(r.result);
    }
}

TEST(Comparison, DestroyingItCancelsAndWaits) {
    const auto start = std::chrono::steady_clock::now();
    {
        Comparison c(big_guest());
        while (c.reports() == 0 && std::chrono::steady_clock::now() - start < 60s)
            std::this_thread::sleep_for(1ms);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

// ---- the model: the view's state changes only through apply() and tick()

TEST(MigrationModel, StartTickAndResults) {
    Model m;
    Actions a;
    a.compare_setup = small_guest();
    a.start_compare = true;
    a.migration_view = true;
    apply(m, a);
    EXPECT_TRUE(m.migration.shown);
    ASSERT_TRUE(m.migration.comparison);
    ASSERT_TRUE(m.migration.comparison->wait_for(60s));
    tick(m, 1.0 / 60);
    EXPECT_TRUE(m.migration.runs_final);
    ASSERT_EQ(m.migration.runs.size(), 4u);
    for (const ModeRun& r : m.migration.runs)
        EXPECT_TRUE(r.result && r.result->converged);
    // The same settings again (a lesson step visited twice) keep the results.
    const Comparison* before = m.migration.comparison.get();
    Actions again;
    again.start_compare = true;
    apply(m, again);
    EXPECT_EQ(m.migration.comparison.get(), before);
    // Other settings start another comparison.
    Actions other;
    migrate::GuestSetup g = small_guest();
    g.vcpus = 2;
    other.compare_setup = g;
    other.start_compare = true;
    apply(m, other);
    EXPECT_EQ(m.migration.comparison->setup().vcpus, 2u);
    EXPECT_TRUE(m.migration.comparison->wait_for(60s));
    tick(m, 1.0 / 60);
    EXPECT_TRUE(m.migration.runs_final);
    EXPECT_EQ(m.migration.runs[0].result->summary(),
              migrate::run_mode(g, migrate::Mode::Bitmap).summary());
}

TEST(MigrationModel, ViewsAreExclusiveAndAConsoleMigrateShowsIt) {
    Model m;
    load_scenario_text(m, "vm arch=arm64 kernel=6.2\nmemslot 0 gfn=0 pages=1024\nvcpu 0\n", "t");
    Actions order;
    order.ordering = m.ordering;
    order.ordering->shown = true;
    apply(m, order);
    EXPECT_TRUE(m.ordering.shown);
    Actions typed;
    typed.commands = {"workload 0 seq pages=0..255 rate=128",
                      "migrate bandwidth=4M downtime=10 kernel-write=0x300@1050"};
    apply(m, typed);
    EXPECT_TRUE(m.migration.shown);
    EXPECT_FALSE(m.ordering.shown);
    ASSERT_TRUE(m.view.migration());
    EXPECT_TRUE(m.view.migration()->converged);
    // "show page" leaves for the machine view with the page outlined.
    Actions show;
    show.show_page = 0x300;
    apply(m, show);
    EXPECT_FALSE(m.migration.shown);
    EXPECT_EQ(m.migration.page, 0x300u);
    Actions back;
    back.migration_view = true;
    apply(m, back);
    EXPECT_TRUE(m.migration.shown);
    EXPECT_FALSE(m.ordering.shown);
}

// ---- settings, in a lesson's and --compare's words

TEST(CompareSettings, EachKey) {
    migrate::GuestSetup g;
    EXPECT_EQ(compare_setting("arch", "x86_64", &g), "");
    EXPECT_EQ(g.arch, Arch::X86_64);
    EXPECT_EQ(compare_setting("kernel", "6.1", &g), "");
    EXPECT_EQ(version_name(g.version), "6.1");
    EXPECT_EQ(compare_setting("memory", "64M", &g), "");
    EXPECT_EQ(g.pages, 16384u);
    EXPECT_EQ(compare_setting("memory", "16G", &g), "");
    EXPECT_EQ(g.pages, 4194304u);
    EXPECT_EQ(compare_setting("vcpus", "64", &g), "");
    EXPECT_EQ(g.vcpus, 64u);
    EXPECT_EQ(compare_setting("ring", "65536", &g), "");
    EXPECT_EQ(g.ring_entries, 65536u);
    EXPECT_EQ(compare_setting("workload", "burst rate=500 on=10 off=90 seed=7", &g), "");
    EXPECT_EQ(g.workload.pattern, migrate::Pattern::Bursts);
    EXPECT_EQ(g.workload.on_ms, 10u);
    EXPECT_EQ(g.workload.seed, 7u);
    EXPECT_EQ(compare_setting("migrate", "bandwidth=64M downtime=50 harvest=plain", &g), "");
    EXPECT_EQ(g.config.bandwidth, 64u << 20);
    EXPECT_EQ(g.config.downtime_ns, 50000000u);
    EXPECT_EQ(g.config.harvest, HarvestOrder::Plain);

    EXPECT_EQ(compare_setting("arch", "sparc", &g),
              "arch \"sparc\" is not x86_64, arm64 or riscv (guests of 4 KiB pages)");
    EXPECT_NE(compare_setting("arch", "loongarch", &g), "");
    EXPECT_EQ(compare_setting("kernel", "7.9", &g),
              "kernel \"7.9\" is not a release Ringside models (5.10 to 6.18)");
    EXPECT_NE(compare_setting("memory", "17G", &g), "");
    EXPECT_NE(compare_setting("memory", "5000", &g), ""); // not whole pages
    EXPECT_EQ(compare_setting("vcpus", "0", &g), "vcpus \"0\" is not 1 to 64");
    EXPECT_EQ(compare_setting("ring", "1000", &g),
              "ring \"1000\" is not a power of two from 256 to 65536 entries");
    EXPECT_EQ(compare_setting("workload", "spiral", &g),
              "workload \"spiral\": column 1: unknown pattern 'spiral' (seq, uniform, zipf, "
              "burst, idle)");
    EXPECT_NE(compare_setting("migrate", "bandwidth=1", &g).find("column 1"), std::string::npos);
    EXPECT_EQ(compare_setting("colour", "red", &g),
              "unknown setting 'colour' (known: arch, kernel, memory, vcpus, ring, workload, "
              "migrate)");
}

TEST(CompareSettings, TheWholeSetup) {
    migrate::GuestSetup g;
    EXPECT_EQ(compare_settings({"arch=x86_64", "kernel=6.1", "migrate=its-save=0x10"}, &g),
              "migrate its-save= is arm64's (the vGIC ITS), but the guest is x86_64");
    g = migrate::GuestSetup();
    EXPECT_EQ(compare_settings({"memory=64M", "migrate=kernel-write=0x100000@5"}, &g),
              "migrate kernel-write= names page 1048576, beyond the guest's 16384 pages");
    g = migrate::GuestSetup();
    EXPECT_EQ(compare_settings({"arch=riscv", "kernel=5.10"}, &g).rfind("kernel 5.10 on riscv", 0),
              0u);
    EXPECT_EQ(compare_settings({"vcpus"}, &g), "'vcpus' is not KEY=VALUE");
    g = migrate::GuestSetup();
    EXPECT_EQ(compare_settings({"memory=1G", "workload=zipf rate=1000 hot=256"}, &g), "");
    EXPECT_EQ(setup_key(g), setup_key(g));
    migrate::GuestSetup h = g;
    h.config.downtime_ns = 1;
    EXPECT_NE(setup_key(g), setup_key(h));
}

TEST(CompareSettings, Texts) {
    EXPECT_EQ(grouped(0), "0");
    EXPECT_EQ(grouped(999), "999");
    EXPECT_EQ(grouped(1000), "1,000");
    EXPECT_EQ(grouped(4194304), "4,194,304");
    EXPECT_EQ(memory_text(16384), "64 MiB");
    EXPECT_EQ(memory_text(262144), "1 GiB");
    EXPECT_EQ(memory_text(4194304), "16 GiB");
    EXPECT_EQ(memory_text(393216), "1.5 GiB");
    EXPECT_EQ(guest_text(migrate::GuestSetup()),
              "arm64 Linux 6.6 · 1 GiB (262,144 pages) · 4 vCPUs · 4096-entry rings");
}

// ---- export

TEST(Export, CsvAndJsonUnderTheDataDirectory) {
    DataHome home;
    const migrate::GuestSetup g = small_guest();
    const migrate::MigrationResult bitmap = migrate::run_mode(g, migrate::Mode::Bitmap);
    const migrate::MigrationResult ring = migrate::run_mode(g, migrate::Mode::Ring);
    ExportRuns runs;
    runs.setup = &g;
    runs.compared = {&bitmap};
    runs.this_vm = &ring;
    const ExportResult csv = export_runs(runs, false, "", 1700000000);
    ASSERT_TRUE(csv.ok) << csv.message;
    EXPECT_EQ(fs::path(csv.path).parent_path(), home.path / "ringside");
    EXPECT_EQ(fs::path(csv.path).extension(), ".csv");
    EXPECT_EQ(csv.message.rfind("wrote " + csv.path, 0), 0u);
    const std::string text = read_all(csv.path);
    EXPECT_EQ(text.rfind("run,mode,round,stop,", 0), 0u) << text;
    EXPECT_NE(text.find("\ncompare,bitmap,0,0,"), std::string::npos);
    EXPECT_NE(text.find("\nthis-vm,ring,0,0,"), std::string::npos);
    // 1 header + 4 lines a run (3 rounds and the stop)
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 9);

    // A second export in the same second gets its own file.
    const ExportResult again = export_runs(runs, false, "", 1700000000);
    ASSERT_TRUE(again.ok);
    EXPECT_NE(again.path, csv.path);

    const ExportResult json = export_runs(runs, true, "", 1700000000);
    ASSERT_TRUE(json.ok) << json.message;
    const nlohmann::json doc = nlohmann::json::parse(read_all(json.path));
    EXPECT_EQ(doc["guest"]["pages"], 1024);
    EXPECT_EQ(doc["guest"]["arch"], "arm64");
    ASSERT_EQ(doc["compared"].size(), 1u);
    EXPECT_EQ(doc["compared"][0]["mode"], "bitmap");
    EXPECT_EQ(doc["this_vm"]["mode"], "ring");
    EXPECT_EQ(doc["compared"][0]["rounds"], 3);
}

TEST(Export, ATypedPathOrWhyNot) {
    DataHome home;
    const migrate::GuestSetup g = small_guest();
    const migrate::MigrationResult r = migrate::run_mode(g, migrate::Mode::Clear);
    ExportRuns runs;
    runs.compared = {&r};
    const std::string where = (home.path / "mine.csv").string();
    const ExportResult ok = export_runs(runs, false, where, 0);
    ASSERT_TRUE(ok.ok) << ok.message;
    EXPECT_EQ(ok.path, where);
    EXPECT_NE(read_all(where).find("compare,clear,"), std::string::npos);

    const ExportResult bad =
        export_runs(runs, true, (home.path / "no/such/dir/x.json").string(), 0);
    EXPECT_FALSE(bad.ok);
    EXPECT_EQ(bad.message.rfind("cannot write " + (home.path / "no/such/dir/x.json").string(), 0),
              0u)
        << bad.message;
    EXPECT_FALSE(export_runs(ExportRuns{}, false, where, 0).ok);
}

// ---- a lesson's [step.compare] and focus = "migration"

TEST(LessonCompare, PresetsStartsAndShows) {
    const fs::path dir = fs::temp_directory_path() / "ringside-migration-lesson-test";
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "01-compare.toml") << R"(title = "Compare"
summary = "One guest, every mode."
audience = "tests"
duration = "1 min"
arch = "arm64"
kernel = "6.2"

[[step]]
title = "The machine"
narration = "A VM."
commands = ["vm arch=arm64 kernel=6.2", "memslot 0 gfn=0 pages=1024", "vcpu 0"]
focus = "memory"

[[step]]
title = "Every mode"
narration = "The same guest, four times."

[step.compare]
arch = "arm64"
kernel = "6.2"
memory = "4M"
vcpus = 1
ring = 4096
workload = "seq pages=0..255 rate=128"
migrate = "bandwidth=4M downtime=10 its-save=0x3f0"

[[step]]
title = "This VM"
narration = "Migrated on the timeline."
commands = ["workload 0 seq pages=0..255 rate=128", "migrate bandwidth=4M downtime=10"]

[[step]]
title = "Pointed at"
narration = "The view, asked for."
focus = "migration"
)";
    Model m;
    scan_lesson_folder(m, dir.string());
    ASSERT_EQ(m.lesson->entries.size(), 1u);
    ASSERT_TRUE(m.lesson->entries[0].lesson) << m.lesson->entries[0].error;
    const Lesson& l = *m.lesson->entries[0].lesson;
    ASSERT_TRUE(l.steps[1].compare);
    EXPECT_EQ(l.steps[1].compare->pages, 1024u);
    EXPECT_EQ(l.steps[1].compare->vcpus, 1u);
    EXPECT_EQ(l.steps[1].compare->config.its_save.size(), 1u);
    EXPECT_EQ(l.steps[3].focus, Focus::Migration);

    open_lesson(m, 0);
    EXPECT_FALSE(m.migration.shown); // step 1 points at the memory
    EXPECT_FALSE(m.migration.comparison);
    go_to_step(m, 1);
    EXPECT_TRUE(m.migration.shown);
    ASSERT_TRUE(m.migration.comparison);
    EXPECT_EQ(m.migration.comparison->setup().pages, 1024u);
    ASSERT_TRUE(m.migration.comparison->wait_for(60s));
    tick(m, 1.0 / 60);
    ASSERT_EQ(m.migration.runs.size(), 4u);
    ASSERT_TRUE(m.migration.runs[2].result);
    EXPECT_EQ(m.migration.runs[2].result->lost.size(), 1u); // ring mode loses the ITS page
    go_to_step(m, 0);
    EXPECT_FALSE(m.migration.shown);
    const Comparison* first = m.migration.comparison.get();
    go_to_step(m, 1); // visited again: the same comparison, not a new one
    EXPECT_EQ(m.migration.comparison.get(), first);
    go_to_step(m, 2); // the step's commands ran a migrate: the view shows it
    EXPECT_TRUE(m.migration.shown);
    ASSERT_TRUE(m.view.migration());
    go_to_step(m, 3);
    EXPECT_TRUE(m.migration.shown);
    fs::remove_all(dir);
}
