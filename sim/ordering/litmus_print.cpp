// Printing verdicts the way herd7 does (top_herd.ml, ConstrGen.pp_prop).
#include "litmus_print.hpp"

namespace ringside::ordering {

namespace {

enum class Above { Top, And, Or, Implies };

// ConstrGen.is_paren: parentheses only where the operator binds looser than its context.
bool paren(Above above, Above here) {
    switch (above) {
    case Above::Top:
        return false;
    case Above::Implies:
        return here != Above::Implies;
    case Above::And:
        return here != Above::And;
    case Above::Or:
        return here == Above::Implies;
    }
    return false;
}

std::string prop_text(const Test& test, const Prop& p, Above above) {
    auto wrap = [&](Above here, const std::string& s) {
        return paren(above, here) ? "(" + s + ")" : s;
    };
    switch (p.kind) {
    case Prop::Kind::True:
        return "true";
    case Prop::Kind::False:
        return "false";
    case Prop::Kind::Atom:
        return state_loc_name(test, p.where) + "=" + value_text(test, p.value);
    case Prop::Kind::Not:
        return "not (" + prop_text(test, p.kids[0], Above::Top) + ")";
    case Prop::Kind::And:
        return wrap(Above::And, prop_text(test, p.kids[0], Above::And) + " /\\ " +
                                    prop_text(test, p.kids[1], Above::And));
    case Prop::Kind::Or:
        return wrap(Above::Or, prop_text(test, p.kids[0], Above::Or) + " \\/ " +
                                   prop_text(test, p.kids[1], Above::Or));
    case Prop::Kind::Implies:
        return wrap(Above::Implies, prop_text(test, p.kids[0], Above::Implies) + " => " +
                                        prop_text(test, p.kids[1], Above::Implies));
    }
    return {};
}

const char* kind_text(Quantifier q) {
    switch (q) {
    case Quantifier::Exists:
        return "Allowed";
    case Quantifier::NotExists:
        return "Forbidden";
    case Quantifier::Forall:
        return "Required";
    }
    return "";
}

} // namespace

std::string condition_text(const Test& test) {
    const char* q = test.quantifier == Quantifier::Exists      ? "exists"
                    : test.quantifier == Quantifier::NotExists ? "~exists"
                                                               : "forall";
    return std::string(q) + " (" + prop_text(test, test.prop, Above::Top) + ")";
}

std::string observation_line(const Test& test, const CheckResult& r) {
    const char* verdict = r.positive == 0 ? "Never" : r.negative == 0 ? "Always" : "Sometimes";
    return "Observation " + test.name + " " + verdict + " " + std::to_string(r.positive) + " " +
           std::to_string(r.negative);
}

std::string herd_report(const Test& test, const CheckResult& r) {
    std::string out = "Test " + test.name + " " + kind_text(test.quantifier) + "\n";
    out += "States " + std::to_string(r.states.size()) + "\n";
    for (const std::vector<Value>& s : r.states) {
        std::string line;
        for (size_t i = 0; i < s.size(); ++i) {
            if (i)
                line += ' ';
            line += state_loc_name(test, test.shown[i]) + "=" + value_text(test, s[i]) + ";";
        }
        out += line + "\n";
    }
    out += r.validated(test.quantifier) ? "Ok\n" : "No\n";
    // Witnesses are counted for the condition as written: for ~exists, the executions that
    // do not satisfy the proposition are the positive ones.
    const bool swap = test.quantifier == Quantifier::NotExists;
    out += "Witnesses\nPositive: " + std::to_string(swap ? r.negative : r.positive) +
           " Negative: " + std::to_string(swap ? r.positive : r.negative) + "\n";
    if (r.shareability_flag)
        out += "Flag Assuming-common-inner-shareable-domain\n";
    out += "Condition " + condition_text(test) + "\n";
    out += observation_line(test, r) + "\n\n";
    return out;
}

} // namespace ringside::ordering
