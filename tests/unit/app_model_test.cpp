// The app's model, headless: the page colours the guest-memory panel draws.
#include "model.hpp"
#include "notes_feed.hpp"

#include <gtest/gtest.h>

#include <fstream>

using namespace ringside;
using namespace ringside::app;

namespace {

// arm64 ring + bitmap: slot 0 gets ring pushes (some harvested), a KVM write with no vCPU that
// lands in the bitmap, armed and writable pages; slot 1 does not log.
const char* kScenario = R"(vm arch=arm64 kernel=6.2
enable DIRTY_LOG_RING args0=64K
enable DIRTY_LOG_RING_ACQ_REL args0=64K
enable DIRTY_LOG_RING_WITH_BITMAP
memslot 0 gfn=0x100 pages=300 log
memslot 1 gfn=0x1000 pages=64
vcpu 0
run 0 write 0x100..0x10f
run 0 read 0x120..0x127
harvest 0 max=4
kernel-write 0x150 during=its-save
run 0 write 0x1000..0x1001
)";

const Memslot& slot(const Model& m, uint16_t id) {
    return m.view.kvm()->memslots[0].at(id);
}

} // namespace

// What each page shows follows from the scenario: the first four writes were harvested (flags
// RESET, not yet reset), the other twelve are dirty in the ring, pages read are mapped read-only
// so their next write is logged, and the its-save write went to the bitmap.
TEST(PageStates, ShowTheEngineState) {
    Model m;
    load_scenario_text(m, kScenario, "test");
    seek(m, m.timeline.event_count());
    const std::vector<PageState> s = page_states(m, slot(m, 0));
    ASSERT_EQ(s.size(), 300u);
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(s[i], PageState::Harvested) << i;
    for (int i = 4; i < 16; ++i)
        EXPECT_EQ(s[i], PageState::DirtyRing) << i;
    for (int i = 0x20; i < 0x28; ++i)
        EXPECT_EQ(s[i], PageState::Armed) << i;
    EXPECT_EQ(s[0x50], PageState::DirtyBitmap);
    EXPECT_EQ(s[0x51], PageState::Unmapped);
    const std::vector<PageState> s1 = page_states(m, slot(m, 1));
    EXPECT_EQ(s1[0], PageState::Untracked);
    EXPECT_EQ(s1[2], PageState::Unmapped);
}

// A folded cell shows the most telling of its pages: ring states over the bitmap over untracked
// writes over mappings. Checked against folding the per-page states for every cell width.
TEST(CellStates, FoldPagesByPriority) {
    Model m;
    load_scenario_text(m, kScenario, "test");
    seek(m, m.timeline.event_count());
    const auto rank = [](PageState s) {
        switch (s) {
        case PageState::DirtyRing:
            return 6;
        case PageState::Harvested:
            return 5;
        case PageState::DirtyBitmap:
            return 4;
        case PageState::Untracked:
            return 3;
        case PageState::Writable:
            return 2;
        case PageState::Armed:
            return 1;
        default:
            return 0;
        }
    };
    for (uint16_t id : {0, 1}) {
        const std::vector<PageState> pages = page_states(m, slot(m, id));
        for (uint64_t per : {1, 2, 3, 7, 8, 64, 1000}) {
            const std::vector<PageState> cells = cell_states(m, slot(m, id), per);
            ASSERT_EQ(cells.size(), (pages.size() + per - 1) / per);
            for (uint64_t c = 0; c < cells.size(); ++c) {
                PageState best = PageState::Unmapped;
                for (uint64_t p = c * per; p < std::min<uint64_t>(pages.size(), (c + 1) * per); ++p)
                    if (rank(pages[p]) > rank(best))
                        best = pages[p];
                EXPECT_EQ(cells[c], best) << "slot " << id << " per " << per << " cell " << c;
            }
        }
    }
}

// A 4 Mi-page slot folds without materialising a state per page, and still finds the one
// dirty page in its cell.
TEST(CellStates, BigSlot) {
    Model m;
    load_scenario_text(m,
                       "vm arch=x86_64 kernel=6.14\n"
                       "enable DIRTY_LOG_RING args0=64K\n"
                       "memslot 0 gfn=0 pages=0x400000 log\n"
                       "vcpu 0\n"
                       "run 0 write 0x3ffff9\n",
                       "big");
    seek(m, m.timeline.event_count());
    const std::vector<PageState> cells = cell_states(m, slot(m, 0), 8);
    ASSERT_EQ(cells.size(), 0x80000u);
    EXPECT_EQ(cells[0x3ffff9 / 8], PageState::DirtyRing);
    EXPECT_EQ(cells[0], PageState::Unmapped);
}

