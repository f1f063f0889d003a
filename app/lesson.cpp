// Lessons: reading a TOML lesson, checking it on its own, then playing it into the engine
// (lesson.hpp, lessons/README.md).
#include "lesson.hpp"

#include "kvm.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace ringside::app {

// ---- markup

namespace {

// What the scanner found wrong in a piece of markup: the message, and a piece of the text to
// find its line by in the file.
struct MarkupProblem {
    std::string message;
    std::string needle;
};

bool is_blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == line.npos;
}

std::string_view trim(std::string_view s) {
    const size_t b = s.find_first_not_of(" \t\r");
    if (b == s.npos)
        return {};
    const size_t e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

// The text's paragraphs, each with its lines joined by single spaces.
std::vector<std::string> paragraphs(std::string_view text) {
    std::vector<std::string> out;
    std::string cur;
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t nl = std::min(text.find('\n', pos), text.size());
        const std::string_view line = text.substr(pos, nl - pos);
        if (is_blank(line)) {
            if (!cur.empty())
                out.push_back(std::move(cur));
            cur.clear();
        } else {
            if (!cur.empty())
                cur += ' ';
            cur += trim(line);
        }
        pos = nl + 1;
    }
    if (!cur.empty())
        out.push_back(std::move(cur));
    return out;
}

void add_span(std::vector<Span>& out, Span::Kind kind, std::string_view text) {
    if (text.empty() && kind != Span::ParagraphBreak)
        return;
    if (!out.empty() && out.back().kind == kind && (kind == Span::Text || kind == Span::Bold))
        out.back().text += text;
    else
        out.push_back({kind, std::string(text)});
}

bool is_name_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

// The marker at i and what follows it up to a space: a piece of one line of the file, to find
// the line by.
std::string needle_at(std::string_view p, size_t i) {
    const size_t space = p.find(' ', i);
    return std::string(
        p.substr(i, std::min<size_t>(space == p.npos ? p.size() - i : space - i, 40)));
}

// One paragraph: ** toggles bold (when a closing ** follows), `code` and [[link]] are spans of
// their own, also inside bold.
void scan_paragraph(std::string_view p, std::vector<Span>& out,
                    std::vector<MarkupProblem>& problems) {
    bool bold = false;
    size_t i = 0, text_start = 0;
    auto flush = [&](size_t end) {
        add_span(out, bold ? Span::Bold : Span::Text, p.substr(text_start, end - text_start));
    };
    while (i < p.size()) {
        if (p.compare(i, 2, "**") == 0) {
            if (bold || p.find("**", i + 2) != p.npos) {
                flush(i);
                bold = !bold;
                i += 2;
                text_start = i;
                continue;
            }
            problems.push_back({"unclosed ** (bold)", needle_at(p, i)});
            i += 2;
            continue;
        }
        if (p[i] == '`') {
            const size_t close = p.find('`', i + 1);
            if (close == p.npos) {
                problems.push_back({"unclosed ` (code)", needle_at(p, i)});
                ++i;
                continue;
            }
            flush(i);
            add_span(out, Span::Code, p.substr(i + 1, close - i - 1));
            i = close + 1;
            text_start = i;
            continue;
        }
        if (p.compare(i, 2, "[[") == 0) {
            const size_t close = p.find("]]", i + 2);
            if (close == p.npos) {
                problems.push_back({"unclosed [[ (a link to a kernel function)", needle_at(p, i)});
                i += 2;
                continue;
            }
            const std::string_view name = p.substr(i + 2, close - i - 2);
            if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char))
                problems.push_back(
                    {"[[" + std::string(name) + "]] is not a function name (letters, digits and _)",
                     "[[" + std::string(name) + "]]"});
            flush(i);
            add_span(out, Span::Link, name);
            i = close + 2;
            text_start = i;
            continue;
        }
        ++i;
    }
    flush(p.size());
}

std::vector<Span> scan_markup(std::string_view text, std::vector<MarkupProblem>& problems) {
    std::vector<Span> out;
    for (const std::string& p : paragraphs(text)) {
        if (!out.empty())
            add_span(out, Span::ParagraphBreak, {});
        scan_paragraph(p, out, problems);
    }
    return out;
}

} // namespace

std::vector<Span> parse_markup(std::string_view text) {
    std::vector<MarkupProblem> ignored;
    return scan_markup(text, ignored);
}

// ---- the kernel functions a link may name

