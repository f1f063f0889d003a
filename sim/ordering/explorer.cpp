// The race explorer's search (see explorer.hpp): paths, then coherence and reads-from one
// choice at a time, pruned by the two acyclicity axioms kept as transitive closures.
#include "explorer.hpp"

#include "litmus_check.hpp"
#include "models.hpp"

#include <algorithm>
#include <cstdio>

namespace ringside::ordering {

namespace {

// What a read's value must be for its thread to take the path: anything (slot, offset), the
// guard's value (the walk goes on), or anything else (the walk stops there).
enum class Rule : uint8_t { Any, Equal, NotEqual };

// One way a thread can run: how far its walk gets.
struct Path {
    std::vector<Event> events;
    std::vector<Rule> rule;
    std::vector<int64_t> want;
    ThreadOrder order;
};

// Every path of a thread: it completes units 0..stop-1 and, unless it completes them all,
// stops at unit stop's guard read (only a unit with a guard can stop it). The events are what
// the litmus engine's thread_runs makes of the same instructions: a conditional branch makes
// every later event control-dependent on the read it tested.
std::vector<Path> thread_paths(const RingProgram& p, int t, Model model) {
    const std::vector<RingStep>& steps = p.steps[t];
    std::vector<Path> out;
    for (int stop = 0; stop <= p.units[t]; ++stop) {
        if (stop < p.units[t]) {
            auto first = std::find_if(steps.begin(), steps.end(),
                                      [&](const RingStep& s) { return s.unit == stop; });
            if (first == steps.end() || !first->guard)
                continue;
        }
        Path path;
        uint64_t ctrl = 0;
        for (const RingStep& s : steps) {
            if (s.unit > stop || (s.unit == stop && !s.guard))
                break;
            Event e;
            e.kind = s.kind;
            e.thread = t;
            e.instr = s.instr;
            e.access = s.access;
            e.barrier = s.barrier;
            e.ctrl = ctrl;
            Rule rule = Rule::Any;
            if (s.kind == Event::Kind::Fence) {
                e.shareability = true; // DMB ISHST
            } else {
                e.loc = p.loc(s.field, s.entry);
                if (s.kind == Event::Kind::Write)
                    e.value = {s.value, -1};
                else if (s.guard)
                    rule = s.unit == stop ? Rule::NotEqual : Rule::Equal;
            }
            if (s.guard)
                ctrl |= uint64_t{1} << path.events.size();
            path.events.push_back(e);
            path.rule.push_back(rule);
            path.want.push_back(s.value);
        }
        ThreadRun run;
        run.events = path.events;
        path.order = model == Model::Tso ? tso_thread_order(run) : armv8_thread_order(run);
        out.push_back(std::move(path));
    }
    return out;
}

class Search {
  public:
    Search(const RingProgram& p, Model model,
           const std::function<void(const Execution&, const RingVerdict&)>& visit,
           ExploreResult& out)
        : p_(p), model_(model), visit_(visit), out_(out) {}

    void run() {
        std::array<std::vector<Path>, kActors> paths;
        for (int t = 0; t < kActors; ++t)
            paths[t] = thread_paths(p_, t, model_);
        for (size_t a = 0; a < paths[0].size(); ++a)
            for (size_t b = 0; b < paths[1].size(); ++b)
                for (size_t c = 0; c < paths[2].size(); ++c)
                    combo({&paths[0][a], &paths[1][b], &paths[2][c]},
                          {static_cast<int>(a), static_cast<int>(b), static_cast<int>(c)});
    }

  private:
    static constexpr uint64_t kMaxNodes = 50'000'000;

    struct Decision {
        bool co = false; // choose loc's coherence order, else event's reads-from
        int loc = -1;
        int event = -1;
    };