namespace {

// The state just before the first command whose text is `text`.
void seek_before(Model& m, const std::string& text) {
    for (size_t c = 0; c < m.timeline.command_count(); ++c)
        if (m.timeline.command(c).text == text) {
            seek(m, m.timeline.first_event(c));
            return;
        }
    FAIL() << "no command " << text;
}

} // namespace

// Without manual protect, GET_DIRTY_LOG returns the bitmap and clears it: what it returned is
// the bitmap as it was, not as it is after.
TEST(BitmapActivity, GetDirtyLogReturnsTheBitmapAsItWas) {
    Model m;
    load_scenario_text(m,
                       "vm arch=x86_64 kernel=6.1\n"
                       "memslot 0 gfn=0x100 pages=128 log\n"
                       "vcpu 0\n"
                       "run 0 write 0x100..0x103,0x141\n"
                       "getlog 0\n"
                       "run 0 write 0x102\n",
                       "t");
    seek(m, m.timeline.event_count());
    const Memslot& s = slot(m, 0);
    const BitmapActivity act = bitmap_activity(m, s);
    ASSERT_NE(act.get_event, BitmapActivity::kNone);
    EXPECT_EQ(act.returned, (std::map<uint64_t, uint64_t>{{0, 0xf}, {1, 0x2}}));
    EXPECT_EQ(act.clear_event, BitmapActivity::kNone);
    EXPECT_EQ(act.reset_event, BitmapActivity::kNone);
    // Now only the page written after the GET (it was write-protected again) is set.
    EXPECT_EQ(s.dirty_bitmap->word(0), 0x4u);
    EXPECT_EQ(s.dirty_bitmap->word(1), 0u);
    seek_before(m, "getlog 0");
    EXPECT_EQ(bitmap_activity(m, slot(m, 0)).get_event, BitmapActivity::kNone);
}

// With manual protect, GET leaves the bitmap alone and CLEAR clears only bits that were set.
TEST(BitmapActivity, ManualProtectClear) {
    Model m;
    load_scenario_text(m,
                       "vm arch=x86_64 kernel=6.1\n"
                       "enable MANUAL_DIRTY_LOG_PROTECT2 args0=1\n"
                       "memslot 0 gfn=0x100 pages=128 log\n"
                       "vcpu 0\n"
                       "run 0 write 0x100..0x103,0x141\n"
                       "getlog 0\n"
                       "clearlog 0 first=0 num=64 bits=1,2,9\n"
                       "getlog 0\n",
                       "t");
    seek(m, m.timeline.event_count());
    BitmapActivity act = bitmap_activity(m, slot(m, 0));
    EXPECT_EQ(act.returned, (std::map<uint64_t, uint64_t>{{0, 0x9}, {1, 0x2}}));
    EXPECT_EQ(act.clear_first, 0u);
    EXPECT_EQ(act.clear_num, 64u);
    EXPECT_EQ(act.cleared, (std::map<uint64_t, uint64_t>{{0, 0x6}}));
    // Before the second GET, the first one's answer is the latest.
    seek_before(m, "clearlog 0 first=0 num=64 bits=1,2,9");
    act = bitmap_activity(m, slot(m, 0));
    EXPECT_EQ(act.returned, (std::map<uint64_t, uint64_t>{{0, 0xf}, {1, 0x2}}));
    EXPECT_EQ(act.clear_event, BitmapActivity::kNone);
}

// KVM_RESET_DIRTY_RINGS re-arms the harvested pages in coalesced masks; a later `vm` is another
// VM with no history.
TEST(BitmapActivity, ResetReArms) {
    Model m;
    load_scenario_text(m,
                       "vm arch=arm64 kernel=6.2\n"
                       "enable DIRTY_LOG_RING_ACQ_REL args0=64K\n"
                       "enable DIRTY_LOG_RING_WITH_BITMAP\n"
                       "memslot 0 gfn=0x100 pages=128 log\n"
                       "vcpu 0\n"
                       "run 0 write 0x100..0x103,0x150\n"
                       "harvest 0 max=4\n"
                       "reset\n",
                       "t");
    seek(m, m.timeline.event_count());
    BitmapActivity act = bitmap_activity(m, slot(m, 0));
    ASSERT_NE(act.reset_event, BitmapActivity::kNone);
    EXPECT_EQ(act.rearmed, (std::map<uint64_t, uint64_t>{{0, 0xf}}));
    run_command(m, "vm arch=arm64 kernel=6.2");
    run_command(m, "memslot 0 gfn=0x100 pages=128 log");
    act = bitmap_activity(m, slot(m, 0));
    EXPECT_EQ(act.reset_event, BitmapActivity::kNone);
}

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

} // namespace