namespace {

// Functions a lesson may name that no event of the engine mirrors, each with its file. Checked
// against the sources cited in the spec (kernel 6.1-6.18, QEMU's accel/kvm/kvm-all.c, the
// selftest); where a function exists per arch, the file given is the one a lesson is about.
constexpr std::pair<const char*, const char*> kExtraFunctions[] = {
    // virt/kvm/dirty_ring.c: the ring's small steps
    {"kvm_cpu_dirty_log_size", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_get_rsvd_entries", "virt/kvm/dirty_ring.c"},
    {"kvm_use_dirty_bitmap", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_used", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_soft_full", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_full", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_alloc", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_gfn_set_invalid", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_gfn_set_dirtied", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_gfn_harvested", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_check_request", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_get_page", "virt/kvm/dirty_ring.c"},
    {"kvm_dirty_ring_free", "virt/kvm/dirty_ring.c"},
    // virt/kvm/kvm_main.c: the ioctls' inner steps
    {"kvm_vm_ioctl_enable_cap_generic", "virt/kvm/kvm_main.c"},
    {"kvm_vm_ioctl_enable_dirty_log_ring", "virt/kvm/kvm_main.c"},
    {"kvm_vm_ioctl_check_extension_generic", "virt/kvm/kvm_main.c"},
    {"kvm_alloc_dirty_bitmap", "virt/kvm/kvm_main.c"},
    {"kvm_vm_ioctl_get_dirty_log", "virt/kvm/kvm_main.c"},
    {"kvm_vm_ioctl_clear_dirty_log", "virt/kvm/kvm_main.c"},
    {"mark_page_dirty", "virt/kvm/kvm_main.c"},
    {"kvm_vcpu_mark_page_dirty", "virt/kvm/kvm_main.c"},
    {"kvm_write_guest", "virt/kvm/kvm_main.c"},
    {"kvm_get_running_vcpu", "virt/kvm/kvm_main.c"},
    {"kvm_set_memslot", "virt/kvm/kvm_main.c"},
    {"kvm_prepare_memory_region", "virt/kvm/kvm_main.c"},
    // include/linux/kvm_host.h
    {"kvm_dirty_log_manual_protect_and_init_set", "include/linux/kvm_host.h"},
    {"kvm_dirty_bitmap_bytes", "include/linux/kvm_host.h"},
    // the barriers the ring's handshake is made of (generic definitions; each arch maps them)
    {"smp_wmb", "include/asm-generic/barrier.h"},
    {"smp_load_acquire", "include/asm-generic/barrier.h"},
    {"smp_store_release", "include/asm-generic/barrier.h"},
    // arch code
    {"kvm_arch_allow_write_without_running_vcpu", "arch/arm64/kvm/vgic/vgic-its.c"},
    {"kvm_arch_mmu_enable_log_dirty_pt_masked", "arch/x86/kvm/mmu/mmu.c"},
    // QEMU (consumers.md A)
    {"kvm_dirty_ring_init", "QEMU accel/kvm/kvm-all.c"},
    {"kvm_dirty_ring_reap", "QEMU accel/kvm/kvm-all.c"},
    {"kvm_dirty_ring_reap_locked", "QEMU accel/kvm/kvm-all.c"},
    {"kvm_dirty_ring_reaper_thread", "QEMU accel/kvm/kvm-all.c"},
    {"kvm_dirty_ring_flush", "QEMU accel/kvm/kvm-all.c"},
    {"kvm_log_sync_global", "QEMU accel/kvm/kvm-all.c"},
    {"kvm_slot_get_dirty_log", "QEMU accel/kvm/kvm-all.c"},
    {"kvm_cpu_exec", "QEMU accel/kvm/kvm-all.c"},
    {"dirty_gfn_is_dirtied", "QEMU accel/kvm/kvm-all.c"},
    {"dirty_gfn_set_collected", "QEMU accel/kvm/kvm-all.c"},
    {"migration_bitmap_sync", "QEMU migration/ram.c"},
    {"dirtylimit_vcpu_execute", "QEMU system/dirtylimit.c"},
    // the kernel selftest (consumers.md B)
    {"dirty_ring_collect_one", "tools/testing/selftests/kvm/dirty_log_test.c"},
    {"dirty_ring_collect_dirty_pages", "tools/testing/selftests/kvm/dirty_log_test.c"},
    {"vm_dirty_log_verify", "tools/testing/selftests/kvm/dirty_log_test.c"},
    {"vm_enable_dirty_ring", "tools/testing/selftests/kvm/lib/kvm_util.c"},
};

// Every function kernel_site() names, on every arch and version KVM exists on. A site that is
// not a function ("Page Modification Logging, in the CPU") is left out; a userspace one
// ("userspace: kvm_dirty_ring_reap_one") keeps its name.
std::map<std::string, std::string> collect_kernel_functions() {
    std::map<std::string, std::string> out;
    auto add = [&](std::string_view name, std::string_view file) {
        if (name.substr(0, 11) == "userspace: ")
            name.remove_prefix(11);
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char))
            return;
        out.emplace(std::string(name), std::string(file));
    };
    for (Arch arch : {Arch::X86_64, Arch::Arm64, Arch::LoongArch, Arch::RiscV})
        for (int major = kOldestVersion.major; major <= kNewestVersion.major; ++major)
            for (int minor = 0; minor < 100; ++minor) {
                VmSpec spec;
                spec.arch = arch;
                spec.version = Version{major, minor};
                spec.page_size = arch == Arch::LoongArch ? 16384 : 4096;
                spec.pml = arch == Arch::X86_64;
                if (!version_exists(spec.version))
                    continue;
                const ConfigOrError c = make_kernel_config(spec);
                if (!c.config)
                    continue;
                for (int k = 0; k <= int(EventKind::TlbFlush); ++k) {
                    Event e;
                    e.kind = EventKind(k);
                    if (e.kind != EventKind::Ioctl) {
                        const KernelSite s = kernel_site(e, *c.config);
                        add(s.function, s.file);
                        continue;
                    }
                    for (int id = 0; id <= int(IoctlId::ClearDirtyLog); ++id) {
                        e.aux = uint8_t(id);
                        const KernelSite s = kernel_site(e, *c.config);
                        add(s.function, s.file);
                    }
                }
            }
    for (auto [name, file] : kExtraFunctions)
        add(name, file);
    return out;
}

const std::map<std::string, std::string, std::less<>>& function_map() {
    static const std::map<std::string, std::string, std::less<>> m = [] {
        std::map<std::string, std::string> plain = collect_kernel_functions();
        return std::map<std::string, std::string, std::less<>>(plain.begin(), plain.end());
    }();
    return m;
}

} // namespace

