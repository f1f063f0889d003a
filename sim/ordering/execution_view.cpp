#include "execution_view.hpp"

#include "models.hpp"

#include <tuple>

namespace ringside::ordering {

namespace {

std::string state_text(const Test& test, const std::vector<std::vector<ThreadRun>>& runs,
                       const Execution& x) {
    std::string s;
    for (const StateLoc& where : test.shown)
        s += state_loc_name(test, where) + "=" +
             value_text(test, final_value(test, runs, x, where)) + "; ";
    if (!s.empty())
        s.pop_back();
    return s;
}

// Kahn's algorithm over the model's relation, preferring the event earliest in its thread
// (then the lowest thread): program order wherever the model leaves a choice, so the places
// where the sequence departs from it are the reorderings the model allows. Under TSO reads go
// first: a store waits in its store buffer until something needs it out.
std::vector<int> linearise(const Execution& x, const Relation& r, bool reads_first) {
    const int n = static_cast<int>(x.events.size());
    std::vector<int> indegree(static_cast<size_t>(n), 0);
    for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b)
            if (r.has(a, b))
                ++indegree[static_cast<size_t>(b)];
    std::vector<bool> placed(static_cast<size_t>(n), false);
    std::vector<int> out;
    for (int round = 0; round < n; ++round) {
        int best = -1;
        for (int e = 0; e < n; ++e) {
            if (placed[static_cast<size_t>(e)] || indegree[static_cast<size_t>(e)] > 0)
                continue;
            const Event& ev = x.events[static_cast<size_t>(e)];
            if (best < 0) {
                best = e;
                continue;
            }
            const Event& bv = x.events[static_cast<size_t>(best)];
            const auto key = [&](const Event& v, int i) {
                if (v.thread < 0)
                    return std::tuple<int, int, int>{-1, -1, i};
                const int late = reads_first && v.kind == Event::Kind::Write;
                return std::tuple<int, int, int>{late, x.local(i), v.thread};
            };
            if (key(ev, e) < key(bv, best))
                best = e;
        }
        if (best < 0)
            break; // a cycle: the model forbids this execution (never for an allowed one)
        placed[static_cast<size_t>(best)] = true;
        for (int b = 0; b < n; ++b)
            if (r.has(best, b))
                --indegree[static_cast<size_t>(b)];
        const Event& ev = x.events[static_cast<size_t>(best)];
        if (ev.thread >= 0 && ev.is_mem())
            out.push_back(best);
    }
    return out;
}

void add_edges(ExecutionView& v, const std::vector<const ThreadOrder*>& order) {
    const Execution& x = v.x;
    const int n = static_cast<int>(x.events.size());
    for (int e = 0; e < n; ++e)
        if (x.rf[static_cast<size_t>(e)] >= 0)
            v.rf.emplace_back(x.rf[static_cast<size_t>(e)], e);
    for (const std::vector<int>& writes : x.co)
        for (size_t i = 1; i < writes.size(); ++i)
            v.co.emplace_back(writes[i - 1], writes[i]);
    // A read is before the write that immediately follows, in coherence, the one it read.
    for (int e = 0; e < n; ++e) {
        const int w = x.rf[static_cast<size_t>(e)];
        if (w < 0)
            continue;
        const std::vector<int>& writes = x.co[static_cast<size_t>(x.events[size_t(e)].loc)];
        for (size_t i = 0; i + 1 < writes.size(); ++i)
            if (writes[i] == w &&
                x.events[size_t(writes[i + 1])].thread != x.events[size_t(e)].thread)
                v.fr.emplace_back(e, writes[i + 1]);
    }
    // Between each memory access and the next one in its thread: does the model keep them
    // in order?
    for (size_t t = 0; t + 1 < x.first.size(); ++t) {
        int prev = -1;
        for (int e = x.first[t]; e < x.first[t + 1]; ++e) {
            if (!x.events[static_cast<size_t>(e)].is_mem())
                continue;
            if (prev >= 0 &&
                (order[t]->local[static_cast<size_t>(x.local(prev))] >> x.local(e)) & 1)
                v.ordered.emplace_back(prev, e);
            prev = e;
        }
    }
}

} // namespace

