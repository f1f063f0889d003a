// The scenario language's lexical rules and commands (scenario-language.md).
#include "command.hpp"

#include <algorithm>
#include <map>
#include <vector>

namespace ringside::scenario {

namespace {

struct Word {
    std::string_view text;
    int col; // 1-based column in the line
};

// Thrown inside the parser only; parse_line turns it into a ParseError.
struct Bad {
    int col;
    std::string message;
};

[[noreturn]] void bad(int col, std::string message) {
    throw Bad{col, std::move(message)};
}

std::string quoted(std::string_view s) {
    std::string out = "'";
    for (char ch : s.substr(0, 40))
        out += (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f)
                   ? '?'
                   : ch;
    if (s.size() > 40)
        out += "...";
    return out + "'";
}

} // namespace

IntegerError parse_integer(std::string_view s, uint64_t* out) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    if (s.empty())
        return IntegerError::Malformed;
    uint64_t v = 0;
    for (char ch : s) {
        int d = 0;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else if (base == 16 && ch >= 'A' && ch <= 'F')
            d = ch - 'A' + 10;
        else
            return IntegerError::Malformed;
        if (v > (~0ull - uint64_t(d)) / uint64_t(base))
            return IntegerError::TooBig;
        v = v * uint64_t(base) + uint64_t(d);
    }
    *out = v;
    return IntegerError::None;
}

namespace {

// Decimal or 0x hex, with an optional K (x1024) or M (x1048576) suffix.
uint64_t parse_number(std::string_view s, int col, std::string_view what) {
    const std::string_view written = s;
    auto fail = [&] {
        bad(col, "malformed number " + quoted(written) + " for " + std::string(what));
    };
    if (s.empty())
        fail();
    uint64_t scale = 1;
    if (s.back() == 'K' || s.back() == 'k')
        scale = 1024;
    else if (s.back() == 'M' || s.back() == 'm')
        scale = 1048576;
    if (scale != 1)
        s.remove_suffix(1);
    uint64_t v = 0;
    switch (parse_integer(s, &v)) {
    case IntegerError::Malformed:
        fail();
        break;
    case IntegerError::TooBig:
        bad(col, "number " + quoted(written) + " does not fit in 64 bits");
        break;
    case IntegerError::None:
        break;
    }
    if (v > ~0ull / scale)
        bad(col, "number " + quoted(written) + " does not fit in 64 bits");
    return v * scale;
}

uint64_t parse_bounded(std::string_view s, int col, std::string_view what, uint64_t max) {
    const uint64_t v = parse_number(s, col, what);
    if (v > max)
        bad(col, std::string(what) + " " + std::to_string(v) + " is out of range (at most " +
                     std::to_string(max) + ")");
    return v;
}

// 5 | 3..9 | 0..3,7,12..13
PageList parse_pages(std::string_view s, int col) {
    PageList list;
    size_t pos = 0;
    while (true) {
        const size_t comma = s.find(',', pos);
        const std::string_view item = s.substr(pos, comma == s.npos ? s.npos : comma - pos);
        const int icol = col + static_cast<int>(pos);
        if (item.empty())
            bad(icol, "empty item in page list " + quoted(s));
        const size_t dots = item.find("..");
        PageRange r;
        if (dots == item.npos) {
            r.first = r.last = parse_number(item, icol, "page");
        } else {
            r.first = parse_number(item.substr(0, dots), icol, "page");
            r.last = parse_number(item.substr(dots + 2), icol + int(dots) + 2, "page");
            if (r.last < r.first)
                bad(icol, "page range " + quoted(item) + " runs backwards");
        }
        list.push_back(r);
        if (comma == s.npos)
            break;
        pos = comma + 1;
    }
    return list;
}

// Accesses in one pass, and in all passes, must be countable in 64 bits.
void check_program_size(const GuestProgram& p, int col) {
    unsigned __int128 n = 0;
    for (const PageRange& r : p.pages)
        n += static_cast<unsigned __int128>(r.last - r.first) + 1;
    if (n * p.times > ~0ull)
        bad(col, "more than 2^64 - 1 accesses");
}

uint32_t parse_cap(const Word& w) {
    std::string_view s = w.text;
    if (s.starts_with("KVM_CAP_"))
        s.remove_prefix(8);
    for (auto [name, num] : capability_table())
        if (name == s)
            return num;
    if (!s.empty() && s[0] >= '0' && s[0] <= '9')
        return static_cast<uint32_t>(parse_bounded(s, w.col, "capability", 0xffffffffu));
    bad(w.col, "unknown capability " + quoted(w.text));
}

// The key=value options and bare flags after a command's positional words.
class Options {
  public:
    Options(const std::vector<Word>& words, size_t from, std::vector<std::string_view> keys,
            std::vector<std::string_view> flags = {}) {
        for (size_t i = from; i < words.size(); ++i) {
            const Word& w = words[i];
            const size_t eq = w.text.find('=');
            const std::string_view key = w.text.substr(0, eq);
            const bool is_key = eq != w.text.npos;
            const auto& allowed = is_key ? keys : flags;
            if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
                bad(w.col, (is_key ? "unknown option " : "unexpected word ") + quoted(w.text));
            if (seen_.count(key))
                bad(w.col, "option " + quoted(key) + " given twice");
            if (is_key && eq + 1 == w.text.size())
                bad(w.col, "option " + quoted(key) + " has no value");
            seen_[key] = {is_key ? w.text.substr(eq + 1) : std::string_view{},
                          w.col + static_cast<int>(is_key ? eq + 1 : 0)};
        }
    }
    bool has(std::string_view key) const { return seen_.count(key) != 0; }
    std::optional<Word> get(std::string_view key) const {
        auto it = seen_.find(key);
        if (it == seen_.end())
            return std::nullopt;
        return it->second;
    }

