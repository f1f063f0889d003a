// Thread runs and candidate executions (herd7's event structures, then its rf and co choices).
#include "execution.hpp"

#include <algorithm>

namespace ringside::ordering {

namespace {

// A W register holds 32 bits; herd's values are signed, so they read back sign-extended.
Value narrow(Value v, bool wide) {
    if (!wide && v.sym < 0)
        v.num = static_cast<int32_t>(static_cast<uint32_t>(v.num));
    return v;
}

struct RegVal {
    Value v;
    uint64_t deps = 0; // reads (by position) whose values reach this register
};

// Runs one thread's code, forking at every read on each value its location may hold.
class Explorer {
  public:
    Explorer(const Test& test, int thread, const std::vector<std::vector<Value>>& domains,
             std::vector<ThreadRun>& out)
        : test_(test), thread_(thread), domains_(domains), out_(out) {}

    void start() {
        State s;
        s.regs.resize(kNumRegs);
        for (int r = 0; r < kNumRegs; ++r)
            s.regs[r].v = test_.init_regs[thread_][r];
        s.last_write.assign(test_.locations.size(), -1);
        run(std::move(s));
    }

  private:
    struct State {
        std::vector<RegVal> regs;
        size_t pc = 0;
        uint64_t ctrl = 0; // reads that a conditional branch already passed depends on
        std::vector<Event> events;
        std::vector<int> last_write; // per location: position of the latest write, or -1
    };

    static constexpr size_t kMaxRuns = 200000;

    RegVal get(const State& s, const Operand& o) const {
        if (o.kind == Operand::Kind::Imm)
            return {{o.imm, -1}, 0};
        if (o.kind == Operand::Kind::None || o.reg == kZeroReg)
            return {};
        return s.regs[o.reg];
    }
    RegVal reg(const State& s, int r) const {
        Operand o;
        o.kind = Operand::Kind::Reg;
        o.reg = r;
        return get(s, o);
    }
    static void set(State& s, int r, RegVal v) {
        if (r != kZeroReg)
            s.regs[r] = v;
    }

    void finish(State& s, std::string fault = {}, int line = 0) {
        if (out_.size() >= kMaxRuns)
            throw LitmusError(0, "P" + std::to_string(thread_) + " has more than " +
                                     std::to_string(kMaxRuns) + " paths; too big to check");
        ThreadRun r;
        r.events = std::move(s.events);
        r.regs.reserve(kNumRegs);
        for (const RegVal& v : s.regs)
            r.regs.push_back(v.v);
        r.fault = std::move(fault);
        r.fault_line = line;
        out_.push_back(std::move(r));
    }

    Event event(const State& s, const Instr& in, Event::Kind kind) const {
        if (s.events.size() >= static_cast<size_t>(kMaxThreadEvents))
            throw LitmusError(in.line, "P" + std::to_string(thread_) + " makes more than " +
                                           std::to_string(kMaxThreadEvents) + " accesses");
        Event e;
        e.kind = kind;
        e.thread = thread_;
        e.instr = static_cast<int>(s.pc);
        e.access = in.access;
        e.barrier = in.barrier;
        e.shareability = in.shareability;
        e.ctrl = s.ctrl;
        return e;
    }

    // The location an access names, and the reads its address depends on; false when the
    // address is not one of the test's locations.
    bool locate(const State& s, const Instr& in, int& loc, uint64_t& deps, std::string& why) {
        if (in.addr.loc >= 0) {
            loc = in.addr.loc;
            deps = 0;
            return true;
        }
        const RegVal base = reg(s, in.addr.base);
        Value a = base.v;
        deps = base.deps;
        a.num += in.addr.offset;
        if (in.addr.index >= 0) {
            const RegVal idx = reg(s, in.addr.index);
            deps |= idx.deps;
            Value i = in.addr.sxtw ? narrow(idx.v, false) : idx.v;
            if (i.sym >= 0 && a.sym >= 0) {
                why = "adds two addresses";
                return false;
            }
            a.sym = std::max(a.sym, i.sym);
            a.num =
                static_cast<int64_t>(static_cast<uint64_t>(a.num) + static_cast<uint64_t>(i.num));
        }
        if (a.sym < 0 || a.num != 0) {
            why = "accesses " + value_text(test_, a) + ", which is not a location of the test";
            return false;
        }
        loc = a.sym;
        return true;
    }

