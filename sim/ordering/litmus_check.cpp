// The exhaustive checker: every thread run, every reads-from and coherence choice, the model's
// verdict on each, and herd7's tally of the allowed ones.
#include "litmus_check.hpp"

#include "models.hpp"

#include <algorithm>

namespace ringside::ordering {

bool CheckResult::validated(Quantifier q) const {
    switch (q) {
    case Quantifier::Exists:
        return positive > 0;
    case Quantifier::NotExists:
        return positive == 0;
    case Quantifier::Forall:
        return negative == 0;
    }
    return false;
}

Model default_model(const Test& test) {
    return test.arch == Arch::X86 ? Model::Tso : Model::Armv8;
}

Value final_value(const Test&, const std::vector<std::vector<ThreadRun>>& runs, const Execution& x,
                  const StateLoc& where) {
    if (where.is_reg)
        return runs[where.thread][x.run[where.thread]].regs[where.reg];
    return x.final_value(where.loc);
}

bool holds(const Test& test, const std::vector<std::vector<ThreadRun>>& runs, const Execution& x,
           const Prop& p) {
    switch (p.kind) {
    case Prop::Kind::True:
        return true;
    case Prop::Kind::False:
        return false;
    case Prop::Kind::Atom:
        return final_value(test, runs, x, p.where) == p.value;
    case Prop::Kind::Not:
        return !holds(test, runs, x, p.kids[0]);
    case Prop::Kind::And:
        return holds(test, runs, x, p.kids[0]) && holds(test, runs, x, p.kids[1]);
    case Prop::Kind::Or:
        return holds(test, runs, x, p.kids[0]) || holds(test, runs, x, p.kids[1]);
    case Prop::Kind::Implies:
        return !holds(test, runs, x, p.kids[0]) || holds(test, runs, x, p.kids[1]);
    }
    return false;
}

CheckResult check_litmus(const Test& test, Model model) {
    return check_litmus(test, model, nullptr);
}

CheckResult check_litmus(const Test& test, Model model,
                         const std::function<void(const Execution&, bool allowed)>& visit) {
    const std::vector<std::vector<ThreadRun>> runs = thread_runs(test);
    // What the model orders inside each run is fixed by the run: work it out once.
    std::vector<std::vector<ThreadOrder>> orders(runs.size());
    for (size_t t = 0; t < runs.size(); ++t)
        for (const ThreadRun& r : runs[t])
            orders[t].push_back(model == Model::Tso ? tso_thread_order(r) : armv8_thread_order(r));
    CheckResult res;
    res.model = model;
    auto less = [&](const std::vector<Value>& a, const std::vector<Value>& b) {
        for (size_t i = 0; i < a.size(); ++i)
            if (const int c = value_compare(test, a[i], b[i]); c != 0)
                return c < 0;
        return false;
    };
    std::vector<const ThreadOrder*> order(runs.size());
    std::vector<Value> state(test.shown.size());
    for_each_candidate(test, runs, [&](const Execution& x) {
        ++res.candidates;
        for (size_t t = 0; t < runs.size(); ++t)
            order[t] = &orders[t][x.run[t]];
        const bool allowed = model == Model::Tso ? tso_allows(x, order) : armv8_allows(x, order);
        if (visit)
            visit(x, allowed);
        if (!allowed)
            return;
        (holds(test, runs, x, test.prop) ? res.positive : res.negative)++;
        for (size_t i = 0; i < test.shown.size(); ++i)
            state[i] = final_value(test, runs, x, test.shown[i]);
        auto it = std::lower_bound(res.states.begin(), res.states.end(), state, less);
        if (it == res.states.end() || less(state, *it))
            res.states.insert(it, state);
        if (model == Model::Armv8)
            for (const Event& e : x.events)
                res.shareability_flag =
                    res.shareability_flag || (e.kind == Event::Kind::Fence && e.shareability);
    });
    return res;
}

} // namespace ringside::ordering