  private:
    std::map<std::string_view, Word> seen_;
};

void need_words(const std::vector<Word>& w, size_t n, std::string_view usage) {
    if (w.size() < n) {
        const Word& last = w.back();
        bad(last.col + static_cast<int>(last.text.size()),
            "missing argument; usage: " + std::string(usage));
    }
}

uint32_t vcpu_id(const Word& w) {
    return uint32_t(parse_bounded(w.text, w.col, "vCPU id", 0xffffffffu));
}
uint16_t slot_id(const Word& w) {
    return uint16_t(parse_bounded(w.text, w.col, "slot id", 0xffff));
}

uint16_t as_option(const Options& o) {
    if (auto w = o.get("as"))
        return uint16_t(parse_bounded(w->text, w->col, "address space", 0xffff));
    return 0;
}

Command parse_vm(const std::vector<Word>& w) {
    Command c;
    c.op = Op::Vm;
    Options o(w, 1, {"arch", "kernel", "pml", "page", "patch"});
    auto arch = o.get("arch");
    auto kernel = o.get("kernel");
    if (!arch)
        bad(w[0].col, "vm needs arch=x86_64|arm64|loongarch|riscv");
    if (!kernel)
        bad(w[0].col, "vm needs kernel=X.Y (5.10 to " + version_name(kNewestVersion) + ")");
    const auto a = parse_arch(arch->text);
    if (!a)
        bad(arch->col,
            "unknown architecture " + quoted(arch->text) + " (x86_64, arm64, loongarch, riscv)");
    c.vm.arch = *a;
    const size_t dot = kernel->text.find('.');
    if (dot == kernel->text.npos)
        bad(kernel->col, "kernel version " + quoted(kernel->text) + " is not X.Y");
    c.vm.version.major = int(parse_bounded(kernel->text.substr(0, dot), kernel->col, "kernel", 99));
    c.vm.version.minor =
        int(parse_bounded(kernel->text.substr(dot + 1), kernel->col + int(dot) + 1, "kernel", 99));
    c.vm.page_size = *a == Arch::LoongArch ? 16384 : 4096;
    if (auto page = o.get("page")) {
        if (page->text == "4K")
            c.vm.page_size = 4096;
        else if (page->text == "16K")
            c.vm.page_size = 16384;
        else if (page->text == "64K")
            c.vm.page_size = 65536;
        else
            bad(page->col, "page must be 4K, 16K or 64K");
    }
    c.vm.pml = *a == Arch::X86_64;
    if (auto pml = o.get("pml")) {
        if (*a != Arch::X86_64)
            bad(pml->col, "pml= is only for x86_64 (Intel VMX)");
        if (pml->text != "on" && pml->text != "off")
            bad(pml->col, "pml must be on or off");
        c.vm.pml = pml->text == "on";
    }
    if (auto patch = o.get("patch")) {
        size_t pos = 0;
        const std::string_view s = patch->text;
        while (pos <= s.size()) {
            const size_t comma = std::min(s.find(',', pos), s.size());
            const std::string_view p = s.substr(pos, comma - pos);
            if (p == "no-cap-check")
                c.vm.patches.no_cap_check = true;
            else if (p == "no-wmb")
                c.vm.patches.no_wmb = true;
            else if (p == "plain-reset")
                c.vm.patches.plain_reset = true;
            else
                bad(patch->col + int(pos),
                    "unknown patch " + quoted(p) + " (no-cap-check, no-wmb, plain-reset)");
            pos = comma + 1;
        }
    }
    if (auto err = make_kernel_config(c.vm); !err.config)
        bad(arch->col, err.error);
    return c;
}

Command parse_command(const std::vector<Word>& w) {
    Command c;
    const std::string_view name = w[0].text;
    if (name == "vm")
        return parse_vm(w);
    if (name == "check" || name == "enable") {
        c.op = name == "check" ? Op::Check : Op::Enable;
        need_words(w, 2, name == "check" ? "check CAP" : "enable CAP [args0=N] [flags=N]");
        c.cap = parse_cap(w[1]);
        if (c.op == Op::Check) {
            Options o(w, 2, {});
        } else {
            Options o(w, 2, {"args0", "flags"});
            if (auto a = o.get("args0"))
                c.args0 = parse_number(a->text, a->col, "args0");
            if (auto f = o.get("flags"))
                c.flags = uint32_t(parse_bounded(f->text, f->col, "flags", 0xffffffffu));
        }
        return c;
    }
    if (name == "memslot") {
        c.op = Op::Memslot;
        need_words(w, 2, "memslot ID [as=N] gfn=G pages=N [log] [readonly]");
        c.id = slot_id(w[1]);
        c.id_col = w[1].col;
        Options o(w, 2, {"as", "gfn", "pages"}, {"log", "readonly"});
        c.as_id = as_option(o);
        auto gfn = o.get("gfn");
        auto pages = o.get("pages");
        if (!gfn || !pages)
            bad(w[0].col, "memslot needs gfn= and pages=");
        c.gfn = parse_number(gfn->text, gfn->col, "gfn");
        c.pages = parse_number(pages->text, pages->col, "pages");
        c.flags = (o.has("log") ? KVM_MEM_LOG_DIRTY_PAGES : 0) |
                  (o.has("readonly") ? KVM_MEM_READONLY : 0);
        return c;
    }
    if (name == "vcpu") {
        c.op = Op::Vcpu;
        need_words(w, 2, "vcpu ID [start-index=N]");
        c.id = vcpu_id(w[1]);
        c.id_col = w[1].col;
        Options o(w, 2, {"start-index"});
        if (auto s = o.get("start-index"))
            c.start_index = uint32_t(parse_bounded(s->text, s->col, "start-index", 0xffffffffu));
        return c;
    }
    if (name == "run") {
        c.op = Op::Run;
        need_words(w, 4, "run ID write|read PAGES [times=N]");
        c.id = vcpu_id(w[1]);
        c.id_col = w[1].col;
        if (w[2].text != "write" && w[2].text != "read")
            bad(w[2].col, "run needs write or read, not " + quoted(w[2].text));
        c.program.write = w[2].text == "write";
        c.program.pages = parse_pages(w[3].text, w[3].col);
        Options o(w, 4, {"times"});
        if (auto t = o.get("times"))
            c.program.times = parse_number(t->text, t->col, "times");
        check_program_size(c.program, w[3].col);
        return c;
    }
    if (name == "host-write" || name == "kernel-write") {
        const bool kernel = name == "kernel-write";
        c.op = kernel ? Op::KernelWrite : Op::HostWrite;
        need_words(w, 2,
                   kernel ? "kernel-write PAGES [vcpu=ID] [during=its-save|its-restore|"
                            "pending-table-save]"
                          : "host-write PAGES");
        c.program.pages = parse_pages(w[1].text, w[1].col);
        check_program_size(c.program, w[1].col);
        Options o(w, 2,
                  kernel ? std::vector<std::string_view>{"vcpu", "during"}
                         : std::vector<std::string_view>{});
        if (auto v = o.get("vcpu")) {
            c.on_vcpu = vcpu_id(*v);
            c.id_col = v->col;
        }
        if (auto d = o.get("during")) {
            if (d->text == "its-save")
                c.during = VgicWrite::ItsSave;
            else if (d->text == "its-restore")
                c.during = VgicWrite::ItsRestore;
            else if (d->text == "pending-table-save")
                c.during = VgicWrite::PendingTableSave;
            else
                bad(d->col, "during must be its-save, its-restore or pending-table-save");
        }
        return c;
    }
    if (name == "harvest") {
        c.op = Op::Harvest;
        need_words(w, 2, "harvest ID [max=N] [order=acqrel|plain]");
        c.id = vcpu_id(w[1]);
        c.id_col = w[1].col;
        Options o(w, 2, {"max", "order"});
        if (auto m = o.get("max"))
            c.max = parse_number(m->text, m->col, "max");
        if (auto ord = o.get("order")) {
            if (ord->text != "acqrel" && ord->text != "plain")
                bad(ord->col, "order must be acqrel or plain");
            c.order = ord->text == "plain" ? HarvestOrder::Plain : HarvestOrder::AcqRel;
        }
        return c;
    }
    if (name == "reset") {
        c.op = Op::Reset;
        Options o(w, 1, {});
        return c;
    }
    if (name == "getlog" || name == "clearlog") {
        const bool clear = name == "clearlog";
        c.op = clear ? Op::ClearLog : Op::GetLog;
        need_words(w, 2,
                   clear ? "clearlog ID first=F num=N [bits=LIST|all] [as=N]" : "getlog ID [as=N]");
        c.id = slot_id(w[1]);
        c.id_col = w[1].col;
        Options o(w, 2,
                  clear ? std::vector<std::string_view>{"first", "num", "bits", "as"}
                        : std::vector<std::string_view>{"as"});
        c.as_id = as_option(o);
        if (clear) {
            auto first = o.get("first");
            auto num = o.get("num");
            if (!first || !num)
                bad(w[0].col, "clearlog needs first= and num=");
            c.first = parse_number(first->text, first->col, "first");
            c.num = uint32_t(parse_bounded(num->text, num->col, "num", 0xffffffffu));
            if (auto b = o.get("bits"); b && b->text != "all")
                c.bits = parse_pages(b->text, b->col);
        }
        return c;
    }
    if (name == "workload") {
        c.op = Op::Workload;
        need_words(w, 3,
                   "workload ID|all seq|uniform|zipf|burst|idle [pages=LIST] [rate=N] [hot=N] "
                   "[s=X.Y] [on=MS] [off=MS] [seed=N]");
        if (w[1].text == "all")
            c.all_vcpus = true;
        else
            c.id = vcpu_id(w[1]);
        c.id_col = w[1].col;
        migrate::WorkloadSpec& spec = c.workload;
        if (!migrate::pattern_from_name(w[2].text, &spec.pattern))
            bad(w[2].col,
                "unknown pattern " + quoted(w[2].text) + " (seq, uniform, zipf, burst, idle)");
        Options o(w, 3, {"pages", "rate", "hot", "s", "on", "off", "seed"});
        if (auto p = o.get("pages"))
            spec.pages = parse_pages(p->text, p->col);
        spec.rate = spec.pattern == migrate::Pattern::Idle ? 0 : 10000;
        if (auto r = o.get("rate"))
            spec.rate = parse_bounded(r->text, r->col, "rate", 100000000);
        if (auto h = o.get("hot")) {
            if (spec.pattern != migrate::Pattern::HotSet)
                bad(h->col, "hot= is for the zipf pattern");
            spec.hot = parse_bounded(h->text, h->col, "hot", 1ull << 31);
            if (spec.hot == 0)
                bad(h->col, "hot must be at least 1 page");
        }
        if (auto z = o.get("s")) {
            if (spec.pattern != migrate::Pattern::HotSet)
                bad(z->col, "s= is for the zipf pattern");
            // X or X.Y with up to three decimals, kept in thousandths.
            const std::string_view t = z->text;
            const size_t dot = t.find('.');
            uint64_t whole = 0, frac = 0;
            const std::string_view ip = t.substr(0, dot);
            const std::string_view fp = dot == t.npos ? std::string_view{} : t.substr(dot + 1);
            if (ip.empty() || parse_integer(ip, &whole) != IntegerError::None || whole > 9 ||
                fp.size() > 3 || (dot != t.npos && fp.empty()) ||
                (!fp.empty() && parse_integer(fp, &frac) != IntegerError::None) ||
                (!fp.empty() && fp.starts_with("0x")))
                bad(z->col, "s must be a decimal like 1 or 0.8 (0 to 9.999)");
            for (size_t i = fp.size(); i < 3; ++i)
                frac *= 10;
            spec.zipf_milli = uint32_t(whole * 1000 + frac);
        }
        if (spec.pattern == migrate::Pattern::Bursts) {
            auto on = o.get("on");
            auto off = o.get("off");
            spec.on_ms = on ? parse_bounded(on->text, on->col, "on", 1ull << 32) : 100;
            spec.off_ms = off ? parse_bounded(off->text, off->col, "off", 1ull << 32) : 900;
            if (spec.on_ms + spec.off_ms == 0)
                bad(w[2].col, "a burst needs on + off above 0 ms");
        } else if (auto x = o.get("on") ? o.get("on") : o.get("off")) {
            bad(x->col, "on= and off= are for the burst pattern");
        }
        if (auto sd = o.get("seed"))
            spec.seed = parse_number(sd->text, sd->col, "seed");
        return c;
    }
    if (name == "migrate") {
        c.op = Op::Migrate;
        migrate::MigrationConfig& m = c.migration;
        Options o(w, 1,
                  {"bandwidth", "downtime", "max-rounds", "tick", "reap", "chunk", "harvest",
                   "its-save", "kernel-write"});
        if (auto b = o.get("bandwidth")) {
            m.bandwidth = parse_bounded(b->text, b->col, "bandwidth", 1ull << 40);
            if (m.bandwidth < 4096)
                bad(b->col, "bandwidth must be at least 4K (bytes per second)");
        }
        if (auto d = o.get("downtime"))
            m.downtime_ns = parse_bounded(d->text, d->col, "downtime", 1ull << 30) * 1000000;
        if (auto r = o.get("max-rounds")) {
            m.max_rounds = uint32_t(parse_bounded(r->text, r->col, "max-rounds", 100000));
            if (m.max_rounds == 0)
                bad(r->col, "max-rounds must be at least 1");
        }
        if (auto t = o.get("tick")) {
            m.tick_ns = parse_bounded(t->text, t->col, "tick", 1000) * 1000000;
            if (m.tick_ns == 0)
                bad(t->col, "tick must be at least 1 ms");
        }
        if (auto r = o.get("reap")) {
            m.reap_interval_ns = parse_bounded(r->text, r->col, "reap", 1ull << 30) * 1000000;
            if (m.reap_interval_ns == 0)
                bad(r->col, "reap must be at least 1 ms");
        }
        if (auto ch = o.get("chunk")) {
            m.clear_chunk_pages = parse_bounded(ch->text, ch->col, "chunk", 1ull << 31);
            if (m.clear_chunk_pages < 64 || (m.clear_chunk_pages & (m.clear_chunk_pages - 1)))
                bad(ch->col, "chunk must be a power of two of at least 64 pages");
        }
        if (auto h = o.get("harvest")) {
            if (h->text != "acqrel" && h->text != "plain")
                bad(h->col, "harvest must be acqrel or plain");
            m.harvest = h->text == "plain" ? HarvestOrder::Plain : HarvestOrder::AcqRel;
        }
        if (auto i = o.get("its-save"))
            m.its_save = parse_pages(i->text, i->col);
        if (auto k = o.get("kernel-write")) {
            // GFN@MS,GFN@MS,...
            std::string_view t = k->text;
            int col = k->col;
            while (true) {
                const size_t comma = t.find(',');
                const std::string_view item = t.substr(0, comma);
                const size_t at = item.find('@');
                if (at == item.npos)
                    bad(col, "kernel-write items are GFN@MS, e.g. 0x150@200");
                const uint64_t gfn = parse_number(item.substr(0, at), col, "page");
                const uint64_t ms =
                    parse_bounded(item.substr(at + 1), col + int(at) + 1, "time", 1ull << 30);
                m.kernel_writes.push_back({ms * 1000000, gfn});
                if (comma == t.npos)
                    break;
                t.remove_prefix(comma + 1);
                col += int(comma) + 1;
            }
            std::stable_sort(m.kernel_writes.begin(), m.kernel_writes.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
        }
        return c;
    }
    if (name == "show" && w.size() >= 2 && w[1].text == "migration") {
        c.op = Op::ShowMigration;
        need_words(w, 3, "show migration converged|mode|rounds|sent|downtime|lost");
        static const std::string_view fields[] = {"converged", "mode",     "rounds",
                                                  "sent",      "downtime", "lost"};
        if (std::find(std::begin(fields), std::end(fields), w[2].text) == std::end(fields))
            bad(w[2].col, "show migration what? " + quoted(w[2].text) +
                              " (converged, mode, rounds, sent, downtime, lost)");
        c.field = std::string(w[2].text);
        Options o(w, 3, {});
        return c;
    }
    if (name == "show" && w.size() >= 2 && (w[1].text == "round" || w[1].text == "lost")) {
        if (w[1].text == "lost") {
            c.op = Op::ShowLost;
            Options o(w, 2, {});
            return c;
        }
        c.op = Op::ShowRound;
        need_words(w, 3, "show round N");
        c.index = parse_bounded(w[2].text, w[2].col, "round", 100000);
        Options o(w, 3, {});
        return c;
    }
    if (name == "show") {
        need_words(w, 2, "show ring|entry|bitmap|wp|harvested|round|lost|migration ...");
        const std::string_view what = w[1].text;
        if (what == "harvested") {
            c.op = Op::ShowHarvested;
            Options o(w, 2, {});
            return c;
        }
        if (what == "ring" || what == "entry") {
            c.op = what == "ring" ? Op::ShowRing : Op::ShowEntry;
            need_words(w, what == "ring" ? 3 : 4,
                       what == "ring" ? "show ring ID" : "show entry ID I");
            c.id = vcpu_id(w[2]);
            c.id_col = w[2].col;
            if (c.op == Op::ShowEntry)
                c.index = parse_number(w[3].text, w[3].col, "entry index");
            Options o(w, c.op == Op::ShowRing ? 3 : 4, {});
            return c;
        }
        if (what == "bitmap" || what == "wp") {
            c.op = what == "bitmap" ? Op::ShowBitmap : Op::ShowWp;
            need_words(w, 3, "show " + std::string(what) + " ID [as=N]");
            c.id = slot_id(w[2]);
            c.id_col = w[2].col;
            Options o(w, 3, {"as"});
            c.as_id = as_option(o);
            return c;
        }
        bad(w[1].col, "show what? " + quoted(what) +
                          " (ring, entry, bitmap, wp, harvested, round, lost, migration)");
    }
    bad(w[0].col, "unknown command " + quoted(name));
}

} // namespace

ParsedLine parse_line(std::string_view line) {
    // Comments run from # to the end of the line, wherever they appear.
    if (const size_t hash = line.find('#'); hash != line.npos)
        line = line.substr(0, hash);
    for (size_t i = 0; i < line.size(); ++i) {
        const auto ch = static_cast<unsigned char>(line[i]);
        if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f)
            return ParseError{int(i) + 1,
                              "control character (byte " + std::to_string(ch) + ") in a command"};
        if (ch >= 0x80)
            return ParseError{int(i) + 1, "non-ASCII byte in a command"};
    }
    const auto is_space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; };
    size_t b = 0, e = line.size();
    while (b < e && is_space(line[b]))
        ++b;
    while (e > b && is_space(line[e - 1]))
        --e;
    if (b == e)
        return std::monostate{};
    const std::string_view text = line.substr(b, e - b);

    std::vector<Word> words;
    for (size_t i = b; i < e;) {
        while (i < e && is_space(line[i]))
            ++i;
        const size_t start = i;
        while (i < e && !is_space(line[i]))
            ++i;
        if (i > start)
            words.push_back({line.substr(start, i - start), int(start) + 1});
    }

    if (words[0].text == "expect") {
        Command c;
        c.op = Op::Expect;
        c.text = std::string(text);
        std::string_view rest = text.substr(6);
        while (!rest.empty() && is_space(rest.front()))
            rest.remove_prefix(1);
        c.expect = std::string(rest);
        return c;
    }
    try {
        Command c = parse_command(words);
        c.text = std::string(text);
        return c;
    } catch (const Bad& err) {
        return ParseError{err.col, err.message};
    }
}

} // namespace ringside::scenario