const char* kernel_function_file(std::string_view name) {
    const auto& m = function_map();
    const auto it = m.find(name);
    return it == m.end() ? nullptr : it->second.c_str();
}

const std::vector<std::pair<std::string, std::string>>& kernel_functions() {
    static const std::vector<std::pair<std::string, std::string>> list(function_map().begin(),
                                                                       function_map().end());
    return list;
}

// ---- focus and highlight

namespace {

constexpr std::pair<Focus, const char*> kFocusNames[] = {
    {Focus::Console, "console"},
    {Focus::Vcpus, "vcpus"},
    {Focus::Memory, "memory"},
    {Focus::Rings, "rings"},
    {Focus::Capabilities, "capabilities"},
    {Focus::Bitmaps, "bitmaps"},
    {Focus::Timeline, "timeline"},
    {Focus::Ordering, "ordering"},
    {Focus::Migration, "migration"},
};

// A highlight's number: the scenario language's integers, at most 16 digits.
std::optional<uint64_t> parse_u64(std::string_view s) {
    const size_t digits =
        s.size() - (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 2 : 0);
    uint64_t v = 0;
    if (digits > 16 || scenario::parse_integer(s, &v) != scenario::IntegerError::None)
        return std::nullopt;
    return v;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
            ++i;
        const size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t')
            ++i;
        if (i > start)
            out.push_back(s.substr(start, i - start));
    }
    return out;
}

bool known_cap(std::string_view name) {
    for (auto [n, num] : capability_table())
        if (n == name)
            return true;
    return false;
}

} // namespace

const char* focus_name(Focus f) {
    for (auto [focus, name] : kFocusNames)
        if (focus == f)
            return name;
    return "";
}

std::optional<Highlight> parse_highlight(std::string_view text) {
    const std::vector<std::string_view> w = words(text);
    Highlight h;
    if (w.size() == 2 && w[0] == "cap") {
        h.kind = Highlight::Cap;
        h.cap = std::string(w[1]);
        return h;
    }
    if (w.size() == 3 && w[0] == "entry") {
        const auto v = parse_u64(w[1]), i = parse_u64(w[2]);
        if (!v || !i)
            return std::nullopt;
        h.kind = Highlight::Entry;
        h.a = *v;
        h.b = *i;
        return h;
    }
    if (w.size() != 2)
        return std::nullopt;
    const auto n = parse_u64(w[1]);
    if (!n)
        return std::nullopt;
    h.a = *n;
    if (w[0] == "vcpu")
        h.kind = Highlight::Vcpu;
    else if (w[0] == "slot")
        h.kind = Highlight::Slot;
    else if (w[0] == "page")
        h.kind = Highlight::Page;
    else
        return std::nullopt;
    return h;
}

std::string resolve_highlight(const Highlight& h, const scenario::Session& state) {
    if (h.kind == Highlight::None)
        return "";
    if (h.kind == Highlight::Cap)
        return known_cap(h.cap) ? "" : "no capability is called " + h.cap;
    const Kvm* kvm = state.kvm();
    if (!kvm)
        return "there is no VM yet";
    switch (h.kind) {
    case Highlight::Vcpu:
        return h.a <= ~0u && kvm->vcpu_by_id(uint32_t(h.a))
                   ? ""
                   : "vCPU " + std::to_string(h.a) + " does not exist";
    case Highlight::Slot:
        return !kvm->memslots.empty() && h.a <= 0xffff && kvm->memslots[0].count(uint16_t(h.a))
                   ? ""
                   : "memslot " + std::to_string(h.a) + " does not exist";
    case Highlight::Page: {
        for (const Memslots& as : kvm->memslots)
            for (const auto& [id, slot] : as)
                if (slot.contains(h.a))
                    return "";
        std::ostringstream s;
        s << "page 0x" << std::hex << h.a << " is in no memslot";
        return s.str();
    }
    case Highlight::Entry: {
        const Vcpu* v = h.a <= ~0u ? kvm->vcpu_by_id(uint32_t(h.a)) : nullptr;
        if (!v)
            return "vCPU " + std::to_string(h.a) + " does not exist";
        if (!v->dirty_ring)
            return "vCPU " + std::to_string(h.a) + " has no dirty ring";
        if (h.b >= v->dirty_ring->size)
            return "vCPU " + std::to_string(h.a) + "'s ring has " +
                   std::to_string(v->dirty_ring->size) + " entries, so no entry " +
                   std::to_string(h.b);
        return "";
    }
    default:
        return "";
    }
}

