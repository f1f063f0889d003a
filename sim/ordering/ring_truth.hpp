// The truth tracker of the race explorer: it knows every page the guest dirtied (every push of
// the ring program, each a distinct page) and judges one execution of the program by what the
// harvester recorded and what KVM's reset re-armed.
//
// "The end" is where the bounded program ends: every walk has stopped. A push is then
//   collected     when the harvester recorded its page (at any entry and lap);
//   pending       when its DIRTY is still the entry's last flags value: nothing harvested it
//                 yet, and nothing can touch the entry until something does, so the next
//                 harvest collects it — not a loss;
//   lost          otherwise: the entry moved on and the page was never recorded;
//   misattributed when the harvester saw the push's DIRTY but recorded another page for it
//                 (slot or offset left from an earlier lap, or already written by a later one);
//   unarmed       when KVM's reset, for the entry that held it, re-armed another page (it read
//                 slot or offset from another push): this page stays writable without being
//                 write-protected, so its next write is never logged — a loss one round later,
//                 which is how a kernel-side barrier going missing shows.
// An execution loses a dirty page when some push is lost or unarmed, misattributes when some
// push is misattributed.
#pragma once

#include "execution.hpp"
#include "ring_protocol.hpp"

#include <cstdint>
#include <string>

namespace ringside::ordering {

// Why a slot or offset read returned another push's value: the read in the harvester (or in
// the reset) was satisfied with a value older than the push it belongs to, or newer.
enum class RingRace : uint8_t {
    StaleRead,  // harvester saw DIRTY, read an older slot/offset: ordering.md race 1
    EarlyReuse, // harvester's reads were satisfied after KVM reused the entry: race 2
    ResetStale, // KVM's reset saw RESET, read an older slot/offset (re-arms the wrong page)
    ResetEarly, // KVM's reset read slot/offset after the vCPU reused the entry
};
inline constexpr int kRingRaces = 4;
const char* race_name(RingRace r); // "stale-read", "early-reuse", "reset-stale", "reset-early"
const char* race_summary(RingRace r);

// One execution's verdict; the masks have bit lap * entries + entry per push.
struct RingVerdict {
    uint32_t pushed = 0;
    uint32_t collected = 0;
    uint32_t pending = 0;
    uint32_t lost = 0;
    uint32_t misattributed = 0;
    uint32_t unarmed = 0;
    uint8_t races = 0;     // bit per RingRace
    uint8_t from_zero = 0; // bit per RingRace: a wrong value was the entry's initial zero

    bool loses() const { return (lost | unarmed) != 0; }
    bool misattributes() const { return misattributed != 0; }
    bool bad() const { return loses() || misattributes(); }
    bool has(RingRace r) const { return (races >> static_cast<int>(r)) & 1; }
};

// Judges a complete execution of the program (from the explorer, or any candidate the litmus
// checker enumerates for p.test).
RingVerdict judge(const RingProgram& p, const Execution& x);

// What went wrong, one sentence a problem, in the user's words.
std::string explain(const RingProgram& p, const Execution& x, const RingVerdict& v);

// "(slot 1, offset 3)"
std::string page_text(uint32_t slot, uint64_t offset);

} // namespace ringside::ordering
