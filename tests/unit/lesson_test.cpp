// Lessons (app/lesson.hpp): the markup, the loader's FILE:LINE errors for every bad lesson in
// tests/lessons/bad/, playing a lesson step by step, and the course itself: every
// lessons/NN-name.toml loads, plays, and has the answers the engine gives.
#include "lesson.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace ringside;
using namespace ringside::app;
namespace fs = std::filesystem;

namespace {

std::string spans_text(const std::vector<Span>& spans) {
    std::string out;
    for (const Span& s : spans) {
        switch (s.kind) {
        case Span::Text:
            out += "T(" + s.text + ")";
            break;
        case Span::Bold:
            out += "B(" + s.text + ")";
            break;
        case Span::Code:
            out += "C(" + s.text + ")";
            break;
        case Span::Link:
            out += "L(" + s.text + ")";
            break;
        case Span::ParagraphBreak:
            out += "|";
            break;
        }
    }
    return out;
}

// What is wrong with a lesson file: load_lesson's error, else check_lesson's, else "".
std::string problem(const std::string& path) {
    auto loaded = load_lesson(path);
    if (auto* err = std::get_if<std::string>(&loaded))
        return *err;
    return check_lesson(std::get<Lesson>(loaded));
}

// A scratch folder, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               ("ringside-lesson-test-" +
                std::to_string(::testing::UnitTest::GetInstance()->current_test_info()->line()) +
                "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::ofstream(path / name, std::ios::binary) << text;
        return (path / name).string();
    }
};

const char* kSmallLesson = R"(title = "Small"
summary = "A ring, written and harvested."
audience = "tests"
duration = "1 min"
arch = "x86_64"
kernel = "6.1"

[[step]]
title = "Set up"
narration = "A VM with a ring."
commands = [
  "vm arch=x86_64 kernel=6.1",
  "enable DIRTY_LOG_RING args0=64K",
  "memslot 0 gfn=0x100 pages=64 log",
  "vcpu 0",
]
focus = "rings"
highlight = "vcpu 0"

[[step]]
title = "Write"
narration = "The guest writes **two** pages."
commands = ["run 0 write 0x100..0x101"]
highlight = "entry 0 1"

[step.question]
kind = "result"
prompt = "How many entries are collected?"
ask = "harvest 0"
answer = "2"
reveal = "Two."

[[step]]
title = "Reset"
narration = "And back to free."
commands = ["reset"]
highlight = "page 0x101"
)";

} // namespace

// ---- markup

TEST(Markup, Spans) {
    EXPECT_EQ(spans_text(parse_markup("plain text")), "T(plain text)");
    EXPECT_EQ(spans_text(parse_markup("a **bold** b")), "T(a )B(bold)T( b)");
    EXPECT_EQ(spans_text(parse_markup("call `KVM_RUN` now")), "T(call )C(KVM_RUN)T( now)");
    EXPECT_EQ(spans_text(parse_markup("see [[kvm_dirty_ring_push]].")),
              "T(see )L(kvm_dirty_ring_push)T(.)");
    // Code and links keep their kind inside bold; bold goes on after them.
    EXPECT_EQ(spans_text(parse_markup("**the `flags` of [[kvm_dirty_ring_push]] field**")),
              "B(the )C(flags)B( of )L(kvm_dirty_ring_push)B( field)");
    // Inside code, markup is literal.
    EXPECT_EQ(spans_text(parse_markup("`a **b** [[c]]`")), "C(a **b** [[c]])");
}

TEST(Markup, ParagraphsAndLines) {
    // Single newlines are spaces; blank lines (even with spaces) separate paragraphs; leading
    // and trailing blank lines make nothing.
    EXPECT_EQ(spans_text(parse_markup("\none\ntwo  \n\n  \nthree\n\n")), "T(one two)|T(three)");
    EXPECT_EQ(spans_text(parse_markup("**a\nb**")), "B(a b)");
    EXPECT_EQ(spans_text(parse_markup("")), "");
}

TEST(Markup, UnclosedMarkersArePlainText) {
    EXPECT_EQ(spans_text(parse_markup("2 ** 10")), "T(2 ** 10)");
    EXPECT_EQ(spans_text(parse_markup("a ` b")), "T(a ` b)");
    EXPECT_EQ(spans_text(parse_markup("a [[b")), "T(a [[b)");
    // A marker does not run across a paragraph break.
    EXPECT_EQ(spans_text(parse_markup("**a\n\nb**")), "T(**a)|T(b**)");
}

// ---- the kernel functions a link may name