    // ---- closures: row a holds every b with a ->+ b
    bool reaches(const std::vector<uint64_t>& c, int a, int b) const {
        return (c[static_cast<size_t>(a * w_ + b / 64)] >> (b % 64)) & 1;
    }
    // Adds a -> b; false when it closes a cycle.
    bool add(std::vector<uint64_t>& c, int a, int b) {
        if (a == b || reaches(c, b, a))
            return false;
        if (reaches(c, a, b))
            return true;
        const uint64_t* rb = &c[static_cast<size_t>(b * w_)];
        const uint64_t bit = uint64_t{1} << (b % 64);
        for (int x = 0; x < n_; ++x) {
            if (x != a && !reaches(c, x, a))
                continue;
            uint64_t* rx = &c[static_cast<size_t>(x * w_)];
            for (int k = 0; k < w_; ++k)
                rx[k] |= rb[k];
            rx[b / 64] |= bit;
        }
        return true;
    }
    void save(size_t depth) {
        std::vector<uint64_t>& f = frames_[depth];
        std::copy(sc_.begin(), sc_.end(), f.begin());
        std::copy(ob_.begin(), ob_.end(), f.begin() + static_cast<long>(sc_.size()));
    }
    void restore(size_t depth) {
        const std::vector<uint64_t>& f = frames_[depth];
        std::copy(f.begin(), f.begin() + static_cast<long>(sc_.size()), sc_.begin());
        std::copy(f.begin() + static_cast<long>(sc_.size()), f.end(), ob_.begin());
    }
    void spend() {
        if (++out_.nodes > kMaxNodes)
            throw LitmusError(0, "more than " + std::to_string(kMaxNodes) +
                                     " choices; too big to explore");
    }

    void combo(const std::array<const Path*, kActors>& path, const std::array<int, kActors>& ids) {
        const int nlocs = static_cast<int>(p_.test.locations.size());
        Execution& x = x_;
        x.events.clear();
        x.first.clear();
        x.run.assign(ids.begin(), ids.end());
        rule_.clear();
        want_.clear();
        for (int l = 0; l < nlocs; ++l) {
            Event init;
            init.loc = l;
            init.value = p_.test.locations[l].init;
            x.events.push_back(init);
            rule_.push_back(Rule::Any);
            want_.push_back(0);
        }
        for (int t = 0; t < kActors; ++t) {
            x.first.push_back(static_cast<int>(x.events.size()));
            x.events.insert(x.events.end(), path[t]->events.begin(), path[t]->events.end());
            rule_.insert(rule_.end(), path[t]->rule.begin(), path[t]->rule.end());
            want_.insert(want_.end(), path[t]->want.begin(), path[t]->want.end());
        }
        x.first.push_back(static_cast<int>(x.events.size()));
        n_ = static_cast<int>(x.events.size());
        w_ = (n_ + 63) / 64;
        x.rf.assign(static_cast<size_t>(n_), -1);
        x.co.assign(static_cast<size_t>(nlocs), {});
        for (int l = 0; l < nlocs; ++l)
            x.co[l].push_back(l);

        // Each location's writes, per thread in program order; every read must have a write
        // of a value its path accepts, or this combination of paths has no execution.
        chains_.assign(static_cast<size_t>(nlocs), {});
        for (int e = nlocs; e < n_; ++e)
            if (x.events[e].kind == Event::Kind::Write)
                chains_[x.events[e].loc][x.events[e].thread].push_back(e);
        for (int r = nlocs; r < n_; ++r) {
            if (x.events[r].kind != Event::Kind::Read)
                continue;
            bool any = accepts(r, x.events[x.events[r].loc].value.num);
            for (const auto& chain : chains_[x.events[r].loc])
                for (int w : chain)
                    any = any || accepts(r, x.events[w].value.num);
            if (!any)
                return;
        }

        sc_.assign(static_cast<size_t>(n_ * w_), 0);
        ob_.assign(static_cast<size_t>(n_ * w_), 0);
        rr_.assign(static_cast<size_t>(n_), {});
        for (int t = 0; t < kActors; ++t) {
            const ThreadOrder& o = path[t]->order;
            const int base = x.first[t];
            for (size_t i = 0; i < o.po_loc.size(); ++i) {
                const int a = base + static_cast<int>(i);
                for (uint64_t m = o.po_loc[i]; m; m &= m - 1)
                    add(sc_, a, base + __builtin_ctzll(m));
                for (uint64_t m = o.local[i]; m; m &= m - 1)
                    add(ob_, a, base + __builtin_ctzll(m));
                if (model_ == Model::Armv8)
                    for (uint64_t m = o.rr_loc[i]; m; m &= m - 1)
                        rr_[static_cast<size_t>(a)].push_back(base + __builtin_ctzll(m));
            }
        }
        // Decisions: each flags word's coherence, then its reads; then slot and offset, whose
        // coherence is their one writer's program order.
        decisions_.clear();
        std::vector<int> order = p_.flags_loc;
        order.insert(order.end(), p_.slot_loc.begin(), p_.slot_loc.end());
        order.insert(order.end(), p_.offset_loc.begin(), p_.offset_loc.end());
        size_t depth = 1;
        for (int l : order) {
            int writers = 0;
            for (const auto& chain : chains_[l])
                writers += chain.empty() ? 0 : 1;
            if (writers > 1) {
                decisions_.push_back({true, l, -1});
                for (const auto& chain : chains_[l])
                    depth += chain.size();
            } else {
                for (const auto& chain : chains_[l])
                    for (int w : chain) {
                        if (!add(sc_, x.co[l].back(), w) || !add(ob_, x.co[l].back(), w))
                            return;
                        x.co[l].push_back(w);
                    }
            }
            for (int r = nlocs; r < n_; ++r)
                if (x.events[r].kind == Event::Kind::Read && x.events[r].loc == l)
                    decisions_.push_back({false, l, r});
        }
        depth += decisions_.size();
        if (frames_.size() < depth)
            frames_.resize(depth);
        for (std::vector<uint64_t>& f : frames_)
            f.resize(sc_.size() + ob_.size());
        decide(0, 0);
    }