    void run(State s) {
        const std::vector<Instr>& code = test_.threads[thread_].code;
        while (s.pc < code.size()) {
            const Instr& in = code[s.pc];
            switch (in.op) {
            case Op::Load: {
                int loc;
                uint64_t adeps;
                std::string why;
                if (!locate(s, in, loc, adeps, why))
                    return finish(s, "P" + std::to_string(thread_) + " " + why, in.line);
                Event e = event(s, in, Event::Kind::Read);
                e.loc = loc;
                e.addr = adeps;
                const int pos = static_cast<int>(s.events.size());
                // dtrm: the loaded value depends on the read itself, on its address, and
                // (lrs) on whatever the po-previous store to this location depended on.
                uint64_t deps = (uint64_t{1} << pos) | adeps;
                if (const int w = s.last_write[loc]; w >= 0)
                    deps |= s.events[w].addr | s.events[w].data;
                for (const Value& v : domains_[loc]) {
                    State n = s;
                    e.value = v;
                    n.events.push_back(e);
                    set(n, in.dst, {narrow(v, in.wide), deps});
                    ++n.pc;
                    run(std::move(n));
                }
                return;
            }
            case Op::Store: {
                int loc;
                uint64_t adeps;
                std::string why;
                if (!locate(s, in, loc, adeps, why))
                    return finish(s, "P" + std::to_string(thread_) + " " + why, in.line);
                Event e = event(s, in, Event::Kind::Write);
                const RegVal v = get(s, in.src1);
                e.loc = loc;
                e.value = narrow(v.v, in.wide);
                e.addr = adeps;
                e.data = v.deps;
                s.last_write[loc] = static_cast<int>(s.events.size());
                s.events.push_back(e);
                break;
            }
            case Op::Fence:
                s.events.push_back(event(s, in, Event::Kind::Fence));
                break;
            case Op::Mov: {
                const RegVal v = get(s, in.src1);
                set(s, in.dst, {narrow(v.v, in.wide), v.deps});
                break;
            }
            case Op::Eor:
            case Op::Add: {
                const RegVal a = get(s, in.src1), b = get(s, in.src2);
                Value r;
                const bool address = a.v.sym >= 0 || b.v.sym >= 0;
                if (in.op == Op::Eor && a.v == b.v) {
                    r = {}; // x EOR x is 0, addresses included: herd's false-dependency idiom
                } else if (address && (in.op == Op::Eor || (a.v.sym >= 0 && b.v.sym >= 0))) {
                    return finish(s, "P" + std::to_string(thread_) + " computes with an address",
                                  in.line);
                } else {
                    const auto x = static_cast<uint64_t>(a.v.num),
                               y = static_cast<uint64_t>(b.v.num);
                    r.num = static_cast<int64_t>(in.op == Op::Eor ? x ^ y : x + y);
                    r.sym = std::max(a.v.sym, b.v.sym);
                }
                set(s, in.dst, {narrow(r, in.wide), a.deps | b.deps});
                break;
            }
            case Op::Cmp: {
                const RegVal a = get(s, in.src1), b = get(s, in.src2);
                set(s, kFlagsReg, {{a.v == b.v ? 1 : 0, -1}, a.deps | b.deps});
                break;
            }
            case Op::Branch: {
                bool taken = true;
                if (in.cond == Cond::Eq || in.cond == Cond::Ne) {
                    const RegVal z = s.regs[kFlagsReg];
                    s.ctrl |= z.deps;
                    taken = (z.v.num == 1) == (in.cond == Cond::Eq);
                } else if (in.cond != Cond::Always) {
                    const RegVal v = get(s, in.src1);
                    s.ctrl |= v.deps;
                    taken = (v.v == Value{}) == (in.cond == Cond::Zero);
                }
                if (taken) {
                    s.pc = static_cast<size_t>(in.target);
                    continue;
                }
                break;
            }
            }
            ++s.pc;
        }
        finish(s);
    }

