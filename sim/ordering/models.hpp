// The two axiomatic models, as herd7's cat files state them:
//   x86tso.cat   (herdtools7 herd/libdir): uniproc `acyclic po-loc | com`, and
//                `acyclic mfence | ppo (WW(po) | RM(po)) | rfe | fr | co as tso`.
//   aarch64.cat  (herdtools7's current "2016-present" Arm model: aarch64.cat with
//                aarch64hwreqs.cat, aarch64deps.cat and aarch64fences.cat), restricted to this
//                subset (no exclusives, atomics, tags, MMU or cache maintenance): SC per
//                location (`acyclic po-loc | ca | rf`, which its coRW1/coWW/coWR axioms and
//                Exp-haz-ob amount to) and `irreflexive ob as external`, ob being
//                obs (rfe | fre | coe) | Exp-haz-ob | lob (lws | dob | bob) | CSE-ob, closed
//                transitively. For these instructions it is the other-multi-copy-atomic model
//                of Pulte et al., "Simplifying ARM concurrency", POPL 2018, with herd's later
//                lws (po-loc;[W]) and lrs (data/addr through a po-earlier store) in lob.
#pragma once

#include "execution.hpp"
#include "relation.hpp"

#include <cstdint>
#include <vector>

namespace ringside::ordering {

// What a model orders inside one thread, fixed once the thread's run is chosen. Rows are
// indexed by the run's event positions; bit j of row i: event i is ordered before event j.
struct ThreadOrder {
    std::vector<uint64_t> po_loc; // po & same location, between accesses
    std::vector<uint64_t> local;  // TSO: ppo | mfence. ARMv8: lob | CSE-ob.
    std::vector<uint64_t> rr_loc; // row of read j: its po-earlier reads of the same location
};

ThreadOrder tso_thread_order(const ThreadRun& run);
ThreadOrder armv8_thread_order(const ThreadRun& run);

// The orders each model requires to be acyclic: x86tso.cat's ghb (ppo | mfence | rfe | fr | co)
// and aarch64.cat's ob (before transitive closure). A view linearises them into a sequence of
// steps: each write becoming visible, each read being satisfied.
Relation tso_ghb(const Execution& x, const std::vector<const ThreadOrder*>& order);
Relation armv8_ob(const Execution& x, const std::vector<const ThreadOrder*>& order);
// Whether the model allows a candidate; order[t] is for the run thread t makes in it.
bool tso_allows(const Execution& x, const std::vector<const ThreadOrder*>& order);
bool armv8_allows(const Execution& x, const std::vector<const ThreadOrder*>& order);

// Shared by both: the communication relations, SC per location.
enum Com : unsigned {
    kRfi = 1,
    kRfe = 2,
    kCoi = 4,
    kCoe = 8,
    kFri = 16,
    kFre = 32,
    kCom = 63,
};
// Adds the chosen parts of rf, co and fr (= rf^-1; co) to r. Internal means within one
// thread; an initial write belongs to no thread, so its edges are external.
void add_com(const Execution& x, unsigned which, Relation& r);
// Adds each thread's rows (po_loc or local) at the thread's events.
void add_thread_rows(const Execution& x, const std::vector<const ThreadOrder*>& order,
                     std::vector<uint64_t> ThreadOrder::*rows, Relation& r);
// po-loc computed from a run.
std::vector<uint64_t> po_loc_rows(const ThreadRun& run);
// acyclic po-loc | rf | co | fr: aarch64.cat's internal, x86tso.cat's uniproc.
bool sc_per_location(const Execution& x, const std::vector<const ThreadOrder*>& order);

} // namespace ringside::ordering