// ---- reading a lesson

namespace {

size_t utf8_chars(std::string_view s) {
    return size_t(std::count_if(s.begin(), s.end(), [](char ch) {
        return (static_cast<unsigned char>(ch) & 0xc0) != 0x80;
    }));
}

int line_of(const toml::node& n) {
    return int(n.source().begin.line);
}

int line_of(const toml::key& k) {
    return int(k.source().begin.line);
}

// Reads one file into a Lesson, collecting every problem with its line; the earliest wins.
class Reader {
  public:
    Reader(const std::string& path, std::string text) : path_(path), text_(std::move(text)) {
        size_t pos = 0;
        while (pos <= text_.size()) {
            const size_t nl = std::min(text_.find('\n', pos), text_.size());
            lines_.push_back(std::string_view(text_).substr(pos, nl - pos));
            pos = nl + 1;
        }
    }

    std::variant<Lesson, std::string> read();

  private:
    void error(int line, std::string message) { errors_.push_back({line, std::move(message)}); }
    void check_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                    const std::string& where);
    // A string value: nullopt (and an error) when missing, of the wrong type or too long.
    std::optional<std::string> string_at(const toml::table& t, std::string_view key,
                                         int missing_line, const std::string& where, bool required,
                                         size_t max_chars);
    void check_markup(const toml::table& t, std::string_view key, const std::string& text);
    // One scenario-language line of the lesson; nullopt (and an error) when it cannot be one.
    std::optional<scenario::Command> command(const toml::node& n, const std::string& what,
                                             LessonCommand& out);
    void read_step(const toml::table& t, size_t index, LessonStep& step);
    void read_question(const toml::table& t, const std::string& where, Question& q);
    void read_compare(const toml::table& t, const std::string& where, LessonStep& step);
    void check_start(const Lesson& lesson);

    std::string path_;
    std::string text_;
    std::vector<std::string_view> lines_;
    std::vector<std::pair<int, std::string>> errors_;
    std::optional<scenario::Command> first_vm_; // the first command of step 1, parsed
    bool first_commands_bad_ = false;           // step 1's commands are not an array
    size_t commands_ = 0;                       // in the whole lesson, asks included
    uint64_t pages_named_ = 0;
};

void Reader::check_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                        const std::string& where) {
    for (const auto& [k, v] : t)
        if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
            std::string list;
            for (std::string_view a : allowed)
                list += (list.empty() ? "" : ", ") + std::string(a);
            error(line_of(k), "unknown key '" + std::string(k.str()) + "' " + where +
                                  " (known keys: " + list + ")");
        }
}

std::optional<std::string> Reader::string_at(const toml::table& t, std::string_view key,
                                             int missing_line, const std::string& where,
                                             bool required, size_t max_chars) {
    const toml::node* n = t.get(key);
    if (!n) {
        if (required)
            error(missing_line, "missing '" + std::string(key) + "' " + where);
        return std::nullopt;
    }
    const toml::value<std::string>* s = n->as_string();
    if (!s) {
        error(line_of(*n), "'" + std::string(key) + "' must be a string");
        return std::nullopt;
    }
    const std::string& v = s->get();
    if (required && trim(v).empty()) {
        error(line_of(*n), "'" + std::string(key) + "' is empty");
        return std::nullopt;
    }
    if (utf8_chars(v) > max_chars) {
        error(line_of(*n), "'" + std::string(key) + "' has " + std::to_string(utf8_chars(v)) +
                               " characters; at most " + std::to_string(max_chars) +
                               " are allowed");
        return std::nullopt;
    }
    return v;
}

void Reader::check_markup(const toml::table& t, std::string_view key, const std::string& text) {
    const toml::node* n = t.get(key);
    std::vector<MarkupProblem> problems;
    const std::vector<Span> spans = scan_markup(text, problems);
    for (const Span& s : spans)
        if (s.kind == Span::Link && !s.text.empty() &&
            std::all_of(s.text.begin(), s.text.end(), is_name_char) &&
            !kernel_function_file(s.text))
            problems.push_back({"[[" + s.text +
                                    "]] is not a kernel function Ringside knows (see "
                                    "lessons/README.md for the list)",
                                "[[" + s.text + "]]"});
    // Each problem on the line of the file that holds it (a multi-line string spans several).
    const int first = line_of(*n);
    const int last = std::max(first, int(n->source().end.line));
    for (const MarkupProblem& p : problems) {
        int line = first;
        for (int l = first; l <= last && l <= int(lines_.size()); ++l)
            if (lines_[size_t(l - 1)].find(p.needle) != std::string_view::npos) {
                line = l;
                break;
            }
        error(line, "in '" + std::string(key) + "': " + p.message);
    }
}