    const Test& test_;
    int thread_;
    const std::vector<std::vector<Value>>& domains_;
    std::vector<ThreadRun>& out_;
};

} // namespace

std::vector<std::vector<ThreadRun>> thread_runs(const Test& test) {
    std::vector<std::vector<Value>> domains;
    for (const Location& l : test.locations)
        domains.push_back({l.init});
    // A value that keeps growing (a thread stores what it read plus one) overflows the value
    // limit before the rounds run out, so the error names the store that grows it.
    constexpr size_t kMaxValues = 64;
    constexpr int kMaxRounds = static_cast<int>(kMaxValues) + 2;
    for (int round = 0; round < kMaxRounds; ++round) {
        std::vector<std::vector<ThreadRun>> runs(test.threads.size());
        for (size_t t = 0; t < test.threads.size(); ++t)
            Explorer(test, static_cast<int>(t), domains, runs[t]).start();
        bool grew = false;
        for (const auto& thread : runs)
            for (const ThreadRun& r : thread)
                for (const Event& e : r.events) {
                    if (e.kind != Event::Kind::Write)
                        continue;
                    auto& d = domains[e.loc];
                    if (std::find(d.begin(), d.end(), e.value) != d.end())
                        continue;
                    d.push_back(e.value);
                    grew = true;
                    if (d.size() > kMaxValues)
                        throw LitmusError(test.threads[e.thread].code[e.instr].line,
                                          "more than " + std::to_string(kMaxValues) +
                                              " different values may be written to " +
                                              test.locations[e.loc].name + "; too big to check");
                }
        if (!grew)
            return runs;
    }
    throw LitmusError(0, "the values the threads may write never settle");
}

namespace {

// The coherence orders of one location's writes that agree with each thread's program order
// (coherence against po is CoWW, which both models forbid).
std::vector<std::vector<int>> coherence_orders(const Execution& x, std::vector<int> writes) {
    std::vector<std::vector<int>> out;
    std::sort(writes.begin(), writes.end());
    do {
        bool ok = true;
        for (size_t i = 0; i < writes.size() && ok; ++i)
            for (size_t j = i + 1; j < writes.size() && ok; ++j)
                ok = !(x.events[writes[i]].thread == x.events[writes[j]].thread &&
                       writes[i] > writes[j]);
        if (ok)
            out.push_back(writes);
    } while (std::next_permutation(writes.begin(), writes.end()));
    return out;
}

// Advances a mixed-radix counter; false when it wraps around.
bool next(std::vector<size_t>& digit, const std::vector<size_t>& radix) {
    for (size_t i = 0; i < digit.size(); ++i) {
        if (++digit[i] < radix[i])
            return true;
        digit[i] = 0;
    }
    return false;
}

} // namespace

void for_each_candidate(const Test& test, const std::vector<std::vector<ThreadRun>>& runs,
                        const std::function<void(const Execution&)>& visit) {
    const size_t nthreads = runs.size(), nlocs = test.locations.size();
    std::vector<size_t> pick(nthreads, 0), nruns(nthreads);
    for (size_t t = 0; t < nthreads; ++t)
        nruns[t] = runs[t].size();
    // A budget, so that a test far beyond litmus size is an error rather than a hang.
    constexpr uint64_t kMaxWork = 20'000'000;
    uint64_t work = 0;
    auto spend = [&] {
        if (++work > kMaxWork)
            throw LitmusError(0, "more than " + std::to_string(kMaxWork) +
                                     " candidate executions; too big to check");
    };
    Execution x;
    do {
        spend();
        x.events.clear();
        x.first.clear();
        x.run.assign(pick.begin(), pick.end());
        for (size_t l = 0; l < nlocs; ++l) {
            Event init;
            init.loc = static_cast<int>(l);
            init.value = test.locations[l].init;
            x.events.push_back(init);
        }
        const ThreadRun* faulty = nullptr;
        for (size_t t = 0; t < nthreads; ++t) {
            const ThreadRun& r = runs[t][pick[t]];
            x.first.push_back(static_cast<int>(x.events.size()));
            x.events.insert(x.events.end(), r.events.begin(), r.events.end());
            if (!r.fault.empty())
                faulty = &r;
        }
        x.first.push_back(static_cast<int>(x.events.size()));
        const int n = static_cast<int>(x.events.size());

        // Reads-from: a write of the read's location and value. Never a po-later write of the
        // read's own thread (CoRW1), nor one that a po-earlier write of its own thread to the
        // same location hides (CoWR): both models forbid those.
        std::vector<int> reads;
        std::vector<std::vector<int>> sources;
        bool possible = true;
        for (int r = 0; r < n && possible; ++r) {
            const Event& e = x.events[r];
            if (e.kind != Event::Kind::Read)
                continue;
            int own = -1; // the po-latest write of this thread to this location before r
            for (int w = x.first[e.thread]; w < r; ++w)
                if (x.events[w].kind == Event::Kind::Write && x.events[w].loc == e.loc)
                    own = w;
            std::vector<int> from;
            for (int w = 0; w < n; ++w) {
                const Event& f = x.events[w];
                if (f.kind != Event::Kind::Write || f.loc != e.loc || !(f.value == e.value))
                    continue;
                if (f.thread == e.thread && w != own)
                    continue;
                if (own >= 0 && f.thread < 0)
                    continue;
                from.push_back(w);
            }
            possible = !from.empty();
            reads.push_back(r);
            sources.push_back(std::move(from));
        }
        if (!possible)
            continue;
        if (faulty)
            throw LitmusError(faulty->fault_line, faulty->fault);

        std::vector<std::vector<std::vector<int>>> orders(nlocs);
        for (size_t l = 0; l < nlocs; ++l) {
            std::vector<int> writes;
            for (int w = static_cast<int>(nlocs); w < n; ++w)
                if (x.events[w].kind == Event::Kind::Write &&
                    x.events[w].loc == static_cast<int>(l))
                    writes.push_back(w);
            orders[l] = coherence_orders(x, writes);
        }
        std::vector<size_t> digit(reads.size() + nlocs, 0), radix;
        for (const auto& s : sources)
            radix.push_back(s.size());
        for (const auto& o : orders)
            radix.push_back(o.size());
        x.rf.assign(static_cast<size_t>(n), -1);
        x.co.assign(nlocs, {});
        do {
            for (size_t i = 0; i < reads.size(); ++i)
                x.rf[reads[i]] = sources[i][digit[i]];
            for (size_t l = 0; l < nlocs; ++l) {
                auto& co = x.co[l];
                co.assign(1, static_cast<int>(l));
                const auto& o = orders[l][digit[reads.size() + l]];
                co.insert(co.end(), o.begin(), o.end());
            }
            spend();
            visit(x);
        } while (next(digit, radix));
    } while (next(pick, nruns));
}

} // namespace ringside::ordering
