// Time travel is exact: the state after any number of events, rebuilt from checkpoints, equals
// the state rebuilt by replaying from the very start; and a run is deterministic.
#include "scenario/timeline.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace ringside;
using namespace ringside::scenario;

namespace {

std::vector<Command> parse_all(const std::string& text) {
    std::vector<Command> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        ParsedLine p = parse_line(line);
        if (auto* c = std::get_if<Command>(&p); c && c->op != Op::Expect)
            out.push_back(*c);
        EXPECT_FALSE(std::holds_alternative<ParseError>(p)) << line;
    }
    return out;
}

// Rings, PML, faults, reset coalescing, the bitmap and KVM's own writes, in one scenario.
const char* kScenario = R"(
vm arch=x86_64 kernel=6.13
enable DIRTY_LOG_RING args0=16K
memslot 0 gfn=0 pages=300 log
memslot 1 gfn=0x1000 pages=64
vcpu 0
vcpu 1
run 0 write 0..40
run 1 write 100..140,0x1000..0x1003
harvest 0 max=20
harvest 1
reset
run 0 write 0..40 times=3
run 1 read 200..210
harvest 0
reset
kernel-write 5 vcpu=1
run 1 write 250..299,0..10 times=2
harvest 1
reset
memslot 0 gfn=0x2000 pages=300 log
run 0 write 0x2000..0x2010
)";

Timeline run_timeline(uint64_t every) {
    Timeline t(every);
    for (const Command& c : parse_all(kScenario))
        EXPECT_TRUE(std::holds_alternative<std::string>(t.execute(c))) << c.text;
    return t;
}

} // namespace

TEST(Timeline, EveryStateMatchesAFreshReplay) {
    Timeline with_checkpoints = run_timeline(16);
    Timeline replay_only = run_timeline(~0ull);
    ASSERT_GT(with_checkpoints.checkpoint_count(), 5u);
    ASSERT_EQ(replay_only.checkpoint_count(), 1u);
    ASSERT_EQ(with_checkpoints.event_count(), replay_only.event_count());
    const uint64_t n = with_checkpoints.event_count();
    ASSERT_GT(n, 300u);
    std::string previous;
    int changes = 0;
    for (uint64_t i = 0; i <= n; ++i) {
        const std::string a = state_digest(with_checkpoints.state_after(i));
        const std::string b = state_digest(replay_only.state_after(i));
        ASSERT_EQ(a, b) << "after " << i << " events";
        changes += a != previous;
        previous = a;
    }
    EXPECT_GT(changes, 200); // most events change the state
    EXPECT_EQ(state_digest(with_checkpoints.state_after(n)), state_digest(with_checkpoints.live()));
}

TEST(Timeline, StepBackAndForthIsExact) {
    Timeline t = run_timeline(32);
    const uint64_t n = t.event_count();
    for (uint64_t i : {n / 2, n / 3, n - 1, uint64_t(1), n / 2}) {
        const std::string fwd = state_digest(t.state_after(i));
        const std::string back = state_digest(t.state_after(i + 1));
        EXPECT_EQ(state_digest(t.state_after(i)), fwd);
        EXPECT_NE(fwd, back) << "event " << i << " changed nothing";
    }
}

TEST(Timeline, CommandBoundariesMatchSessionRuns) {
    Timeline t = run_timeline(64);
    Session s;
    for (size_t i = 0; i < t.command_count(); ++i) {
        s.execute(t.command(i));
        EXPECT_EQ(state_digest(t.state_after(t.end_event(i))), state_digest(s)) << i;
        EXPECT_EQ(t.command_of(t.first_event(i)), i);
    }
}

TEST(Timeline, SameInputsSameLog) {
    Timeline a = run_timeline(100);
    Timeline b = run_timeline(7);
    ASSERT_EQ(a.event_count(), b.event_count());
    const KernelConfig& cfg = a.live().kvm()->config;
    for (uint64_t i = 0; i < a.event_count(); ++i)
        ASSERT_EQ(describe(a.log()[i], cfg, a.log().reason(i)),
                  describe(b.log()[i], cfg, b.log().reason(i)));
}

TEST(Timeline, MovedTimelineKeepsRecording) {
    Timeline a;
    a = Timeline(); // the live session must report into the new owner's log
    for (const Command& c : parse_all("vm arch=x86_64 kernel=6.1\nvcpu 0"))
        a.execute(c);
    EXPECT_EQ(a.event_count(), 2u);
    Timeline b(std::move(a));
    for (const Command& c : parse_all("vcpu 1"))
        b.execute(c);
    EXPECT_EQ(b.event_count(), 3u);
}

TEST(Timeline, EachEventKnowsItsKernel) { // a later `vm` line starts another VM
    Timeline t;
    for (const Command& c :
         parse_all("vm arch=x86_64 kernel=6.1\nvcpu 0\nvm arch=arm64 kernel=6.2\nvcpu 0"))
        t.execute(c);
    ASSERT_EQ(t.event_count(), 4u);
    EXPECT_EQ(t.config_at(1)->spec.arch, Arch::X86_64);
    EXPECT_EQ(t.config_at(2)->spec.arch, Arch::Arm64);
    EXPECT_EQ(t.config_at(3)->spec.version, (Version{6, 2}));
}

TEST(Timeline, LargeScenarioIsExactAtSampledEvents) {
    // 16 vCPUs with 16 Ki-entry rings over a 64 Ki-page slot, several rounds of writes,
    // harvests and resets: tens of thousands of events and many checkpoints.
    std::string text = "vm arch=x86_64 kernel=6.14\nenable DIRTY_LOG_RING args0=256K\n"
                       "memslot 0 gfn=0 pages=0x10000 log\n";
    for (int v = 0; v < 16; ++v)
        text += "vcpu " + std::to_string(v) + "\n";
    for (int round = 0; round < 3; ++round) {
        for (int v = 0; v < 16; ++v) {
            const int first = v * 4096 + round * 512;
            text += "run " + std::to_string(v) + " write " + std::to_string(first) + ".." +
                    std::to_string(first + 700) + "\n";
        }
        for (int v = 0; v < 16; v += 2)
            text += "harvest " + std::to_string(v) + "\n";
        text += "reset\n";
    }
    Timeline fast(2048), slow(~0ull);
    for (const Command& c : parse_all(text)) {
        fast.execute(c);
        slow.execute(c);
    }
    const uint64_t n = fast.event_count();
    ASSERT_GT(n, 90000u);
    ASSERT_GT(fast.checkpoint_count(), 20u);
    for (uint64_t k = 0; k <= 40; ++k) {
        const uint64_t at = n * k / 40 - (k % 3); // also just before and inside commands
        ASSERT_EQ(state_digest(fast.state_after(at)), state_digest(slow.state_after(at)))
            << "after " << at << " events";
    }
}
