// The app's model, headless: the page colours the guest-memory panel draws.
#include "model.hpp"

#include <gtest/gtest.h>

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