std::optional<scenario::Command> Reader::command(const toml::node& n, const std::string& what,
                                                 LessonCommand& out) {
    const int line = line_of(n);
    const toml::value<std::string>* s = n.as_string();
    if (!s) {
        error(line, what + " must be a string");
        return std::nullopt;
    }
    out.text = s->get();
    out.line = line;
    if (++commands_ == LessonLimits::kCommands + 1)
        error(line, "more than " + std::to_string(LessonLimits::kCommands) +
                        " commands in the lesson (asks included)");
    if (out.text.size() > LessonLimits::kCommandChars) {
        error(line, what + " is longer than " + std::to_string(LessonLimits::kCommandChars) +
                        " characters");
        return std::nullopt;
    }
    if (out.text.find('\n') != std::string::npos) {
        error(line, what + " holds a line break: write one command a string");
        return std::nullopt;
    }
    const scenario::ParsedLine p = scenario::parse_line(out.text);
    if (const auto* e = std::get_if<scenario::ParseError>(&p)) {
        error(line, "bad command '" + out.text + "': column " + std::to_string(e->col) + ": " +
                        e->message);
        return std::nullopt;
    }
    const auto* c = std::get_if<scenario::Command>(&p);
    if (!c) {
        error(line, what + " is empty");
        return std::nullopt;
    }
    if (c->op == scenario::Op::Expect) {
        error(line, "'expect' has no place in a lesson: ask a question, and its answer is checked");
        return std::nullopt;
    }
    // The work a lesson may ask of the engine, so that no lesson can exhaust memory.
    uint64_t named = 0;
    if (c->op == scenario::Op::Run || c->op == scenario::Op::HostWrite ||
        c->op == scenario::Op::KernelWrite)
        for (const PageRange& r : c->program.pages)
            named += std::min<uint64_t>(r.count(), LessonLimits::kPagesNamed + 1);
    if (c->op == scenario::Op::ClearLog && c->bits)
        for (const PageRange& r : *c->bits)
            named += std::min<uint64_t>(r.count(), LessonLimits::kPagesNamed + 1);
    if (named > LessonLimits::kPagesNamed - std::min(pages_named_, LessonLimits::kPagesNamed)) {
        error(line, "the lesson's commands name more than " +
                        std::to_string(LessonLimits::kPagesNamed) + " pages in all");
        pages_named_ = LessonLimits::kPagesNamed + 1;
    } else {
        pages_named_ += named;
    }
    if (c->op == scenario::Op::Memslot && c->pages > LessonLimits::kSlotPages)
        error(line, "a lesson's memslot holds at most " + std::to_string(LessonLimits::kSlotPages) +
                        " pages");
    return *c;
}

void Reader::read_question(const toml::table& t, const std::string& where, Question& q) {
    check_keys(t, {"kind", "prompt", "ask", "choices", "answer", "reveal"}, "in " + where);
    q.line = line_of(t);
    const std::optional<std::string> kind =
        string_at(t, "kind", q.line, "in " + where, true, LessonLimits::kShortChars);
    if (kind && *kind == "result")
        q.kind = Question::Result;
    else if (kind && *kind != "choice")
        error(line_of(*t.get("kind")),
              "kind must be \"choice\" or \"result\", not \"" + *kind + "\"");
    if (auto s = string_at(t, "prompt", q.line, "in " + where, true, LessonLimits::kShortChars)) {
        q.prompt = *s;
        check_markup(t, "prompt", q.prompt);
    }
    if (const toml::node* ask = t.get("ask"))
        command(*ask, "'ask'", q.ask);
    else
        error(q.line,
              "missing 'ask' in " + where + ": the command whose result the question is about");
    if (const toml::node* n = t.get("choices")) {
        const toml::array* a = n->as_array();
        if (!a) {
            error(line_of(*n), "'choices' must be an array of strings");
        } else if (a->size() < 2 || a->size() > LessonLimits::kChoices) {
            error(line_of(*n),
                  "'choices' needs 2 to " + std::to_string(LessonLimits::kChoices) + " entries");
        } else {
            for (const toml::node& c : *a) {
                const toml::value<std::string>* s = c.as_string();
                if (!s) {
                    error(line_of(c), "each of 'choices' must be a string");
                    continue;
                }
                if (utf8_chars(s->get()) > LessonLimits::kShortChars)
                    error(line_of(c), "a choice is longer than " +
                                          std::to_string(LessonLimits::kShortChars) +
                                          " characters");
                if (std::find(q.choices.begin(), q.choices.end(), s->get()) != q.choices.end())
                    error(line_of(c), "choice \"" + s->get() + "\" is listed twice");
                q.choices.push_back(s->get());
            }
        }
    } else if (kind && *kind == "choice") {
        error(q.line, "missing 'choices' in " + where + " (kind = \"choice\")");
    }
    if (const toml::node* n = t.get("answer"))
        q.answer_line = line_of(*n);
    if (auto s = string_at(t, "answer", q.line, "in " + where, false, LessonLimits::kShortChars)) {
        q.answer = *s;
        if (!q.choices.empty() &&
            std::find(q.choices.begin(), q.choices.end(), q.answer) == q.choices.end())
            error(q.answer_line, "answer \"" + q.answer + "\" is not one of the choices");
    } else if (!t.get("answer")) {
        error(q.line, "missing 'answer' in " + where);
    }
    if (auto s =
            string_at(t, "reveal", q.line, "in " + where, true, LessonLimits::kNarrationChars)) {
        q.reveal = *s;
        check_markup(t, "reveal", q.reveal);
    }
}

