// herd's litmus syntax: `ARCH NAME`, an optional "doc string" and KEY=VALUE info lines, the
// initial state `{ ... }`, the thread columns `P0 | P1 ;` with one `;`-terminated row of cells
// a line, then `locations [...]` and the condition. (* comments *) nest, as in OCaml.
#include "litmus_parser.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace ringside::ordering {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

std::string upper(std::string_view s) {
    std::string u(s);
    for (char& c : u)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
}

std::string threads_text(size_t n) {
    return std::to_string(n) + (n == 1 ? " thread" : " threads");
}

bool is_ident_start(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}
bool is_ident(std::string_view s) {
    if (s.empty() || !is_ident_start(s[0]))
        return false;
    return std::all_of(s.begin(), s.end(), is_ident_char);
}

// Decimal, negative, or 0x hexadecimal, as herd's litmus values are written.
std::optional<int64_t> parse_int(std::string_view s) {
    bool neg = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    if (s.empty())
        return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return std::nullopt;
        if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base))
            return std::nullopt;
        v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    }
    if (base == 10 && v > static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0))
        return std::nullopt;
    const auto sv = static_cast<int64_t>(v); // hex may fill all 64 bits
    return neg ? static_cast<int64_t>(0 - v) : sv;
}

// Splits on commas outside brackets: "W3,[X4,W2,SXTW]" -> "W3", "[X4,W2,SXTW]".
std::vector<std::string_view> split_operands(std::string_view s) {
    std::vector<std::string_view> out;
    s = trim(s);
    if (s.empty())
        return out;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '[')
            ++depth;
        else if (s[i] == ']')
            --depth;
        else if (s[i] == ',' && depth == 0) {
            out.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    out.push_back(trim(s.substr(start)));
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            out.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    return out;
}

// Removes (* ... *) comments, keeping the line breaks so that lines keep their numbers, and
// refuses bytes that no text file has.
std::string strip_comments(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    int depth = 0, open_line = 0, line = 1;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && c != '\n' && c != '\r' && c != '\t')
            throw LitmusError(line, "unexpected control character (byte " + std::to_string(u) +
                                        "); a litmus test is text");
        if (c == '\n')
            ++line;
        if (c == '(' && i + 1 < text.size() && text[i + 1] == '*') {
            if (depth++ == 0)
                open_line = line;
            out += "  ";
            ++i;
        } else if (depth > 0 && c == '*' && i + 1 < text.size() && text[i + 1] == ')') {
            --depth;
            out += "  ";
            ++i;
        } else {
            out += depth > 0 && c != '\n' ? ' ' : c;
        }
    }
    if (depth > 0)
        throw LitmusError(open_line, "unterminated comment: '(*' without '*)'");
    return out;
}

struct Tok {
    enum class K : uint8_t { End, Ident, Num, Punct };
    K k = K::End;
    std::string s;
    int line = 0;
};

// The tokens of the initial state and of the condition.
std::vector<Tok> lex(std::string_view src, int line) {
    std::vector<Tok> out;
    size_t i = 0;
    auto starts = [&](std::string_view p) { return src.substr(i, p.size()) == p; };
    while (i < src.size()) {
        const char c = src[i];
        if (c == '\n') {
            ++line;
            ++i;
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        Tok t;
        t.line = line;
        if (is_ident_start(c)) {
            size_t j = i;
            while (j < src.size() && is_ident_char(src[j]))
                ++j;
            t.k = Tok::K::Ident;
            t.s = std::string(src.substr(i, j - i));
            i = j;
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '-' && i + 1 < src.size() &&
                    std::isdigit(static_cast<unsigned char>(src[i + 1])))) {
            size_t j = i + 1;
            while (j < src.size() && std::isalnum(static_cast<unsigned char>(src[j])))
                ++j;
            t.k = Tok::K::Num;
            t.s = std::string(src.substr(i, j - i));
            i = j;
        } else {
            t.k = Tok::K::Punct;
            static const char* const kLong[] = {"/\\", "\\/", "=>", "==", "!="};
            for (const char* p : kLong)
                if (starts(p)) {
                    t.s = p;
                    break;
                }
            if (t.s.empty()) {
                if (std::string_view("=~()[];:,*&{}$#").find(c) == std::string_view::npos)
                    throw LitmusError(line, std::string("unexpected character '") + c + "'");
                t.s = std::string(1, c);
            }
            i += t.s.size();
        }
        out.push_back(std::move(t));
    }
    Tok end;
    end.line = line;
    out.push_back(end);
    return out;
}