    bool accepts(int r, int64_t v) const {
        switch (rule_[static_cast<size_t>(r)]) {
        case Rule::Any:
            return true;
        case Rule::Equal:
            return v == want_[static_cast<size_t>(r)];
        case Rule::NotEqual:
            return v != want_[static_cast<size_t>(r)];
        }
        return false;
    }

    void decide(size_t k, size_t depth) {
        if (k == decisions_.size())
            return leaf();
        const Decision& d = decisions_[k];
        if (d.co) {
            std::array<size_t, kActors> pos{};
            size_t left = 0;
            for (const auto& chain : chains_[d.loc])
                left += chain.size();
            place(k, depth, d.loc, pos, d.loc, left);
        } else {
            read(k, depth, d.event);
        }
    }

    // The next write in loc's coherence order, after `last`: the next of some thread's writes.
    void place(size_t k, size_t depth, int loc, std::array<size_t, kActors>& pos, int last,
               size_t left) {
        if (left == 0)
            return decide(k + 1, depth);
        save(depth);
        bool tried = false;
        for (int t = 0; t < kActors; ++t) {
            const std::vector<int>& chain = chains_[loc][t];
            if (pos[t] >= chain.size())
                continue;
            if (tried)
                restore(depth);
            tried = true;
            spend();
            const int w = chain[pos[t]];
            // co, and in the model's relation: coe (x86tso and aarch64), coi (x86tso; aarch64
            // has it already, as lws, for every coherence order that keeps program order).
            if (!add(sc_, last, w) || !add(ob_, last, w))
                continue;
            x_.co[loc].push_back(w);
            ++pos[t];
            place(k, depth + 1, loc, pos, w, left - 1);
            --pos[t];
            x_.co[loc].pop_back();
        }
    }