TEST(KernelFunctions, FromTheEngineAndTheExtraList) {
    // From the engine's events, on several arches and versions.
    EXPECT_STREQ(kernel_function_file("kvm_dirty_ring_push"), "virt/kvm/dirty_ring.c");
    EXPECT_STREQ(kernel_function_file("kvm_get_dirty_log_protect"), "virt/kvm/kvm_main.c");
    EXPECT_STREQ(kernel_function_file("vmx_flush_pml_buffer"), "arch/x86/kvm/vmx/vmx.c");
    EXPECT_STREQ(kernel_function_file("vcpu_enter_guest"), "arch/x86/kvm/x86.c"); // < 6.2
    EXPECT_STREQ(kernel_function_file("kvm_handle_guest_abort"), "arch/arm64/kvm/mmu.c");
    EXPECT_STREQ(kernel_function_file("kvm_riscv_gstage_map"), "arch/riscv/kvm/mmu.c");
    EXPECT_STREQ(kernel_function_file("kvm_dirty_ring_reap_one"), "QEMU accel/kvm/kvm-all.c");
    // From the documented list of functions that make no event.
    EXPECT_STREQ(kernel_function_file("kvm_use_dirty_bitmap"), "virt/kvm/dirty_ring.c");
    EXPECT_STREQ(kernel_function_file("kvm_vm_ioctl_enable_cap_generic"), "virt/kvm/kvm_main.c");
    EXPECT_STREQ(kernel_function_file("kvm_dirty_ring_get_rsvd_entries"), "virt/kvm/dirty_ring.c");
    // Not functions, or unknown.
    EXPECT_EQ(kernel_function_file("Page Modification Logging, in the CPU"), nullptr);
    EXPECT_EQ(kernel_function_file("kvm_dirty_ring_pusher"), nullptr);
    EXPECT_EQ(kernel_function_file(""), nullptr);
    const auto& all = kernel_functions();
    EXPECT_GT(all.size(), 50u);
    EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
    for (const auto& [name, file] : all) {
        EXPECT_FALSE(name.empty());
        EXPECT_FALSE(file.empty()) << name;
        EXPECT_EQ(name.find(' '), std::string::npos) << name;
    }
}

// ---- highlights

TEST(Highlight, Parse) {
    auto h = parse_highlight("entry 0 3");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->kind, Highlight::Entry);
    EXPECT_EQ(h->a, 0u);
    EXPECT_EQ(h->b, 3u);
    h = parse_highlight("page 0x120");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->kind, Highlight::Page);
    EXPECT_EQ(h->a, 0x120u);
    h = parse_highlight("  cap   DIRTY_LOG_RING ");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->kind, Highlight::Cap);
    EXPECT_EQ(h->cap, "DIRTY_LOG_RING");
    for (const char* bad : {"", "vcpu", "vcpu x", "vcpu 1 2", "entry 0", "page 0x", "slot -1",
                            "ring 0", "page 0x10000000000000000"})
        EXPECT_FALSE(parse_highlight(bad)) << bad;
}

// ---- playing a lesson

TEST(LessonRun, MarksRestoreEachStep) {
    TempDir dir;
    auto loaded = load_lesson(dir.write("small.toml", kSmallLesson));
    ASSERT_TRUE(std::holds_alternative<Lesson>(loaded)) << std::get<std::string>(loaded);
    const Lesson& lesson = std::get<Lesson>(loaded);
    ASSERT_EQ(lesson.steps.size(), 3u);
    EXPECT_EQ(lesson.steps[0].focus, Focus::Rings);
    EXPECT_EQ(lesson.steps[0].commands[1].line, 13);
    EXPECT_EQ(lesson.steps[1].question->ask.text, "harvest 0");
    EXPECT_EQ(lesson.steps[1].question->kind, Question::Result);
    EXPECT_EQ(spans_text(parse_markup(lesson.steps[1].narration)), "T(The guest writes )B(two)"
                                                                   "T( pages.)");

    Model m;
    const LessonRun run = play_lesson(lesson, m);
    ASSERT_EQ(run.error, "");
    ASSERT_EQ(run.steps.size(), 3u);
    EXPECT_EQ(run.steps[0].begin, 0u);
    for (size_t i = 0; i < 3; ++i) {
        const StepMarks& s = run.steps[i];
        EXPECT_LE(s.begin, s.after_commands);
        EXPECT_LE(s.after_commands, s.after_ask);
        if (i > 0) {
            EXPECT_EQ(s.begin, run.steps[i - 1].after_ask);
        }
    }
    EXPECT_EQ(run.steps[2].after_ask, m.timeline.event_count());
    // The ask's result is known before the reveal, and the ask ran after the commands.
    EXPECT_EQ(run.steps[1].ask_result, "2");
    EXPECT_LT(run.steps[1].after_commands, run.steps[1].after_ask);
    EXPECT_EQ(run.steps[1].console_after_commands, 5u);
    EXPECT_EQ(run.steps[1].console_after_ask, 6u);
    EXPECT_EQ(m.console[5].command, "harvest 0");
    EXPECT_EQ(run.steps[0].ask_result, "");
    EXPECT_EQ(run.steps[0].after_commands, run.steps[0].after_ask);

    // Seeking to a step's marks restores its state exactly: before the reveal the two
    // entries are DIRTY, after it they are harvested; after step 3 they are free again.
    seek(m, run.steps[1].after_commands);
    const DirtyRing* ring = &*m.view.kvm()->vcpu_by_id(0)->dirty_ring;
    EXPECT_EQ(dirty_ring_used(*ring), 2u);
    EXPECT_EQ(ring->entry(1).flags, KVM_DIRTY_GFN_F_DIRTY);
    seek(m, run.steps[1].after_ask);
    ring = &*m.view.kvm()->vcpu_by_id(0)->dirty_ring;
    EXPECT_EQ(ring->entry(1).flags, KVM_DIRTY_GFN_F_RESET);
    seek(m, run.steps[2].after_commands);
    ring = &*m.view.kvm()->vcpu_by_id(0)->dirty_ring;
    EXPECT_EQ(dirty_ring_used(*ring), 0u);
    seek(m, run.steps[0].after_commands);
    EXPECT_TRUE(m.view.kvm()->vcpu_by_id(0));
    EXPECT_EQ(dirty_ring_used(*m.view.kvm()->vcpu_by_id(0)->dirty_ring), 0u);
    EXPECT_EQ(m.title, "Small");
}