class Parser {
  public:
    Parser(std::string_view text, const std::string& file) : text_(strip_comments(text)) {
        t_.file = file;
        std::string_view rest = text_;
        while (true) {
            const size_t nl = rest.find('\n');
            std::string_view l = rest.substr(0, nl);
            if (!l.empty() && l.back() == '\r')
                l.remove_suffix(1);
            lines_.push_back(l);
            if (nl == std::string_view::npos)
                break;
            rest.remove_prefix(nl + 1);
        }
    }

    Test run() {
        size_t i = header();
        i = init_block(i);
        i = code(i);
        condition(i);
        finish();
        return std::move(t_);
    }

  private:
    struct RegInit {
        int line;
        int thread;
        int reg;
        Value value;
    };
    struct Fixup {
        size_t instr;
        std::string label;
        int line;
    };
    struct RegRef {
        int reg;
        bool wide;
    };

    int lineno(size_t i) const { return static_cast<int>(i) + 1; }

    int location(const std::string& name) {
        auto [it, fresh] = loc_index_.try_emplace(name, static_cast<int>(t_.locations.size()));
        if (fresh)
            t_.locations.push_back({name, {}});
        return it->second;
    }

    // `AArch64 NAME`, then the doc string and info lines up to the `{`.
    size_t header() {
        size_t i = 0;
        while (i < lines_.size() && trim(lines_[i]).empty())
            ++i;
        if (i == lines_.size())
            throw LitmusError(1, "empty file: expected 'AArch64 NAME' or 'X86 NAME'");
        std::string_view l = trim(lines_[i]);
        const size_t sp = l.find_first_of(" \t");
        const std::string_view arch = l.substr(0, sp);
        if (arch == "AArch64")
            t_.arch = Arch::AArch64;
        else if (arch == "X86")
            t_.arch = Arch::X86;
        else
            throw LitmusError(lineno(i), "unsupported architecture '" + std::string(arch) +
                                             "': Ringside reads AArch64 and X86 litmus tests");
        std::string_view rest = sp == std::string_view::npos ? "" : trim(l.substr(sp));
        const size_t nsp = rest.find_first_of(" \t");
        t_.name = std::string(rest.substr(0, nsp));
        if (t_.name.empty() || t_.name[0] == '"')
            throw LitmusError(lineno(i),
                              "expected the test's name after '" + std::string(arch) + "'");
        rest = nsp == std::string_view::npos ? "" : trim(rest.substr(nsp));
        bool in_doc = false;
        for (;;) {
            // What is left of the line: a doc string, an info line, or the '{'.
            while (!rest.empty()) {
                if (in_doc || rest[0] == '"') {
                    const size_t close = rest.find('"', in_doc ? 0 : 1);
                    in_doc = close == std::string_view::npos;
                    rest = in_doc ? "" : trim(rest.substr(close + 1));
                } else if (rest[0] == '{') {
                    brace_col_ = static_cast<size_t>(rest.data() - lines_[i].data());
                    return i;
                } else if (const size_t eq = rest.find('=');
                           eq != std::string_view::npos && is_ident(trim(rest.substr(0, eq)))) {
                    rest = {}; // KEY=VALUE: herd's test info (Hash=, Cycle=, ...)
                } else {
                    throw LitmusError(lineno(i), "expected '{' to open the initial state, got '" +
                                                     std::string(rest) + "'");
                }
            }
            if (++i == lines_.size())
                throw LitmusError(lineno(i - 1), in_doc ? "unterminated doc string"
                                                        : "expected '{' to open the initial state");
            rest = trim(lines_[i]);
        }
    }

    // `{ 0:X1=x; x=1; uint32_t flags=1; }`
    size_t init_block(size_t i) {
        const int open_line = lineno(i);
        std::string region;
        size_t col = brace_col_ + 1;
        for (;; ++i, col = 0) {
            if (i == lines_.size())
                throw LitmusError(open_line, "unterminated initial state: '{' without '}'");
            std::string_view l = lines_[i].substr(std::min(col, lines_[i].size()));
            const size_t close = l.find('}');
            if (close != std::string_view::npos) {
                region += l.substr(0, close);
                if (!trim(l.substr(close + 1)).empty())
                    throw LitmusError(lineno(i), "unexpected '" +
                                                     std::string(trim(l.substr(close + 1))) +
                                                     "' after the initial state");
                break;
            }
            region += l;
            region += '\n';
        }
        std::vector<Tok> toks = lex(region, open_line);
        size_t p = 0;
        while (toks[p].k != Tok::K::End) {
            size_t q = p;
            while (toks[q].k != Tok::K::End && toks[q].s != ";")
                ++q;
            if (q > p)
                init_item(toks, p, q);
            p = toks[q].k == Tok::K::End ? q : q + 1;
        }
        return i + 1;
    }