// A broken file is reported as ringside-sim reports it and leaves what was shown alone.
TEST(LoadScenarioFile, ErrorKeepsTheModel) {
    Model m;
    load_scenario_text(m, kScenario, "before");
    const uint64_t events = m.timeline.event_count();
    const std::string path = write_temp("broken.scn", "vm arch=x86_64 kernel=6.1\n"
                                                      "vcpu 0\n"
                                                      "harvest 0\n");
    EXPECT_FALSE(load_scenario_file(m, path));
    EXPECT_EQ(m.load_error, path + ":3:9: error: vCPU 0 has no dirty ring");
    EXPECT_EQ(m.title, "before");
    EXPECT_EQ(m.timeline.event_count(), events);
    EXPECT_FALSE(load_scenario_file(m, path + ".missing"));
    EXPECT_EQ(m.load_error, path + ".missing: cannot open the scenario file");
}

// A failed expectation is reported, and the whole file still loads.
TEST(LoadScenarioFile, FailedExpectLoadsAndReports) {
    Model m;
    const std::string path = write_temp("expect.scn", "vm arch=x86_64 kernel=6.1\n"
                                                      "check DIRTY_LOG_RING\n"
                                                      "expect 0\n"
                                                      "vcpu 0\n");
    EXPECT_TRUE(load_scenario_file(m, path));
    // x86 advertises the largest ring in bytes: 65536 entries (KVM_DIRTY_RING_MAX_ENTRIES) * 16.
    EXPECT_EQ(m.load_error, path + ":3: expected '0', got '1048576'");
    ASSERT_EQ(m.console.size(), 3u);
    EXPECT_EQ(m.console[2].command, "vcpu 0");
}

// --steps N: only the first N commands (expect lines do not count).
TEST(LoadScenarioFile, FirstCommands) {
    Model m;
    const std::string path = write_temp("steps.scn", "vm arch=x86_64 kernel=6.1\n"
                                                     "check DIRTY_LOG_RING\n"
                                                     "expect 1048576\n"
                                                     "vcpu 0\n"
                                                     "vcpu 1\n");
    EXPECT_TRUE(load_scenario_file(m, path, 3));
    EXPECT_EQ(m.load_error, "");
    ASSERT_EQ(m.console.size(), 3u);
    EXPECT_EQ(m.console[2].command, "vcpu 0");
    EXPECT_EQ(m.cursor, m.timeline.event_count());
}

// Playback advances events_per_second events a second of animation time (60 frames).
TEST(Playback, SpeedAndEnd) {
    Model m;
    load_scenario_text(m, kScenario, "t");
    Actions a;
    a.seek = 0;
    a.play = true;
    a.speed = 30;
    apply(m, a);
    for (int f = 0; f < 60; ++f)
        tick(m, 1.0 / 60.0);
    EXPECT_EQ(m.cursor, 30u);
    Actions fast;
    fast.speed = 1e9f; // clamped to 2000
    apply(m, fast);
    EXPECT_EQ(m.events_per_second, 2000.0f);
    for (int f = 0; f < 600 && m.playing; ++f)
        tick(m, 1.0 / 60.0);
    EXPECT_FALSE(m.playing);
    EXPECT_EQ(m.cursor, m.timeline.event_count());
}

// The notes window follows the latest complete line, loading the lesson it names.
TEST(NotesFeed, FollowsTheLatestLine) {
    NotesFeed f;
    const std::string lesson = std::string(RINGSIDE_LESSON_DIR) + "/04-dirty-ring.toml";
    EXPECT_FALSE(f.take(lesson + "\t"));
    EXPECT_TRUE(f.take("2\n"));
    ASSERT_NE(f.lesson(), nullptr);
    EXPECT_EQ(f.step(), 2);
    EXPECT_TRUE(f.take(notes_line(lesson, 0) + notes_line(lesson, 5)));
    EXPECT_EQ(f.step(), 5);
    EXPECT_TRUE(f.take(notes_line("/no/such/lesson.toml", 1)));
    EXPECT_EQ(f.lesson(), nullptr);
    EXPECT_NE(f.error().find("/no/such/lesson.toml"), std::string::npos);
}
