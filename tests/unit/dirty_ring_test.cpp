// kvm_dirty_ring_reset's coalescing, checked against batches worked out by hand from
// virt/kvm/dirty_ring.c (kvm-dirty-tracking.md §8).
#include "dirty_ring.hpp"

#include <gtest/gtest.h>

using namespace ringside;

namespace {

struct Pushed {
    uint32_t slot;
    uint64_t offset;
};

std::vector<ResetBatch> reset_all(std::initializer_list<Pushed> entries,
                                  uint32_t* count = nullptr) {
    DirtyRing ring = dirty_ring_alloc(4096, 64);
    for (auto e : entries)
        dirty_ring_push(ring, e.slot, e.offset);
    for (uint32_t i = ring.reset_index; i != ring.dirty_index; ++i)
        ring.entry(i).flags = KVM_DIRTY_GFN_F_RESET; // harvested
    std::vector<ResetBatch> batches;
    const uint32_t n = dirty_ring_reset(ring, [&](const ResetBatch& b) { batches.push_back(b); });
    if (count)
        *count = n;
    return batches;
}

bool same(const ResetBatch& a, const ResetBatch& b) {
    return a.slot == b.slot && a.offset == b.offset && a.mask == b.mask;
}

} // namespace

TEST(DirtyRing, AllocComputesSoftLimit) {
    DirtyRing r = dirty_ring_alloc(65536, 64); // 4096 entries
    EXPECT_EQ(r.size, 4096u);
    EXPECT_EQ(r.soft_limit, 4032u);
    DirtyRing pml = dirty_ring_alloc(16384, 576); // 1024 entries, x86 PML reserve
    EXPECT_EQ(pml.soft_limit, 448u);
}

TEST(DirtyRing, PushPublishesAndSoftFullAtLimit) {
    DirtyRing r = dirty_ring_alloc(4096, 64); // 256 entries, soft limit 192
    for (int i = 0; i < 191; ++i)
        EXPECT_FALSE(dirty_ring_push(r, 0, i));
    EXPECT_FALSE(dirty_ring_soft_full(r));
    dirty_ring_push(r, 0, 191);
    EXPECT_TRUE(dirty_ring_soft_full(r)); // used 192 >= 192
    EXPECT_EQ(r.entry(5).flags, KVM_DIRTY_GFN_F_DIRTY);
    EXPECT_EQ(r.entry(5).offset, 5u);
}

TEST(DirtyRing, PushIntoFullRingWarnsAndOverwrites) {
    DirtyRing r = dirty_ring_alloc(4096, 64);
    for (int i = 0; i < 256; ++i)
        EXPECT_FALSE(dirty_ring_push(r, 0, i));
    EXPECT_TRUE(dirty_ring_push(r, 7, 1000)); // WARN_ON_ONCE(full)
    EXPECT_EQ(r.entry(0).slot, 7u);           // the entry at reset_index 0 is overwritten
    EXPECT_EQ(r.dirty_index, 257u);
}

TEST(DirtyRing, UsedAcrossU32WrapAround) {
    DirtyRing r = dirty_ring_alloc(4096, 64, 0xfffffffeu);
    dirty_ring_push(r, 0, 1);
    dirty_ring_push(r, 0, 2);
    dirty_ring_push(r, 0, 3);
    EXPECT_EQ(r.dirty_index, 1u);
    EXPECT_EQ(dirty_ring_used(r), 3u);
}

TEST(DirtyRingReset, ForwardOffsetsJoinOneMask) {
    // base 10; 12 → bit 2; 73 → bit 63; all one batch.
    auto b = reset_all({{0, 10}, {0, 12}, {0, 73}});
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(same(b[0], {0, 10, 1ull | 1ull << 2 | 1ull << 63}));
}

TEST(DirtyRingReset, Offset64AboveBaseStartsNewBatch) {
    auto b = reset_all({{0, 10}, {0, 74}});
    ASSERT_EQ(b.size(), 2u);
    EXPECT_TRUE(same(b[0], {0, 10, 1}));
    EXPECT_TRUE(same(b[1], {0, 74, 1}));
}

TEST(DirtyRingReset, BackwardsMovesBaseDown) {
    // base 20 mask 1; 15: delta -5 → mask (1 << 5) | 1 at base 15.
    auto b = reset_all({{0, 20}, {0, 15}});
    ASSERT_EQ(b.size(), 1u);
    EXPECT_TRUE(same(b[0], {0, 15, (1ull << 5) | 1}));
}

TEST(DirtyRingReset, BackwardsOverflowGuardFlushes) {
    // base 100 with bit 63 (offset 163); 99: shifting by 1 would drop bit 63 → flush.
    auto b = reset_all({{0, 100}, {0, 163}, {0, 99}});
    ASSERT_EQ(b.size(), 2u);
    EXPECT_TRUE(same(b[0], {0, 100, 1ull | 1ull << 63}));
    EXPECT_TRUE(same(b[1], {0, 99, 1}));
}

TEST(DirtyRingReset, OtherSlotBreaksBatch) {
    uint32_t count = 0;
    auto b = reset_all({{0, 1}, {1, 2}, {0, 3}}, &count);
    EXPECT_EQ(count, 3u);
    ASSERT_EQ(b.size(), 3u);
    EXPECT_TRUE(same(b[2], {0, 3, 1}));
}

TEST(DirtyRingReset, StopsAtUnharvestedEntry) {
    DirtyRing ring = dirty_ring_alloc(4096, 64);
    dirty_ring_push(ring, 0, 1);
    dirty_ring_push(ring, 0, 2);
    ring.entry(0).flags = KVM_DIRTY_GFN_F_RESET; // only the first was harvested
    int batches = 0;
    EXPECT_EQ(dirty_ring_reset(ring, [&](const ResetBatch&) { ++batches; }), 1u);
    EXPECT_EQ(batches, 1);
    EXPECT_EQ(ring.reset_index, 1u);
    EXPECT_EQ(ring.entry(0).flags, 0u);
    EXPECT_EQ(ring.entry(1).flags, KVM_DIRTY_GFN_F_DIRTY);
}

TEST(DirtyRingReset, NothingHarvestedMeansNoBatch) {
    DirtyRing ring = dirty_ring_alloc(4096, 64);
    int batches = 0;
    EXPECT_EQ(dirty_ring_reset(ring, [&](const ResetBatch&) { ++batches; }), 0u);
    EXPECT_EQ(batches, 0);
}