void Reader::read_step(const toml::table& t, size_t index, LessonStep& step) {
    const std::string where = "in step " + std::to_string(index + 1);
    step.line = line_of(t);
    check_keys(t,
               {"title", "narration", "commands", "focus", "highlight", "notes", "question",
                "ordering", "compare"},
               where);
    if (auto s = string_at(t, "ordering", step.line, where, false, LessonLimits::kShortChars)) {
        OrderingState o;
        if (parse_ordering(*s, &o))
            step.ordering = o;
        else
            error(line_of(*t.get("ordering")),
                  "ordering \"" + *s +
                      "\" is not a memory-order program: publish, reset, mp, sb, sb-mb or lb, "
                      "then any of ,x86 ,acqrel ,no-wmb ,bad");
    }
    if (auto s = string_at(t, "title", step.line, where, true, LessonLimits::kShortChars))
        step.title = *s;
    if (auto s = string_at(t, "narration", step.line, where, true, LessonLimits::kNarrationChars)) {
        step.narration = *s;
        check_markup(t, "narration", step.narration);
    }
    if (auto s = string_at(t, "notes", step.line, where, false, LessonLimits::kNarrationChars)) {
        step.notes = *s;
        check_markup(t, "notes", step.notes);
    }
    if (const toml::node* n = t.get("commands")) {
        const toml::array* a = n->as_array();
        if (!a) {
            error(line_of(*n), "'commands' must be an array of strings");
            if (index == 0)
                first_commands_bad_ = true;
        } else {
            for (const toml::node& c : *a) {
                if (step.commands.size() == LessonLimits::kCommandsPerStep) {
                    error(line_of(c), "more than " +
                                          std::to_string(LessonLimits::kCommandsPerStep) +
                                          " commands in one step");
                    break;
                }
                LessonCommand lc;
                const std::optional<scenario::Command> parsed = command(c, "a command", lc);
                if (index == 0 && step.commands.empty() && parsed)
                    first_vm_ = parsed;
                step.commands.push_back(std::move(lc));
            }
        }
    }
    if (auto s = string_at(t, "focus", step.line, where, false, LessonLimits::kShortChars)) {
        bool found = false;
        for (auto [focus, name] : kFocusNames)
            if (*s == name) {
                step.focus = focus;
                found = true;
            }
        if (!found)
            error(line_of(*t.get("focus")),
                  "focus \"" + *s +
                      "\" is not a panel (console, vcpus, memory, rings, capabilities, bitmaps, "
                      "timeline, ordering, migration)");
    }
    if (auto s = string_at(t, "highlight", step.line, where, false, LessonLimits::kShortChars)) {
        step.highlight_line = line_of(*t.get("highlight"));
        if (auto h = parse_highlight(*s)) {
            step.highlight = *h;
            if (h->kind == Highlight::Cap && !known_cap(h->cap))
                error(step.highlight_line, "highlight: no capability is called " + h->cap);
        } else {
            error(step.highlight_line,
                  "highlight \"" + *s +
                      "\" is not one of: vcpu N, slot N, page 0xGFN, entry VCPU INDEX, cap NAME");
        }
    }
    if (const toml::node* n = t.get("compare")) {
        if (const toml::table* c = n->as_table())
            read_compare(*c, "the comparison of step " + std::to_string(index + 1), step);
        else
            error(line_of(*n), "'compare' must be a table ([step.compare])");
    }
    if (const toml::node* n = t.get("question")) {
        if (const toml::table* q = n->as_table()) {
            step.question.emplace();
            read_question(*q, "the question of step " + std::to_string(index + 1), *step.question);
        } else {
            error(line_of(*n), "'question' must be a table ([step.question])");
        }
    }
}