TEST(LessonRun, HighlightsResolveInTheStepState) {
    Model m;
    load_scenario_text(m,
                       "vm arch=arm64 kernel=6.2\n"
                       "enable DIRTY_LOG_RING_ACQ_REL args0=64K\n"
                       "memslot 0 gfn=0x100 pages=16 log\n"
                       "vcpu 2\n",
                       "t");
    const scenario::Session& s = m.timeline.live();
    auto resolve = [&](const char* text) { return resolve_highlight(*parse_highlight(text), s); };
    EXPECT_EQ(resolve("vcpu 2"), "");
    EXPECT_EQ(resolve("vcpu 0"), "vCPU 0 does not exist");
    EXPECT_EQ(resolve("slot 0"), "");
    EXPECT_EQ(resolve("slot 1"), "memslot 1 does not exist");
    EXPECT_EQ(resolve("page 0x10f"), "");
    EXPECT_EQ(resolve("page 0x110"), "page 0x110 is in no memslot");
    EXPECT_EQ(resolve("entry 2 4095"), "");
    EXPECT_EQ(resolve("entry 2 4096"), "vCPU 2's ring has 4096 entries, so no entry 4096");
    EXPECT_EQ(resolve("cap DIRTY_LOG_RING_WITH_BITMAP"), "");
    EXPECT_EQ(resolve("cap DIRTY_RING"), "no capability is called DIRTY_RING");
    EXPECT_EQ(resolve_highlight(Highlight{}, s), "");
}

// ---- bad lessons: each file's first line states the exact error, as
// "# error: NAME.toml:LINE: error: MESSAGE" (the folder is added in front).

TEST(BadLessons, EachGivesItsStatedError) {
    const fs::path dir = fs::path(RINGSIDE_LESSON_TEST_DIR) / "bad";
    size_t n = 0;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".toml")
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const fs::path& p : files) {
        std::ifstream in(p);
        std::string first;
        std::getline(in, first);
        const std::string prefix = "# error: ";
        ASSERT_EQ(first.rfind(prefix, 0), 0u) << p << " does not state its error";
        const std::string expected = (dir / first.substr(prefix.size())).string();
        EXPECT_EQ(problem(p.string()), expected) << p;
        ++n;
    }
    EXPECT_GE(n, 15u);
}

TEST(BadLessons, TooBigAFile) {
    TempDir dir;
    std::string text = std::string(kSmallLesson) + "\n";
    while (text.size() <= LessonLimits::kFileBytes)
        text += "# padding padding padding padding padding padding padding padding padding\n";
    const std::string path = dir.write("big.toml", text);
    EXPECT_EQ(problem(path), path + ":1: error: the file is larger than 256 KiB");
}

TEST(BadLessons, TooManyCommandsInALesson) {
    // 40 steps of 25 commands and one more: 1001 commands, each valid on its own.
    TempDir dir;
    std::string text = "title = \"t\"\nsummary = \"s\"\naudience = \"a\"\nduration = \"d\"\n"
                       "arch = \"x86_64\"\nkernel = \"6.1\"\n";
    int line = 7, last_line = 0;
    for (int s = 0; s < 40; ++s) {
        text += "[[step]]\ntitle = \"s\"\nnarration = \"n\"\ncommands = [\n";
        line += 4;
        for (int c = 0; c < (s == 39 ? 26 : 25); ++c) {
            text +=
                s == 0 && c == 0 ? "\"vm arch=x86_64 kernel=6.1\",\n" : "\"check USER_MEMORY\",\n";
            last_line = line++;
        }
        text += "]\n";
        ++line;
    }
    const std::string path = dir.write("many.toml", text);
    EXPECT_EQ(problem(path), path + ":" + std::to_string(last_line) +
                                 ": error: more than 1000 commands in the lesson (asks included)");
}