    // Which write read r reads from.
    void read(size_t k, size_t depth, int r) {
        Event& e = x_.events[r];
        const std::vector<int>& co = x_.co[e.loc];
        save(depth);
        bool tried = false;
        for (size_t i = 0; i < co.size(); ++i) {
            const int w = co[i];
            if (!accepts(r, x_.events[w].value.num))
                continue;
            if (tried)
                restore(depth);
            tried = true;
            spend();
            const bool external = x_.events[w].thread != e.thread;
            bool ok = add(sc_, w, r) && (!external || add(ob_, w, r)); // rf; rfe
            // fr: r is before the write that follows w in coherence, so before all later ones.
            // Internal fr is in the model's relation for x86tso and, as lws, for aarch64 (or
            // it breaks SC per location, and the first add says so); so is aarch64's
            // Exp-haz-ob from r's po-earlier reads of the location.
            if (ok && i + 1 < co.size()) {
                const int next = co[i + 1];
                ok = add(sc_, r, next) && add(ob_, r, next);
                for (int r0 : rr_[static_cast<size_t>(r)])
                    ok = ok && add(ob_, r0, next);
            }
            if (!ok)
                continue;
            x_.rf[r] = w;
            e.value = x_.events[w].value;
            decide(k + 1, depth + 1);
        }
        x_.rf[r] = -1;
    }

    void leaf() {
        const RingVerdict v = judge(p_, x_);
        ++out_.executions;
        out_.losing += v.loses() ? 1 : 0;
        out_.misattributing += v.misattributes() ? 1 : 0;
        out_.bad += v.bad() ? 1 : 0;
        // The clearest witness of each race: one that shows this race alone, then one whose
        // wrong value another push wrote (a stale read of the previous lap, as ordering.md
        // tells it, rather than of the ring's initial zeros), then the fewest pages hurt; the
        // first found among equals.
        const int hurt = __builtin_popcount(v.lost | v.unarmed | v.misattributed);
        for (int r = 0; r < kRingRaces; ++r) {
            if (!v.has(static_cast<RingRace>(r)))
                continue;
            const int score =
                (v.races == (1u << r) ? 0 : 1000) + ((v.from_zero >> r) & 1 ? 100 : 0) + hurt;
            if (out_.by_race[r]++ == 0 || score < best_score_[r]) {
                best_score_[r] = score;
                best_[r] = x_;
            }
        }
        if (visit_)
            visit_(x_, v);
    }

  public:
    void witnesses() {
        for (int r = 0; r < kRingRaces; ++r)
            if (out_.by_race[r])
                out_.witnesses.push_back(make_witness(p_, best_[r], static_cast<RingRace>(r)));
    }

  private:
    const RingProgram& p_;
    Model model_;
    const std::function<void(const Execution&, const RingVerdict&)>& visit_;
    ExploreResult& out_;