    // [TYPE] LOC [= VALUE], LOC being P:REG, NAME or [NAME].
    void init_item(const std::vector<Tok>& toks, size_t p, size_t end) {
        const int line = toks[p].line;
        auto bad = [&](const std::string& why) {
            std::string item;
            for (size_t k = p; k < end; ++k)
                item += toks[k].s;
            return LitmusError(line, why + " in the initial state: '" + item + "'");
        };
        // A type first when another location follows it: `uint32_t flags=1`, `int 0:X0=1`.
        if (toks[p].k == Tok::K::Ident && p + 1 < end &&
            (toks[p + 1].k == Tok::K::Ident || toks[p + 1].k == Tok::K::Num ||
             toks[p + 1].s == "[" || toks[p + 1].s == "*")) {
            if (toks[p + 1].s == "*")
                throw bad("unsupported construct: pointer types");
            ++p;
        }
        std::optional<StateLoc> where = location_at(toks, p, end, line);
        if (!where)
            throw bad("expected a location (P:REG, NAME or [NAME])");
        Value v;
        if (p < end) {
            if (toks[p].s != "=" || p + 2 != end)
                throw bad("expected LOCATION=VALUE");
            v = value_at(toks[p + 1], line);
        }
        if (where->is_reg) {
            reg_inits_.push_back({line, where->thread, where->reg, v});
        } else {
            if (!initialised_.insert(where->loc).second)
                throw bad("location initialised twice");
            t_.locations[where->loc].init = v;
        }
    }

    Value value_at(const Tok& t, int line) {
        if (t.k == Tok::K::Num) {
            auto n = parse_int(t.s);
            if (!n)
                throw LitmusError(line, "malformed number '" + t.s + "'");
            return {*n, -1};
        }
        if (t.k == Tok::K::Ident)
            return {0, location(t.s)}; // the address of a location
        throw LitmusError(line, "expected a value, got '" + t.s + "'");
    }

    // P:REG, NAME or [NAME]; advances p past it.
    std::optional<StateLoc> location_at(const std::vector<Tok>& toks, size_t& p, size_t end,
                                        int line) {
        StateLoc w;
        if (p + 2 < end && toks[p].k == Tok::K::Num && toks[p + 1].s == ":" &&
            toks[p + 2].k == Tok::K::Ident) {
            auto n = parse_int(toks[p].s);
            if (!n || *n < 0 || *n > 63)
                throw LitmusError(line, "bad thread number '" + toks[p].s + "'");
            const std::optional<RegRef> r = state_reg(toks[p + 2].s);
            if (!r)
                throw LitmusError(line, "'" + toks[p + 2].s + "' is not a register of " +
                                            (t_.arch == Arch::X86 ? "X86" : "AArch64") +
                                            " that a test may name");
            w.is_reg = true;
            w.thread = static_cast<int>(*n);
            w.reg = r->reg;
            p += 3;
            return w;
        }
        if (p < end && toks[p].k == Tok::K::Ident) {
            w.loc = location(toks[p].s);
            ++p;
            return w;
        }
        if (p + 2 < end && toks[p].s == "[" && toks[p + 1].k == Tok::K::Ident &&
            toks[p + 2].s == "]") {
            w.loc = location(toks[p + 1].s);
            p += 3;
            return w;
        }
        return std::nullopt;
    }

