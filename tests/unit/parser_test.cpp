// The scenario language's lexical rules (scenario-language.md, "Lexical rules").
#include "scenario/command.hpp"
#include "scenario/runner.hpp"

#include <gtest/gtest.h>

using namespace ringside;
using namespace ringside::scenario;

namespace {

Command ok(std::string_view line) {
    ParsedLine p = parse_line(line);
    if (auto* e = std::get_if<ParseError>(&p))
        ADD_FAILURE() << line << ": " << e->col << ": " << e->message;
    auto* c = std::get_if<Command>(&p);
    return c ? *c : Command{};
}

ParseError err(std::string_view line) {
    ParsedLine p = parse_line(line);
    auto* e = std::get_if<ParseError>(&p);
    if (!e) {
        ADD_FAILURE() << "no error for: " << line;
        return {};
    }
    return *e;
}

} // namespace

TEST(Parser, CommentsAndBlankLines) {
    EXPECT_TRUE(std::holds_alternative<std::monostate>(parse_line("")));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(parse_line("   # only a comment")));
    Command c = ok("  reset   # the rest is ignored ");
    EXPECT_EQ(c.op, Op::Reset);
    EXPECT_EQ(c.text, "reset");
}

TEST(Parser, NumbersHexAndSuffixes) {
    Command c = ok("enable DIRTY_LOG_RING args0=64K flags=0x10");
    EXPECT_EQ(c.cap, 192u);
    EXPECT_EQ(c.args0, 65536u);
    EXPECT_EQ(c.flags, 16u);
    EXPECT_EQ(ok("enable DIRTY_LOG_RING args0=1M").args0, 1048576u);
    EXPECT_EQ(ok("enable DIRTY_LOG_RING args0=0xffffffffffffffff").args0, ~0ull);
}

TEST(Parser, PageLists) {
    Command c = ok("run 0 write 0..3,7,12..13 times=2");
    ASSERT_EQ(c.program.pages.size(), 3u);
    EXPECT_EQ(c.program.pages[0].first, 0u);
    EXPECT_EQ(c.program.pages[0].last, 3u);
    EXPECT_EQ(c.program.pages[1].first, 7u);
    EXPECT_EQ(c.program.pages[2].last, 13u);
    EXPECT_EQ(c.program.times, 2u);
}

TEST(Parser, ExpectKeepsTheRestOfTheLine) {
    Command c = ok("expect 0 bits=1,5   # comment");
    EXPECT_EQ(c.op, Op::Expect);
    EXPECT_EQ(c.expect, "0 bits=1,5");
}

TEST(Parser, ErrorsPointAtTheWord) {
    EXPECT_EQ(err("frobnicate 1").col, 1);
    EXPECT_EQ(err("enable DIRTY_LOG_RING bogus=1").col, 23);
    EXPECT_EQ(err("enable NOT_A_CAP").col, 8);
    EXPECT_EQ(err("memslot 0 gfn=0x1g pages=1").col, 15);
    EXPECT_EQ(err("run 0 write 9..3").col, 13);
    EXPECT_EQ(err("memslot 70000 gfn=0 pages=1").col, 9);
    EXPECT_EQ(err("enable DIRTY_LOG_RING args0=99999999999999999999").col, 29);
    EXPECT_EQ(err("run 0 write 0..0xffffffffffffffff").col, 13);
    EXPECT_EQ(err("reset now").col, 7);
    EXPECT_EQ(err("memslot 0 gfn=1 gfn=2 pages=1").col, 17);
}

TEST(Parser, ControlBytesAreErrors) {
    EXPECT_EQ(err(std::string_view("re\0set", 6)).col, 3);
    EXPECT_EQ(err("reset \x01").col, 7);
    EXPECT_EQ(err("r\xc3\xa9set").col, 2);
}

TEST(Parser, VmValidatesTheKernel) {
    EXPECT_TRUE(ok("vm arch=arm64 kernel=6.2 page=64K").vm.page_size == 65536);
    EXPECT_FALSE(ok("vm arch=x86_64 kernel=6.1 pml=off").vm.pml);
    err("vm arch=x86_64 kernel=4.19");
    err("vm arch=loongarch kernel=6.6");
    err("vm arch=x86_64 kernel=6.1 page=16K");
    err("vm arch=arm64 kernel=6.2 pml=on");
    err("vm arch=arm64 kernel=6.2 patch=no-such-patch");
    err("vm kernel=6.2");
}

TEST(ListFormat, RunsOfThreeOrMore) {
    EXPECT_EQ(format_list({}), "-");
    EXPECT_EQ(format_list({0, 1, 2}), "0-2");
    EXPECT_EQ(format_list({1, 2}), "1,2");
    EXPECT_EQ(format_list({1, 2, 4, 6, 7, 8, 9}), "1,2,4,6-9");
}

// The integers the language and the lessons' highlights share: decimal or 0x hex, 64 bits.
TEST(ParseInteger, DecimalHexAndLimits) {
    uint64_t v = 0;
    EXPECT_EQ(ringside::scenario::parse_integer("4096", &v),
              ringside::scenario::IntegerError::None);
    EXPECT_EQ(v, 4096u);
    EXPECT_EQ(ringside::scenario::parse_integer("0xFFFFffffFFFFffff", &v),
              ringside::scenario::IntegerError::None);
    EXPECT_EQ(v, ~0ull);
    EXPECT_EQ(ringside::scenario::parse_integer("18446744073709551616", &v),
              ringside::scenario::IntegerError::TooBig);
    EXPECT_EQ(ringside::scenario::parse_integer("0x", &v),
              ringside::scenario::IntegerError::Malformed);
    EXPECT_EQ(ringside::scenario::parse_integer("12g", &v),
              ringside::scenario::IntegerError::Malformed);
    EXPECT_EQ(ringside::scenario::parse_integer("", &v),
              ringside::scenario::IntegerError::Malformed);
}