// The migration view's comparison: each setting in the words of --compare and the scenario
// language (migration_view.hpp), every one checked before the lesson can reach a classroom.
void Reader::read_compare(const toml::table& t, const std::string& where, LessonStep& step) {
    check_keys(t, {"arch", "kernel", "memory", "vcpus", "ring", "workload", "migrate"},
               "in " + where);
    migrate::GuestSetup g;
    bool ok = true;
    int last_line = line_of(t);
    for (const char* key : kCompareKeys) {
        const toml::node* n = t.get(key);
        if (!n)
            continue;
        const int line = line_of(*n);
        last_line = std::max(last_line, line);
        std::string value;
        if (const auto* s = n->as_string())
            value = s->get();
        else if (const auto* i = n->as_integer(); i && i->get() >= 0)
            value = std::to_string(i->get());
        else {
            error(line,
                  "'" + std::string(key) + "' in " + where + " must be a string" +
                      (std::string(key) == "vcpus" || std::string(key) == "ring" ? " or a number"
                                                                                 : ""));
            ok = false;
            continue;
        }
        if (utf8_chars(value) > LessonLimits::kCommandChars) {
            error(line, "'" + std::string(key) + "' is longer than " +
                            std::to_string(LessonLimits::kCommandChars) + " characters");
            ok = false;
            continue;
        }
        const std::string problem = compare_setting(key, value, &g);
        if (!problem.empty()) {
            error(line, "in " + where + ": " + problem);
            ok = false;
        }
    }
    if (!ok)
        return;
    if (const std::string problem = check_setup(g); !problem.empty()) {
        // On the line of the setting that makes it so: the VM's (kernel, else arch), or the
        // migrate line's.
        migrate::GuestSetup vm_only = g;
        vm_only.config = migrate::MigrationConfig();
        const toml::node* at = !check_setup(vm_only).empty()
                                   ? (t.get("kernel") ? t.get("kernel") : t.get("arch"))
                                   : t.get("migrate");
        error(at ? line_of(*at) : last_line, "in " + where + ": " + problem);
        return;
    }
    step.compare = g;
}

// The first step starts the VM the lesson says it starts on.
void Reader::check_start(const Lesson& lesson) {
    if (lesson.steps.empty() || lesson.arch.empty() || lesson.kernel.empty())
        return;
    const LessonStep& first = lesson.steps[0];
    const std::string want = "vm arch=" + lesson.arch + " kernel=" + lesson.kernel;
    if (first.commands.empty() && !first_commands_bad_) {
        error(first.line, "the first step's commands must start with `" + want + "`");
        return;
    }
    if (!first_vm_)
        return; // its own error is reported
    if (first_vm_->op != scenario::Op::Vm) {
        error(first.commands[0].line, "the first step's commands must start with `" + want +
                                          "`, not `" + first.commands[0].text + "`");
        return;
    }
    if (arch_name(first_vm_->vm.arch) != lesson.arch ||
        version_name(first_vm_->vm.version) != lesson.kernel)
        error(first.commands[0].line, "the lesson says it starts on " + lesson.arch + " " +
                                          lesson.kernel + ", but its first command makes a VM of " +
                                          std::string(arch_name(first_vm_->vm.arch)) + " " +
                                          version_name(first_vm_->vm.version));
}

std::variant<Lesson, std::string> Reader::read() {
    Lesson lesson;
    lesson.path = path_;
    toml::table root;
    try {
        root = toml::parse(text_, path_);
    } catch (const toml::parse_error& e) {
        return path_ + ":" + std::to_string(e.source().begin.line) +
               ": error: " + std::string(e.description());
    }
    check_keys(root, {"title", "summary", "audience", "duration", "arch", "kernel", "step"},
               "at the top of the lesson");
    const std::string top = "at the top of the lesson";
    auto text = [&](std::string_view key, std::string& out) {
        if (auto s = string_at(root, key, 1, top, true, LessonLimits::kShortChars))
            out = *s;
    };
    text("title", lesson.title);
    text("summary", lesson.summary);
    text("audience", lesson.audience);
    text("duration", lesson.duration);
    text("arch", lesson.arch);
    text("kernel", lesson.kernel);
    if (!lesson.arch.empty() && !lesson.kernel.empty()) {
        const scenario::ParsedLine p =
            scenario::parse_line("vm arch=" + lesson.arch + " kernel=" + lesson.kernel);
        const auto* c = std::get_if<scenario::Command>(&p);
        const ConfigOrError config = c ? make_kernel_config(c->vm) : ConfigOrError{};
        if (!parse_arch(lesson.arch)) {
            error(line_of(*root.get("arch")),
                  "arch \"" + lesson.arch + "\" is not x86_64, arm64, loongarch or riscv");
            lesson.arch.clear();
        } else if (!c || version_name(c->vm.version) != lesson.kernel ||
                   !version_exists(c->vm.version) || !config.config) {
            error(line_of(*root.get("kernel")),
                  "kernel \"" + lesson.kernel + "\" is not a release Ringside models on " +
                      lesson.arch +
                      (config.error.empty() ? " (5.10 to " + version_name(kNewestVersion) + ")"
                                            : ": " + config.error));
            lesson.kernel.clear();
        }
    }

    const toml::node* steps = root.get("step");
    const toml::array* a = steps ? steps->as_array() : nullptr;
    if (!steps)
        error(1, "a lesson needs at least one [[step]]");
    else if (!a || !a->is_array_of_tables())
        error(line_of(*steps), "'step' must be an array of tables, each written [[step]]");
    else if (a->empty())
        error(line_of(*steps), "a lesson needs at least one [[step]]");
    else
        for (size_t i = 0; i < a->size(); ++i) {
            if (i == LessonLimits::kSteps) {
                error(line_of(*a->get(i)),
                      "more than " + std::to_string(LessonLimits::kSteps) + " steps");
                break;
            }
            lesson.steps.emplace_back();
            read_step(*a->get(i)->as_table(), i, lesson.steps.back());
        }
    check_start(lesson);

    if (errors_.empty())
        return lesson;
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    const auto first = errors_.begin();
    return path_ + ":" + std::to_string(first->first) + ": error: " + first->second;
}

} // namespace