ExecutionViews allowed_executions(const Test& test, Model model, size_t limit) {
    ExecutionViews out;
    out.model = model;
    const std::vector<std::vector<ThreadRun>> runs = thread_runs(test);
    std::vector<std::vector<ThreadOrder>> orders(runs.size());
    for (size_t t = 0; t < runs.size(); ++t)
        for (const ThreadRun& r : runs[t])
            orders[t].push_back(model == Model::Tso ? tso_thread_order(r) : armv8_thread_order(r));
    std::vector<const ThreadOrder*> order(runs.size());
    out.result = check_litmus(test, model, [&](const Execution& x, bool allowed) {
        if (!allowed)
            return;
        if (out.allowed.size() >= limit) {
            out.truncated = true;
            return;
        }
        for (size_t t = 0; t < runs.size(); ++t)
            order[t] = &orders[t][static_cast<size_t>(x.run[t])];
        ExecutionView v;
        v.x = x;
        v.outcome = holds(test, runs, x, test.prop);
        v.state = state_text(test, runs, x);
        v.steps = model == Model::Tso ? linearise(x, tso_ghb(x, order), true)
                                      : linearise(x, armv8_ob(x, order), false);
        add_edges(v, order);
        out.allowed.push_back(std::move(v));
    });
    return out;
}

ExecutionView view_of(const Execution& x, Model model) {
    const size_t threads = x.first.size() - 1;
    std::vector<ThreadOrder> orders;
    for (size_t t = 0; t < threads; ++t) {
        ThreadRun r;
        r.events.assign(x.events.begin() + x.first[t], x.events.begin() + x.first[t + 1]);
        orders.push_back(model == Model::Tso ? tso_thread_order(r) : armv8_thread_order(r));
    }
    std::vector<const ThreadOrder*> order;
    for (const ThreadOrder& o : orders)
        order.push_back(&o);
    ExecutionView v;
    v.x = x;
    v.steps = model == Model::Tso ? linearise(x, tso_ghb(x, order), true)
                                  : linearise(x, armv8_ob(x, order), false);
    add_edges(v, order);
    return v;
}

int first_with_outcome(const ExecutionViews& v) {
    for (size_t i = 0; i < v.allowed.size(); ++i)
        if (v.allowed[i].outcome)
            return static_cast<int>(i);
    return -1;
}

std::string thread_name(int thread) {
    return thread < 0 ? "init" : "P" + std::to_string(thread);
}

std::string step_text(const Test& test, const ExecutionView& v, Model model, int event) {
    const Execution& x = v.x;
    const Event& e = x.events[static_cast<size_t>(event)];
    const std::string who = thread_name(e.thread);
    const std::string instr = test.threads[size_t(e.thread)].code[size_t(e.instr)].text;
    const std::string loc = test.locations[static_cast<size_t>(e.loc)].name;
    const std::string head = who + ": " + instr + " — ";
    if (e.kind == Event::Kind::Write)
        return head + loc + " = " + value_text(test, e.value) +
               (model == Model::Tso ? " leaves " + who + "'s store buffer: every CPU sees it"
                                    : " becomes visible to the other CPUs");
    const int w = x.rf[static_cast<size_t>(event)];
    const Event& src = x.events[static_cast<size_t>(w)];
    std::string text = head + "reads " + loc + " = " + value_text(test, e.value);
    if (src.thread < 0)
        return text + ", the initial value";
    if (src.thread == e.thread) {
        // Forwarded when the read comes before its own store is visible to others.
        for (int s : v.steps) {
            if (s == w)
                return text + " from its own earlier store";
            if (s == event)
                return text + " from its own store, forwarded before the others can see it";
        }
    }
    return text + ", written by " + thread_name(src.thread) + " (" +
           test.threads[size_t(src.thread)].code[size_t(src.instr)].text + ")";
}

} // namespace ringside::ordering
