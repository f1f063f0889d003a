// The truth tracker: which page each harvest recorded and each reset re-armed, against the
// push it belongs to (found through reads-from: the DIRTY a harvest saw is its push; the RESET
// a reset saw is a harvest, whose DIRTY is the push).
#include "ring_truth.hpp"

#include <vector>

namespace ringside::ordering {

const char* race_name(RingRace r) {
    switch (r) {
    case RingRace::StaleRead:
        return "stale-read";
    case RingRace::EarlyReuse:
        return "early-reuse";
    case RingRace::ResetStale:
        return "reset-stale";
    case RingRace::ResetEarly:
        return "reset-early";
    }
    return "?";
}

const char* race_summary(RingRace r) {
    switch (r) {
    case RingRace::StaleRead:
        return "the harvester saw DIRTY but read a slot or offset older than that push "
               "(ordering.md race 1, publish side)";
    case RingRace::EarlyReuse:
        return "the harvester's reads of slot or offset were satisfied after KVM reset the "
               "entry and pushed a new page into it (ordering.md race 2, reset side)";
    case RingRace::ResetStale:
        return "KVM's reset saw RESET but read a slot or offset older than the push the "
               "harvester collected, and re-armed the wrong page";
    case RingRace::ResetEarly:
        return "KVM's reset read slot or offset after the vCPU had reused the entry, and "
               "re-armed the wrong page";
    }
    return "?";
}

std::string page_text(uint32_t slot, uint64_t offset) {
    return "(slot " + std::to_string(slot) + ", offset " + std::to_string(offset) + ")";
}

namespace {

// A harvest or reset that passed its guard: its events.
struct Unit {
    int unit = -1;
    int guard = -1, slot = -1, offset = -1;
};

std::vector<Unit> passed_units(const RingProgram& p, const Execution& x, Actor a) {
    std::vector<Unit> out;
    const int t = static_cast<int>(a);
    for (int e = x.first[t]; e < x.first[t + 1]; ++e) {
        const RingStep* st = p.step(x.events[e]);
        if (!st)
            continue;
        if (st->guard) {
            if (x.events[e].value.num == st->value)
                out.push_back({st->unit, e, -1, -1});
            continue;
        }
        if (out.empty() || out.back().unit != st->unit || st->kind != Event::Kind::Read)
            continue;
        (st->field == Field::Slot ? out.back().slot : out.back().offset) = e;
    }
    return out;
}

// The lap whose push wrote what a read returned: -1 for the initial zero.
int source_lap(const RingProgram& p, const Execution& x, int read) {
    const int w = x.rf[read];
    if (w < 0 || x.events[w].thread < 0)
        return -1;
    const RingStep* st = p.step(x.events[w]);
    return st ? st->lap : -1;
}

// The push whose DIRTY a harvester's guard read returned, as its index; -1 if none.
int push_of_dirty(const RingProgram& p, const Execution& x, int guard) {
    const int w = x.rf[guard];
    if (w < 0 || x.events[w].thread != static_cast<int>(Actor::Vcpu))
        return -1;
    const RingStep* st = p.step(x.events[w]);
    return st ? st->lap * p.setup.entries + st->entry : -1;
}

// The harvester's guard read of a unit.
int harvest_guard(const RingProgram& p, const Execution& x, int unit) {
    const int t = static_cast<int>(Actor::Harvester);
    for (int e = x.first[t]; e < x.first[t + 1]; ++e)
        if (const RingStep* st = p.step(x.events[e]); st && st->guard && st->unit == unit)
            return e;
    return -1;
}

// The push a passed reset belongs to: the harvest whose RESET it saw, and that harvest's push.
int push_of_reset(const RingProgram& p, const Execution& x, const Unit& u) {
    const int h = x.rf[u.guard];
    if (h < 0 || x.events[h].thread != static_cast<int>(Actor::Harvester))
        return -1;
    const RingStep* st = p.step(x.events[h]);
    if (!st)
        return -1;
    const int g = harvest_guard(p, x, st->unit);
    return g < 0 ? -1 : push_of_dirty(p, x, g);
}

// Which race made a unit's slot/offset differ from its push's (added to v).
void add_races(const RingProgram& p, const Execution& x, const Unit& u, const RingPush& push,
               RingRace older, RingRace newer, RingVerdict& v) {
    for (int read : {u.slot, u.offset}) {
        const RingStep* st = p.step(x.events[read]);
        const int64_t want = st->field == Field::Slot ? static_cast<int64_t>(push.slot)
                                                      : static_cast<int64_t>(push.offset);
        if (x.events[read].value.num == want)
            continue;
        const int lap = source_lap(p, x, read);
        const auto bit =
            static_cast<uint8_t>(1u << static_cast<int>(lap < push.lap ? older : newer));
        v.races |= bit;
        if (lap < 0)
            v.from_zero |= bit;
    }
}

bool same_page(const Execution& x, const Unit& u, const RingPush& push) {
    return x.events[u.slot].value.num == static_cast<int64_t>(push.slot) &&
           x.events[u.offset].value.num == static_cast<int64_t>(push.offset);
}

} // namespace

RingVerdict judge(const RingProgram& p, const Execution& x) {
    RingVerdict v;
    const int vcpu = static_cast<int>(Actor::Vcpu);
    for (int e = x.first[vcpu]; e < x.first[vcpu + 1]; ++e) {
        const RingStep* st = p.step(x.events[e]);
        if (!st || st->kind != Event::Kind::Write || st->field != Field::Flags)
            continue;
        const uint32_t bit = 1u << (st->lap * p.setup.entries + st->entry);
        v.pushed |= bit;
        if (x.co[x.events[e].loc].back() == e)
            v.pending |= bit;
    }
    for (const Unit& u : passed_units(p, x, Actor::Harvester)) {
        const int q = push_of_dirty(p, x, u.guard);
        if (q < 0 || u.slot < 0 || u.offset < 0)
            continue;
        const RingPush& push = p.pushes[q];
        if (!same_page(x, u, push)) {
            v.misattributed |= 1u << q;
            add_races(p, x, u, push, RingRace::StaleRead, RingRace::EarlyReuse, v);
        }
        for (size_t k = 0; k < p.pushes.size(); ++k)
            if (same_page(x, u, p.pushes[k]))
                v.collected |= 1u << k;
    }
    v.lost = v.pushed & ~v.collected & ~v.pending;
    for (const Unit& u : passed_units(p, x, Actor::Reset)) {
        const int q = push_of_reset(p, x, u);
        if (q < 0 || u.slot < 0 || u.offset < 0)
            continue;
        const RingPush& push = p.pushes[q];
        if (!same_page(x, u, push)) {
            v.unarmed |= 1u << q;
            add_races(p, x, u, push, RingRace::ResetStale, RingRace::ResetEarly, v);
        }
    }
    return v;
}

std::string explain(const RingProgram& p, const Execution& x, const RingVerdict& v) {
    std::string out;
    auto line = [&](const std::string& s) { out += (out.empty() ? "" : "\n") + s; };
    auto where = [](const RingPush& push) {
        return "entry " + std::to_string(push.entry) + " on lap " + std::to_string(push.lap + 1);
    };
    // How one wrong field came to be read.
    auto field_story = [&](int read, const RingPush& push) {
        const RingStep* st = p.step(x.events[read]);
        const int lap = source_lap(p, x, read);
        std::string s = (st->field == Field::Slot ? "slot " : "offset ") +
                        std::to_string(x.events[read].value.num);
        if (lap < 0)
            return s + " (the entry's initial zero: read before the push's value was visible)";
        if (lap < push.lap)
            return s + " (left from lap " + std::to_string(lap + 1) + ")";
        return s + " (written by lap " + std::to_string(lap + 1) +
               "'s push after the entry was reset and reused)";
    };
    auto wrong_fields = [&](const Unit& u, const RingPush& push) {
        std::string s;
        for (int read : {u.slot, u.offset}) {
            const RingStep* st = p.step(x.events[read]);
            const int64_t want = st->field == Field::Slot ? static_cast<int64_t>(push.slot)
                                                          : static_cast<int64_t>(push.offset);
            if (x.events[read].value.num != want)
                s += (s.empty() ? "" : " and ") + field_story(read, push);
        }
        return s;
    };
    auto recorded = [&](const Unit& u) {
        return page_text(static_cast<uint32_t>(x.events[u.slot].value.num),
                         static_cast<uint64_t>(x.events[u.offset].value.num));
    };
    for (const Unit& u : passed_units(p, x, Actor::Harvester)) {
        const int q = push_of_dirty(p, x, u.guard);
        if (q < 0 || u.slot < 0 || u.offset < 0 || !((v.misattributed >> q) & 1))
            continue;
        const RingPush& push = p.pushes[q];
        line("the harvester saw the DIRTY of " + page_text(push.slot, push.offset) + " in " +
             where(push) + " but read " + wrong_fields(u, push) + ", and recorded " + recorded(u));
    }
    for (size_t q = 0; q < p.pushes.size(); ++q)
        if ((v.lost >> q) & 1)
            line(page_text(p.pushes[q].slot, p.pushes[q].offset) + ", pushed into " +
                 where(p.pushes[q]) +
                 ", is lost: nothing recorded it, and the entry no longer holds it");
    for (const Unit& u : passed_units(p, x, Actor::Reset)) {
        const int q = push_of_reset(p, x, u);
        if (q < 0 || u.slot < 0 || u.offset < 0 || !((v.unarmed >> q) & 1))
            continue;
        const RingPush& push = p.pushes[q];
        line("KVM's reset of " + where(push) + " read " + wrong_fields(u, push) + " and re-armed " +
             recorded(u) + ": " + page_text(push.slot, push.offset) +
             " stays writable without being logged, so its next write is lost");
    }
    return out;
}

} // namespace ringside::ordering