std::variant<Lesson, std::string> load_lesson(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return path + ":1: error: cannot open the lesson file";
    std::string text(LessonLimits::kFileBytes + 1, '\0');
    in.read(text.data(), std::streamsize(text.size()));
    text.resize(size_t(in.gcount()));
    if (text.size() > LessonLimits::kFileBytes)
        return path + ":1: error: the file is larger than " +
               std::to_string(LessonLimits::kFileBytes / 1024) + " KiB";
    return Reader(path, std::move(text)).read();
}

// ---- playing a lesson

LessonRun play_lesson(const Lesson& lesson, Model& m) {
    LessonRun run;
    load_scenario_text(m, "", lesson.title);
    auto fail = [&](int line, const std::string& message) {
        run.error = lesson.path + ":" + std::to_string(line) + ": error: " + message;
        m.cursor = m.timeline.event_count();
        m.view = m.timeline.state_after(m.cursor);
        return run;
    };
    // Runs one line; false when it failed or the lesson grew too big.
    auto execute = [&](const LessonCommand& c) -> std::optional<std::string> {
        const size_t before = m.console.size();
        run_command(m, c.text);
        if (m.console.size() == before)
            return std::nullopt; // a comment (load_lesson refuses those)
        const ConsoleEntry& e = m.console.back();
        if (e.error)
            return "'" + c.text + "' fails: " + e.result;
        if (m.timeline.event_count() > LessonLimits::kEvents)
            return "the lesson makes more than " + std::to_string(LessonLimits::kEvents) +
                   " events";
        return std::nullopt;
    };
    for (size_t i = 0; i < lesson.steps.size(); ++i) {
        const LessonStep& step = lesson.steps[i];
        StepMarks marks;
        marks.begin = m.timeline.event_count();
        marks.console_begin = m.console.size();
        for (const LessonCommand& c : step.commands)
            if (auto err = execute(c))
                return fail(c.line, *err);
        marks.after_commands = marks.after_ask = m.timeline.event_count();
        marks.console_after_commands = marks.console_after_ask = m.console.size();
        const std::string unresolved = resolve_highlight(step.highlight, m.timeline.live());
        if (!unresolved.empty())
            return fail(step.highlight_line, "highlight: " + unresolved + " after step " +
                                                 std::to_string(i + 1) + "'s commands");
        if (const auto& q = step.question) {
            if (auto err = execute(q->ask))
                return fail(q->ask.line, *err);
            marks.after_ask = m.timeline.event_count();
            marks.console_after_ask = m.console.size();
            marks.ask_result = m.console.back().result;
            if (marks.ask_result != q->answer)
                return fail(q->answer_line, "answer \"" + q->answer + "\" is not what '" +
                                                q->ask.text + "' returns: it returns \"" +
                                                marks.ask_result + "\"");
        }
        run.steps.push_back(std::move(marks));
    }
    return run;
}

std::string check_lesson(const Lesson& lesson) {
    Model m;
    return play_lesson(lesson, m).error;
}

std::vector<LessonEntry> scan_lessons(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<LessonEntry> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        if (p.extension() != ".toml")
            continue;
        LessonEntry e;
        e.path = p.string();
        e.name = p.filename().string();
        std::error_code ec2;
        if (it->is_symlink(ec2))
            e.error = e.path + ":1: error: a symbolic link: lessons are read from this folder only";
        else if (!it->is_regular_file(ec2))
            continue;
        out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(),
              [](const LessonEntry& a, const LessonEntry& b) { return a.name < b.name; });
    for (LessonEntry& e : out) {
        if (!e.error.empty())
            continue;
        auto loaded = load_lesson(e.path);
        if (auto* err = std::get_if<std::string>(&loaded)) {
            e.error = std::move(*err);
            continue;
        }
        Lesson& lesson = std::get<Lesson>(loaded);
        e.error = check_lesson(lesson);
        if (e.error.empty())
            e.lesson = std::move(lesson);
    }
    return out;
}

} // namespace ringside::app