TEST(BadLessons, NoFile) {
    EXPECT_EQ(problem("/nonexistent/x.toml"),
              "/nonexistent/x.toml:1: error: cannot open the lesson file");
}

// ---- the picker's folder scan

TEST(ScanLessons, BrokenLessonsDoNotStopTheOthers) {
    TempDir dir;
    dir.write("02-good.toml", kSmallLesson);
    dir.write("01-broken.toml", "title = \n");
    dir.write("notes.txt", "not a lesson");
    fs::create_directory(dir.path / "sub.toml");
    fs::create_symlink(dir.path / "02-good.toml", dir.path / "03-link.toml");
    const std::vector<LessonEntry> entries = scan_lessons(dir.path.string());
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].name, "01-broken.toml");
    EXPECT_FALSE(entries[0].lesson);
    EXPECT_EQ(entries[0].error.rfind(entries[0].path + ":1: error: ", 0), 0u) << entries[0].error;
    EXPECT_EQ(entries[1].name, "02-good.toml");
    ASSERT_TRUE(entries[1].lesson) << entries[1].error;
    EXPECT_EQ(entries[1].lesson->title, "Small");
    EXPECT_EQ(entries[2].name, "03-link.toml");
    EXPECT_FALSE(entries[2].lesson);
    EXPECT_NE(entries[2].error.find("symbolic link"), std::string::npos);
    EXPECT_TRUE(scan_lessons((dir.path / "missing").string()).empty());
}

// ---- the course: every lesson in lessons/ passes, with 5-15 steps and an NN-name.toml name

TEST(Course, EveryLessonLoadsAndChecks) {
    const std::regex name_rule("[0-9][0-9]-[a-z0-9]+(-[a-z0-9]+)*\\.toml");
    size_t n = 0;
    for (const LessonEntry& e : scan_lessons(RINGSIDE_LESSON_DIR)) {
        SCOPED_TRACE(e.path);
        ++n;
        EXPECT_TRUE(std::regex_match(e.name, name_rule))
            << e.name << " is not named NN-short-name.toml";
        ASSERT_TRUE(e.lesson) << e.error;
        EXPECT_GE(e.lesson->steps.size(), 5u);
        EXPECT_LE(e.lesson->steps.size(), 15u);
    }
    EXPECT_GE(n, 1u);
}

// lessons/README.md teaches with a template that must itself be a good lesson, and lists the
// functions a link may name: exactly kernel_functions().
TEST(Course, ReadmeTemplateAndFunctionTable) {
    const std::string readme = std::string(RINGSIDE_LESSON_DIR) + "/README.md";
    std::ifstream in(readme);
    ASSERT_TRUE(in) << readme;
    std::stringstream all;
    all << in.rdbuf();
    const std::string text = all.str();

    const size_t begin = text.find("```toml\n");
    ASSERT_NE(begin, std::string::npos);
    const size_t end = text.find("```", begin + 8);
    TempDir dir;
    const std::string path = dir.write("template.toml", text.substr(begin + 8, end - begin - 8));
    EXPECT_EQ(problem(path), "");

    std::vector<std::pair<std::string, std::string>> listed;
    const std::regex row("\\| `([A-Za-z0-9_]+)` \\| (.+) \\|");
    std::istringstream lines(text.substr(text.find("<!-- kernel functions: begin -->")));
    for (std::string line; std::getline(lines, line) && line != "<!-- kernel functions: end -->";)
        if (std::smatch m; std::regex_match(line, m, row))
            listed.emplace_back(m[1], m[2]);
    EXPECT_EQ(listed, kernel_functions());
}

// Lesson 1 asks at least one question of each kind, and says what the engine says.
TEST(Course, LessonOneAsksBothKinds) {
    auto loaded = load_lesson(std::string(RINGSIDE_LESSON_DIR) + "/01-why-track-dirty-pages.toml");
    ASSERT_TRUE(std::holds_alternative<Lesson>(loaded)) << std::get<std::string>(loaded);
    const Lesson& lesson = std::get<Lesson>(loaded);
    bool choice = false, result = false;
    for (const LessonStep& s : lesson.steps)
        if (s.question) {
            choice |= s.question->kind == Question::Choice;
            result |= s.question->kind == Question::Result;
        }
    EXPECT_TRUE(choice);
    EXPECT_TRUE(result);
}
