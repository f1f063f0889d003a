// The race explorer: every execution of a ring program (ring_protocol.hpp) that the
// architecture's model allows, each judged by the truth tracker (ring_truth.hpp), with one
// witness of each race found, ready to replay step by step.
//
// Exhaustive, and the same executions herd7 would count for the program's litmus text: a
// candidate is a path through each thread (how far each walk got), a write for every read to
// read from, and a coherence order for every location; the model (x86tso.cat or aarch64.cat,
// models.hpp) allows it or not. Instead of building every candidate and then checking it, the
// search makes those choices one at a time and keeps, for SC per location and for the model's
// own axiom, the transitive closure of the relation built so far: both axioms are "this union
// of relations is acyclic", and every choice only adds edges, so a choice that closes a cycle
// is dropped with everything that would follow it. Coherence is chosen first for each flags
// word (slot and offset have one writer, so theirs is program order), then each read of that
// word, then the slot and offset reads; a read may only read a write of the value its path
// needs (a walk that goes on past an entry read DIRTY, or RESET, or free). What is left at the
// bottom are exactly the allowed executions; tests check the counts against the litmus
// checker's plain enumeration of the same text.
#pragma once

#include "execution_view.hpp"
#include "ring_protocol.hpp"
#include "ring_truth.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ringside::ordering {

// One step of a witness: a store becoming visible to the other CPUs, or a read being satisfied,
// in an order the model allows (ExecutionView::steps).
struct WitnessStep {
    int event = -1; // in the execution
    Actor actor = Actor::Vcpu;
    Event::Kind kind = Event::Kind::Read;
    int entry = 0;
    int lap = 0;             // 0-based
    std::string function;    // kernel or QEMU function
    std::string primitive;   // the C it stands for
    std::string instruction; // as in the litmus program
    std::string location;    // "entry0.offset"
    int64_t value = 0;       // read or written
    int from = 0;            // reads: the step (1-based) whose write it read; 0: initial
    bool forwarded = false;  // read its own CPU's store before the others could see it
};

struct RingWitness {
    RingRace race = RingRace::StaleRead;
    RingVerdict verdict;
    std::string story;  // explain(): what went wrong
    ExecutionView view; // the execution, its edges and its steps (events)
    std::vector<WitnessStep> steps;
};

struct ExploreResult {
    Model model = Model::Armv8;
    uint64_t executions = 0;     // allowed by the model
    uint64_t losing = 0;         // ... that lose a dirty page
    uint64_t misattributing = 0; // ... that misattribute one
    uint64_t bad = 0;            // ... either
    std::array<uint64_t, kRingRaces> by_race{};
    // A witness of each race found, in RingRace order: the first execution found that shows
    // that race alone and hurts the fewest pages (or, if none shows it alone, the fewest).
    std::vector<RingWitness> witnesses;
    uint64_t nodes = 0; // choices tried: the search's work

    const RingWitness* witness(RingRace r) const {
        for (const RingWitness& w : witnesses)
            if (w.race == r)
                return &w;
        return nullptr;
    }
};

// Explores every allowed execution. visit, if given, sees each one and its verdict (the
// execution's run[t] is the index of thread t's path, not of a thread_runs run). Throws
// LitmusError when the search goes past 50 million choices (3 entries x 3 laps of
// a plain harvester on arm64 is beyond that; 2 x 2 takes tens of thousands).
ExploreResult explore(const RingProgram& p,
                      const std::function<void(const Execution&, const RingVerdict&)>& visit = {});

// The witness of an allowed execution: its steps in a replayable order, each named for the
// protocol step it is.
RingWitness make_witness(const RingProgram& p, const Execution& x, RingRace race);

// The CLI's text: counts, then one witness as a numbered step list (see ringside-sim explore
// --help for the format). show: which race's witness; the first found when not given.
std::string explore_report(const RingProgram& p, const ExploreResult& r, const RingRace* show);

} // namespace ringside::ordering