    std::optional<RegRef> a64_reg(std::string_view s) const {
        const std::string u = upper(trim(s));
        if (u == "XZR" || u == "WZR")
            return RegRef{kZeroReg, u[0] == 'X'};
        if (u.size() < 2 || u.size() > 3 || (u[0] != 'X' && u[0] != 'W'))
            return std::nullopt;
        if (!std::all_of(u.begin() + 1, u.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        const int n = std::stoi(u.substr(1));
        if (n > 30 || (u.size() == 3 && u[1] == '0'))
            return std::nullopt;
        return RegRef{n, u[0] == 'X'};
    }

    std::optional<int> x86_reg(std::string_view s) const {
        static const char* const kNames[] = {"EAX", "EBX", "ECX", "EDX",
                                             "ESI", "EDI", "EBP", "ESP"};
        const std::string u = upper(trim(s));
        for (int r = 0; r < 8; ++r)
            if (u == kNames[r])
                return r;
        return std::nullopt;
    }

    // A register as a state or condition names it (W0 and X0 are one register to herd).
    std::optional<RegRef> state_reg(std::string_view s) const {
        if (t_.arch == Arch::X86) {
            auto r = x86_reg(s);
            return r ? std::optional<RegRef>(RegRef{*r, true}) : std::nullopt;
        }
        auto r = a64_reg(s);
        if (r && r->reg == kZeroReg)
            return std::nullopt;
        return r;
    }

    // The thread header, then one row of cells a line until the condition.
    size_t code(size_t i) {
        while (i < lines_.size() && trim(lines_[i]).empty())
            ++i;
        if (i == lines_.size())
            throw LitmusError(lineno(i - 1), "expected the thread header 'P0 | P1 ... ;'");
        std::string_view head = trim(lines_[i]);
        if (head.empty() || head.back() != ';')
            throw LitmusError(lineno(i), "expected the thread header 'P0 | P1 ... ;'");
        head.remove_suffix(1);
        const std::vector<std::string_view> names = split(head, '|');
        for (size_t k = 0; k < names.size(); ++k)
            if (names[k] != "P" + std::to_string(k))
                throw LitmusError(lineno(i), "expected 'P" + std::to_string(k) +
                                                 "' in the thread header, got '" +
                                                 std::string(names[k]) + "'");
        const size_t n = names.size();
        t_.threads.resize(n);
        labels_.resize(n);
        fixups_.resize(n);
        for (++i; i < lines_.size(); ++i) {
            std::string_view l = trim(lines_[i]);
            if (l.empty())
                continue;
            if (starts_condition(l))
                break;
            if (l.back() != ';')
                throw LitmusError(lineno(i), "expected ';' at the end of the row");
            l.remove_suffix(1);
            // Several rows on one line are several ';'-terminated rows.
            for (std::string_view row : split(l, ';')) {
                const std::vector<std::string_view> cells = split(row, '|');
                if (cells.size() > n)
                    throw LitmusError(lineno(i), "row has " + std::to_string(cells.size()) +
                                                     " columns, the test has " + threads_text(n));
                for (size_t k = 0; k < cells.size(); ++k)
                    cell(static_cast<int>(k), cells[k], lineno(i));
            }
        }
        for (size_t k = 0; k < n; ++k) {
            auto& thread = t_.threads[k];
            for (const Fixup& f : fixups_[k]) {
                auto it = labels_[k].find(f.label);
                if (it == labels_[k].end())
                    throw LitmusError(f.line, "branch to undefined label '" + f.label + "'");
                if (it->second <= f.instr)
                    throw LitmusError(f.line, "unsupported construct: branch back to '" + f.label +
                                                  "' (loops are not supported)");
                thread.code[f.instr].target = static_cast<int>(it->second);
            }
        }
        return i;
    }

    static bool starts_condition(std::string_view l) {
        for (std::string_view kw : {"exists", "~", "forall", "final", "locations", "filter",
                                    "observed", "with", "(", "not ", "not("})
            if (l.substr(0, kw.size()) == kw)
                return true;
        return false;
    }

    void cell(int thread, std::string_view text, int line) {
        text = trim(text);
        // Labels: `L0:` before an instruction, or alone.
        for (size_t colon; (colon = text.find(':')) != std::string_view::npos;) {
            const std::string label(trim(text.substr(0, colon)));
            if (!is_ident(label))
                throw LitmusError(line, "malformed label '" + label + "'");
            if (!labels_[thread].emplace(label, t_.threads[thread].code.size()).second)
                throw LitmusError(line, "label '" + label + "' defined twice in P" +
                                            std::to_string(thread));
            text = trim(text.substr(colon + 1));
        }
        if (text.empty())
            return;
        Instr in = t_.arch == Arch::AArch64 ? aarch64(text, line) : x86(text, line);
        if (in.op == Op::Branch)
            fixups_[thread].push_back({t_.threads[thread].code.size(), label_, line});
        t_.threads[thread].code.push_back(std::move(in));
    }

    // LDR/STR (W and X), LDAR, LDAPR, STLR, DMB, ISB, MOV, EOR, ADD, CMP, B.EQ/B.NE, CBZ/CBNZ, B.
    Instr aarch64(std::string_view text, int line) {
        Instr in;
        in.line = line;
        in.text = std::string(text);
        const size_t sp = text.find_first_of(" \t");
        const std::string mn = upper(text.substr(0, sp));
        const std::vector<std::string_view> ops =
            split_operands(sp == std::string_view::npos ? "" : text.substr(sp));
        auto fail = [&](const std::string& why) {
            return LitmusError(line, why + " in '" + in.text + "'");
        };
        auto want = [&](size_t n) {
            if (ops.size() != n)
                throw fail("expected " + std::to_string(n) + " operand" + (n == 1 ? "" : "s"));
        };
        auto reg = [&](std::string_view s) {
            auto r = a64_reg(s);
            if (!r)
                throw fail("expected a register, got '" + std::string(s) + "'");
            return *r;
        };
        auto imm = [&](std::string_view s) {
            auto n = s.size() > 1 && s[0] == '#' ? parse_int(s.substr(1)) : std::nullopt;
            if (!n)
                throw fail("expected an immediate #N, got '" + std::string(s) + "'");
            return *n;
        };
        auto reg_or_imm = [&](std::string_view s) {
            Operand o;
            if (!s.empty() && s[0] == '#') {
                o.kind = Operand::Kind::Imm;
                o.imm = imm(s);
            } else {
                o.kind = Operand::Kind::Reg;
                o.reg = reg(s).reg;
            }
            return o;
        };
        auto mem = [&](std::string_view s) {
            if (s.size() < 2 || s.front() != '[' || s.back() != ']')
                throw fail("expected a memory operand [Xn], got '" + std::string(s) + "'");
            const std::vector<std::string_view> parts = split(s.substr(1, s.size() - 2), ',');
            Address a;
            const RegRef base = reg(parts[0]);
            if (!base.wide || base.reg == kZeroReg)
                throw fail("the base register must be X0..X30");
            a.base = base.reg;
            const bool ok = parts.size() == 1 ||
                            (parts.size() == 2 && !parts[1].empty() && parts[1][0] == '#') ||
                            (parts.size() == 2 && a64_reg(parts[1]) && a64_reg(parts[1])->wide) ||
                            (parts.size() == 3 && a64_reg(parts[1]) && !a64_reg(parts[1])->wide &&
                             upper(parts[2]) == "SXTW");
            if (!ok)
                throw LitmusError(line, "unsupported addressing mode '" + std::string(s) +
                                            "' in '" + in.text + "'");
            if (parts.size() == 2 && parts[1][0] == '#')
                a.offset = imm(parts[1]);
            else if (parts.size() >= 2)
                a.index = reg(parts[1]).reg;
            a.sxtw = parts.size() == 3;
            return a;
        };
        auto load_store = [&](Op op, Access acc) {
            want(2);
            in.op = op;
            const RegRef r = reg(ops[0]);
            in.wide = r.wide;
            if (op == Op::Load) {
                in.dst = r.reg;
            } else {
                in.src1.kind = Operand::Kind::Reg;
                in.src1.reg = r.reg;
            }
            in.addr = mem(ops[1]);
            if (acc != Access::Plain && (in.addr.index >= 0 || in.addr.offset != 0))
                throw LitmusError(line, "unsupported addressing mode '" + std::string(ops[1]) +
                                            "' in '" + in.text + "': " + mn + " takes [Xn]");
            in.access = acc;
        };
        if (mn == "LDR") {
            load_store(Op::Load, Access::Plain);
        } else if (mn == "LDAR") {
            load_store(Op::Load, Access::Acquire);
        } else if (mn == "LDAPR") {
            load_store(Op::Load, Access::AcquirePc);
        } else if (mn == "STR") {
            load_store(Op::Store, Access::Plain);
        } else if (mn == "STLR") {
            load_store(Op::Store, Access::Release);
        } else if (mn == "DMB") {
            want(1);
            in.op = Op::Fence;
            const std::string opt = upper(ops[0]);
            // aarch64.cat: ISH, OSH and SY are one barrier (all observers share the
            // inner-shareable domain); so are ISHLD/OSHLD/LD and ISHST/OSHST/ST.
            if (opt == "SY" || opt == "ISH" || opt == "OSH")
                in.barrier = Barrier::DmbFull;
            else if (opt == "LD" || opt == "ISHLD" || opt == "OSHLD")
                in.barrier = Barrier::DmbLd;
            else if (opt == "ST" || opt == "ISHST" || opt == "OSHST")
                in.barrier = Barrier::DmbSt;
            else
                throw LitmusError(line, "unsupported instruction '" + in.text + "'");
            in.shareability = opt != "SY" && opt != "LD" && opt != "ST";
        } else if (mn == "ISB") {
            want(0);
            in.op = Op::Fence;
            in.barrier = Barrier::Isb;
        } else if (mn == "MOV") {
            want(2);
            in.op = Op::Mov;
            const RegRef d = reg(ops[0]);
            in.dst = d.reg;
            in.wide = d.wide;
            in.src1 = reg_or_imm(ops[1]);
        } else if (mn == "EOR" || mn == "ADD") {
            want(3);
            in.op = mn == "EOR" ? Op::Eor : Op::Add;
            const RegRef d = reg(ops[0]);
            in.dst = d.reg;
            in.wide = d.wide;
            in.src1.kind = Operand::Kind::Reg;
            in.src1.reg = reg(ops[1]).reg;
            in.src2 = reg_or_imm(ops[2]);
        } else if (mn == "CMP") {
            want(2);
            in.op = Op::Cmp;
            in.src1.kind = Operand::Kind::Reg;
            const RegRef r = reg(ops[0]);
            in.src1.reg = r.reg;
            in.wide = r.wide;
            in.src2 = reg_or_imm(ops[1]);
            in.dst = kFlagsReg;
        } else if (mn == "B" || mn == "B.EQ" || mn == "B.NE") {
            want(1);
            in.op = Op::Branch;
            in.cond = mn == "B" ? Cond::Always : mn == "B.EQ" ? Cond::Eq : Cond::Ne;
            branch_target(ops[0], fail);
        } else if (mn == "CBZ" || mn == "CBNZ") {
            want(2);
            in.op = Op::Branch;
            in.cond = mn == "CBZ" ? Cond::Zero : Cond::NonZero;
            in.src1.kind = Operand::Kind::Reg;
            in.src1.reg = reg(ops[0]).reg;
            branch_target(ops[1], fail);
        } else {
            throw LitmusError(line, "unsupported instruction '" + in.text + "'");
        }
        return in;
    }

    template <class Fail> void branch_target(std::string_view s, Fail& fail) {
        if (!is_ident(s))
            throw fail("expected a label, got '" + std::string(s) + "'");
        label_ = std::string(s);
    }

    // MOV to and from memory, MOV of immediates and registers, MFENCE; CMP with JE/JNE, JMP.
    Instr x86(std::string_view text, int line) {
        Instr in;
        in.line = line;
        in.text = std::string(text);
        const size_t sp = text.find_first_of(" \t");
        const std::string mn = upper(text.substr(0, sp));
        const std::vector<std::string_view> ops =
            split_operands(sp == std::string_view::npos ? "" : text.substr(sp));
        auto fail = [&](const std::string& why) {
            return LitmusError(line, why + " in '" + in.text + "'");
        };
        if (mn == "MFENCE") {
            if (!ops.empty())
                throw fail("MFENCE takes no operand");
            in.op = Op::Fence;
            in.barrier = Barrier::Mfence;
            return in;
        }
        // JE/JNE after a CMP, and JMP: forward branches, as herd's X86 writes them.
        if (mn == "JMP" || mn == "JE" || mn == "JNE") {
            if (ops.size() != 1)
                throw fail("expected 1 operand");
            in.op = Op::Branch;
            in.cond = mn == "JMP" ? Cond::Always : mn == "JE" ? Cond::Eq : Cond::Ne;
            branch_target(ops[0], fail);
            return in;
        }
        if (mn != "MOV" && mn != "CMP")
            throw LitmusError(line, "unsupported instruction '" + in.text + "'");
        if (ops.size() != 2)
            throw fail("expected 2 operands");
        if (mn == "CMP") {
            auto r = x86_reg(ops[0]);
            if (!r)
                throw fail("expected a register, got '" + std::string(ops[0]) + "'");
            in.op = Op::Cmp;
            in.src1.kind = Operand::Kind::Reg;
            in.src1.reg = *r;
            if (!ops[1].empty() && ops[1][0] == '$') {
                auto n = parse_int(ops[1].substr(1));
                if (!n)
                    throw fail("malformed immediate '" + std::string(ops[1]) + "'");
                in.src2.kind = Operand::Kind::Imm;
                in.src2.imm = *n;
            } else if (auto r2 = x86_reg(ops[1])) {
                in.src2.kind = Operand::Kind::Reg;
                in.src2.reg = *r2;
            } else {
                throw fail("expected $N or a register, got '" + std::string(ops[1]) + "'");
            }
            in.dst = kFlagsReg;
            return in;
        }
        auto memory = [&](std::string_view s) -> std::optional<int> {
            if (s.size() < 2 || s.front() != '[' || s.back() != ']')
                return std::nullopt;
            const std::string_view inner = trim(s.substr(1, s.size() - 2));
            if (!is_ident(inner) || x86_reg(inner))
                throw LitmusError(line, "unsupported addressing mode '" + std::string(s) +
                                            "' in '" + in.text + "'");
            return location(std::string(inner));
        };
        auto source = [&](std::string_view s) {
            Operand o;
            if (!s.empty() && s[0] == '$') {
                auto n = parse_int(s.substr(1));
                if (!n)
                    throw fail("malformed immediate '" + std::string(s) + "'");
                o.kind = Operand::Kind::Imm;
                o.imm = *n;
            } else if (auto r = x86_reg(s)) {
                o.kind = Operand::Kind::Reg;
                o.reg = *r;
            } else {
                throw fail("expected $N or a register, got '" + std::string(s) + "'");
            }
            return o;
        };
        if (auto loc = memory(ops[0])) {
            in.op = Op::Store;
            in.addr.loc = *loc;
            in.src1 = source(ops[1]);
        } else if (auto dst = x86_reg(ops[0])) {
            in.dst = *dst;
            if (auto src = memory(ops[1])) {
                in.op = Op::Load;
                in.addr.loc = *src;
            } else {
                in.op = Op::Mov;
                in.src1 = source(ops[1]);
            }
        } else {
            throw fail("expected [x] or a register, got '" + std::string(ops[0]) + "'");
        }
        return in;
    }

    // [locations [...]] then exists / ~exists / forall, with /\, \/, =>, ~ and parentheses.
    void condition(size_t i) {
        std::string region;
        for (size_t k = i; k < lines_.size(); ++k) {
            region += lines_[k];
            region += '\n';
        }
        toks_ = lex(region, lineno(i));
        p_ = 0;
        if (peek_ident("locations")) {
            ++p_;
            expect("[");
            while (tok().s != "]") {
                if (tok().k == Tok::K::End)
                    throw LitmusError(tok().line, "unterminated 'locations ['");
                std::optional<StateLoc> w = location_at(toks_, p_, toks_.size() - 1, tok().line);
                if (!w)
                    throw LitmusError(tok().line,
                                      "expected a location in 'locations', got '" + tok().s + "'");
                if (tok().k == Tok::K::Ident) // a type: `locations [x uint32_t;]`
                    ++p_;
                shown_.push_back(*w);
                if (tok().s == ";")
                    ++p_;
                else if (tok().s != "]")
                    throw LitmusError(tok().line, "expected ';' or ']' in 'locations'");
            }
            ++p_;
        }
        for (const char* kw : {"filter", "observed", "final", "scopes", "levels", "with"})
            if (peek_ident(kw))
                throw LitmusError(tok().line, std::string("unsupported construct '") + kw + "'");
        t_.condition_line = tok().line;
        if (tok().k == Tok::K::End) {
            // No condition: herd's `forall true`.
            t_.quantifier = Quantifier::Forall;
            t_.prop.kind = Prop::Kind::True;
            return;
        }
        if (peek_ident("exists")) {
            ++p_;
            t_.quantifier = Quantifier::Exists;
        } else if ((tok().s == "~" || peek_ident("not")) && toks_[p_ + 1].s == "exists") {
            p_ += 2;
            t_.quantifier = Quantifier::NotExists;
        } else if (peek_ident("forall")) {
            ++p_;
            t_.quantifier = Quantifier::Forall;
        } else if (tok().s == "(") {
            t_.quantifier = Quantifier::Exists;
        } else {
            throw LitmusError(tok().line,
                              "expected 'exists', '~exists' or 'forall', got '" + tok().s + "'");
        }
        t_.prop = prop_or();
        if (tok().s == ";")
            ++p_;
        if (peek_ident("with"))
            throw LitmusError(tok().line, "unsupported construct 'with'");
        if (tok().k != Tok::K::End)
            throw LitmusError(tok().line, "unexpected '" + tok().s + "' after the condition");
    }

    const Tok& tok() const { return toks_[p_]; }
    bool peek_ident(const char* s) const { return tok().k == Tok::K::Ident && tok().s == s; }
    void expect(const char* s) {
        if (tok().s != s)
            throw LitmusError(tok().line, std::string("expected '") + s + "', got '" +
                                              (tok().k == Tok::K::End ? "end of file" : tok().s) +
                                              "'");
        ++p_;
    }

    static Prop binary(Prop::Kind k, Prop a, Prop b) {
        Prop p;
        p.kind = k;
        p.kids.push_back(std::move(a));
        p.kids.push_back(std::move(b));
        return p;
    }

    // herd's precedence, loosest first: \/, /\, => (right), ~.
    Prop prop_or() {
        Prop p = prop_and();
        while (tok().s == "\\/") {
            ++p_;
            p = binary(Prop::Kind::Or, std::move(p), prop_and());
        }
        return p;
    }
    Prop prop_and() {
        Prop p = prop_implies();
        while (tok().s == "/\\") {
            ++p_;
            p = binary(Prop::Kind::And, std::move(p), prop_implies());
        }
        return p;
    }
    Prop prop_implies() {
        Prop p = prop_not();
        if (tok().s == "=>") {
            ++p_;
            p = binary(Prop::Kind::Implies, std::move(p), prop_implies());
        }
        return p;
    }
    Prop prop_not() {
        Prop p;
        if (tok().s == "~" || peek_ident("not")) {
            ++p_;
            p.kind = Prop::Kind::Not;
            p.kids.push_back(prop_not());
            return p;
        }
        if (tok().s == "(") {
            ++p_;
            p = prop_or();
            expect(")");
            return p;
        }
        if (peek_ident("true") || peek_ident("false")) {
            p.kind = tok().s == "true" ? Prop::Kind::True : Prop::Kind::False;
            ++p_;
            return p;
        }
        const int line = tok().line;
        std::optional<StateLoc> w = location_at(toks_, p_, toks_.size() - 1, line);
        if (!w)
            throw LitmusError(line, "expected a condition atom LOCATION=VALUE, got '" +
                                        (tok().k == Tok::K::End ? "end of file" : tok().s) + "'");
        const std::string op = tok().s;
        if (op != "=" && op != "==" && op != "!=")
            throw LitmusError(line, "expected '=' after " + state_loc_name(t_, *w));
        ++p_;
        if (tok().k != Tok::K::Num && tok().k != Tok::K::Ident)
            throw LitmusError(line, "expected a value after '" + op + "'");
        p.kind = Prop::Kind::Atom;
        p.where = *w;
        p.value = value_at(tok(), line);
        ++p_;
        shown_.push_back(*w);
        if (op == "!=") {
            Prop n;
            n.kind = Prop::Kind::Not;
            n.kids.push_back(std::move(p));
            return n;
        }
        return p;
    }

    void finish() {
        const int n = static_cast<int>(t_.threads.size());
        t_.init_regs.assign(t_.threads.size(), std::vector<Value>(kNumRegs));
        for (const RegInit& r : reg_inits_) {
            if (r.thread >= n)
                throw LitmusError(r.line, "the initial state names P" + std::to_string(r.thread) +
                                              ", and the test has " +
                                              threads_text(t_.threads.size()));
            t_.init_regs[r.thread][r.reg] = r.value;
        }
        for (const StateLoc& w : shown_)
            if (w.is_reg && w.thread >= n)
                throw LitmusError(t_.condition_line,
                                  "the condition names P" + std::to_string(w.thread) +
                                      ", and the test has " + threads_text(t_.threads.size()));
        std::sort(shown_.begin(), shown_.end(), [this](const StateLoc& a, const StateLoc& b) {
            return state_loc_less(t_, a, b);
        });
        shown_.erase(std::unique(shown_.begin(), shown_.end()), shown_.end());
        t_.shown = shown_;
    }

    std::string text_;
    std::vector<std::string_view> lines_;
    Test t_;
    std::map<std::string, int> loc_index_;
    std::set<int> initialised_;
    std::vector<RegInit> reg_inits_;
    std::vector<std::map<std::string, size_t>> labels_;
    std::vector<std::vector<Fixup>> fixups_;
    std::string label_;
    size_t brace_col_ = 0;
    std::vector<Tok> toks_;
    size_t p_ = 0;
    std::vector<StateLoc> shown_;
};

} // namespace

Test parse_litmus(std::string_view text, const std::string& file) {
    return Parser(text, file).run();
}

Test load_litmus(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw LitmusError(0, "cannot open file");
    std::ostringstream s;
    s << in.rdbuf();
    return parse_litmus(s.str(), path);
}

} // namespace ringside::ordering