    Execution x_;
    int n_ = 0, w_ = 1;
    std::vector<Rule> rule_;
    std::vector<int64_t> want_;
    std::vector<std::array<std::vector<int>, kActors>> chains_;
    std::vector<std::vector<int>> rr_;
    std::vector<uint64_t> sc_, ob_;
    std::vector<std::vector<uint64_t>> frames_;
    std::vector<Decision> decisions_;
    std::array<Execution, kRingRaces> best_;
    std::array<int, kRingRaces> best_score_{};
};

std::string pad(std::string s, size_t width) {
    if (s.size() < width)
        s.resize(width, ' ');
    return s;
}

} // namespace

ExploreResult explore(const RingProgram& p,
                      const std::function<void(const Execution&, const RingVerdict&)>& visit) {
    ExploreResult out;
    out.model = default_model(p.test);
    Search search(p, out.model, visit, out);
    search.run();
    search.witnesses();
    return out;
}

RingWitness make_witness(const RingProgram& p, const Execution& x, RingRace race) {
    RingWitness w;
    w.race = race;
    w.verdict = judge(p, x);
    w.story = explain(p, x, w.verdict);
    w.view = view_of(x, default_model(p.test));
    std::vector<int> number(x.events.size(), 0); // event -> step number, 1-based
    for (size_t i = 0; i < w.view.steps.size(); ++i)
        number[static_cast<size_t>(w.view.steps[i])] = static_cast<int>(i + 1);
    for (int e : w.view.steps) {
        const Event& ev = x.events[static_cast<size_t>(e)];
        const RingStep* st = p.step(ev);
        WitnessStep s;
        s.event = e;
        s.actor = static_cast<Actor>(ev.thread);
        s.kind = ev.kind;
        s.location = p.loc_name(ev.loc);
        s.value = ev.value.num;
        s.instruction =
            p.test.threads[static_cast<size_t>(ev.thread)].code[static_cast<size_t>(ev.instr)].text;
        if (st) {
            s.entry = st->entry;
            s.lap = st->lap;
            s.function = st->function;
            s.primitive = st->primitive;
        }
        if (ev.kind == Event::Kind::Read) {
            const int src = x.rf[static_cast<size_t>(e)];
            s.from = src < 0 ? 0 : number[static_cast<size_t>(src)];
            s.forwarded = s.from > number[static_cast<size_t>(e)];
        }
        w.steps.push_back(std::move(s));
    }
    return w;
}

std::string explore_report(const RingProgram& p, const ExploreResult& r, const RingRace* show) {
    std::string out;
    auto line = [&](const std::string& s) { out += s + "\n"; };
    const RingSetup& s = p.setup;
    line("explore " + setup_text(s));
    line(std::string("model: ") +
         (r.model == Model::Tso ? "x86-TSO (x86tso.cat)" : "ARMv8 (aarch64.cat)") +
         "; kernel reset: " +
         (s.patches.plain_reset ? "plain flags accesses (patch plain-reset, as 5.11-6.0)"
                                : "smp_load_acquire / smp_store_release (6.1+)") +
         "; push: " + (s.patches.no_wmb ? "no smp_wmb (patch no-wmb)" : "smp_wmb"));
    line("executions: " + std::to_string(r.executions));
    line("lose a dirty page: " + std::to_string(r.losing));
    line("misattribute a dirty page: " + std::to_string(r.misattributing));
    line("bad: " + std::to_string(r.bad));
    for (int k = 0; k < kRingRaces; ++k) {
        const RingRace race = static_cast<RingRace>(k);
        line("  " + pad(race_name(race), 12) + " " + pad(std::to_string(r.by_race[k]), 8) + " " +
             race_summary(race));
    }
    const RingWitness* w =
        show ? r.witness(*show) : (r.witnesses.empty() ? nullptr : &r.witnesses[0]);
    if (!w) {
        line(show ? std::string("witness: none (no execution has ") + race_name(*show) + ")"
                  : "witness: none (no execution loses or misattributes a dirty page)");
        return out;
    }
    line(std::string("witness: ") + race_name(w->race));
    size_t start = 0;
    while (start <= w->story.size()) {
        const size_t end = w->story.find('\n', start);
        line("  " + w->story.substr(start, end - start));
        if (end == std::string::npos)
            break;
        start = end + 1;
    }
    std::array<size_t, 5> width{};
    auto cells = [&](const WitnessStep& st, size_t i) {
        std::string what = st.kind == Event::Kind::Write ? "writes " + std::to_string(st.value)
                                                         : "reads " + std::to_string(st.value);
        if (st.kind == Event::Kind::Read)
            what += st.from == 0 ? " (initial)"
                                 : " from step " + std::to_string(st.from) +
                                       (st.forwarded ? " (its own store, forwarded)" : "");
        return std::array<std::string, 6>{std::to_string(i + 1) + ".",
                                          actor_name(st.actor),
                                          st.function,
                                          st.instruction,
                                          st.location,
                                          what};
    };
    for (size_t i = 0; i < w->steps.size(); ++i) {
        const auto c = cells(w->steps[i], i);
        for (size_t k = 0; k < width.size(); ++k)
            width[k] = std::max(width[k], c[k].size());
    }
    for (size_t i = 0; i < w->steps.size(); ++i) {
        const auto c = cells(w->steps[i], i);
        std::string l = "  ";
        for (size_t k = 0; k < width.size(); ++k)
            l += (k == 0 ? std::string(width[0] - c[0].size(), ' ') + c[0] : pad(c[k], width[k])) +
                 "  ";
        line(l + c[5]);
    }
    return out;
}

} // namespace ringside::ordering
