// The dirty ring protocol as litmus programs: the engine's own steps (sim/dirty_ring.hpp's push
// and reset, sim/vmm.cpp's harvest), one instruction per memory access, each kernel primitive
// mapped as ordering.md maps it on the architecture, unrolled over N entries and L laps.
//
// Three threads share the ring's entries (struct kvm_dirty_gfn: flags, slot, offset):
//   P0  the vCPU: KVM's kvm_dirty_ring_push, once per entry per lap, a distinct page each time;
//   P1  the VMM's harvester (QEMU's kvm_dirty_ring_reap_one): walks the entries in order;
//   P2  KVM's kvm_dirty_ring_reset, run by the VMM's KVM_RESET_DIRTY_RINGS ioctl thread.
//
// The primitives are those of Linux 6.1 and later (unchanged through 6.18: the 2025 reset
// series added an entry cap, signal checks and rescheduling, not barriers):
//   push:   entry->slot, entry->offset (plain stores); smp_wmb(); flags = DIRTY (plain store,
//           kvm_dirty_gfn_set_dirtied). The 6.1 series first proposed a store-release here and
//           kept the smp_wmb() instead: same order for the harvester, which is all it needs.
//   reset:  smp_load_acquire(&flags) & RESET (kvm_dirty_gfn_harvested), READ_ONCE(slot),
//           READ_ONCE(offset), smp_store_release(&flags, 0) (kvm_dirty_gfn_set_invalid).
//           5.11 to 6.0 read and cleared flags with plain accesses; 6.1 ("KVM: Use
//           acquire/release semantics when accessing dirty ring GFN state") made them
//           acquire/release so that slot and offset are read after the RESET that userspace
//           published and before the entry is handed back. The `plain-reset` patch is the
//           kernel without those two barriers, i.e. the 5.11-6.0 reset (the scenario
//           language's patch of the same name, kernel_config.hpp).
//   harvest: the scenario language's `harvest ... order=`, HarvestOrder of sim/vmm.hpp, the
//           same two modes: acqrel = QEMU since its 2022 fix to kvm-all.c (flags read with
//           qatomic_load_acquire and compared to DIRTY, RESET written with
//           qatomic_store_release), plain = QEMU before it and the selftest before 6.1. Slot
//           and offset are plain loads either way.
// Per architecture (ordering.md): arm64 smp_wmb = DMB ISHST, acquire = LDAR, release = STLR,
// READ_ONCE/WRITE_ONCE and plain = LDR/STR; x86_64 every one of them is a MOV (smp_wmb only
// stops the compiler), so the two harvest modes are the same x86 program.
//
// Bounded, without loops. Each walk stops at its first entry whose flags say "not yet": the
// harvester at an entry that is not DIRTY, the reset at one that is not RESET (flags == 2:
// userspace stores exactly RESET, so "& RESET" and "== RESET" agree on every value the ring
// can hold, and the litmus subset has no TST). A later harvest or reset call would resume
// there; one walk that finds them all is the same program with fewer barriers between them.
//
// Reuse of an entry on a later lap: KVM pushes into an entry only after the reset cleared it —
// the ring keeps 64 entries in reserve and the soft-full exit stops the vCPU before it can
// wrap onto an entry that KVM_RESET_DIRTY_RINGS has not reset. That hand-off really travels
// through reset_index, the ioctl's return and the next KVM_RUN; the program models it as the
// vCPU reading the entry's flags and pushing only if they read 0, the "00: free" state of the
// entry's state machine (Documentation/virt/kvm/api.rst), with the control dependency that
// orders the push after that read. This is the weakest hand-off the kernel's 6.1 barriers were
// written against (set_invalid's release exists so that the reset's reads of slot and offset
// cannot drift past the moment the entry is free), so taking a barrier away must show.
#pragma once

#include "execution.hpp"
#include "kernel_config.hpp"
#include "litmus_ast.hpp"
#include "vmm.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ringside::ordering {

// What to explore: the architecture (arm64 is AArch64, x86_64 is X86), the harvester's order
// (as `harvest ... order=`), the kernel's what-if patches (as `vm ... patch=`: no-wmb,
// plain-reset), and the ring's size and number of laps.
struct RingSetup {
    Arch arch = Arch::AArch64;
    HarvestOrder harvest = HarvestOrder::AcqRel;
    Patches patches;
    int entries = 2;
    int laps = 2;
};

inline constexpr int kMaxRingEntries = 4;
inline constexpr int kMaxRingLaps = 3;

// The threads, in litmus order (P0, P1, P2).
enum class Actor : uint8_t { Vcpu, Harvester, Reset };
inline constexpr int kActors = 3;
const char* actor_name(Actor a); // "vCPU", "harvester", "reset"

enum class Field : uint8_t { Flags, Slot, Offset };

// One memory access or barrier of the protocol.
struct RingStep {
    Actor actor = Actor::Vcpu;
    Event::Kind kind = Event::Kind::Read;
    Field field = Field::Flags; // accesses only
    int entry = 0;
    int lap = 0;  // 0-based
    int unit = 0; // which push, harvest or reset of its thread this step belongs to
    // A store's value; for a guard read, the value the thread needs to go on (vCPU: 0, free;
    // harvester: DIRTY; reset: RESET). A read that is not a guard goes on whatever it reads.
    int64_t value = 0;
    bool guard = false;
    Access access = Access::Plain;
    Barrier barrier = Barrier::DmbSt;
    int instr = -1;             // its instruction in test.threads[actor].code
    const char* function = "";  // the kernel or QEMU function it belongs to
    const char* primitive = ""; // the C it stands for: "smp_load_acquire(&gfn->flags)"
};

// The page a push records: slot (as_id << 16 | slot id) and offset in the slot.
struct RingPush {
    int entry = 0;
    int lap = 0;
    uint32_t slot = 0;
    uint64_t offset = 0;
};

struct RingProgram {
    RingSetup setup;
    std::array<std::vector<RingStep>, kActors> steps; // program order
    std::array<int, kActors> units{};                 // units per thread
    std::vector<RingPush> pushes;                     // lap-major: pushes[lap * entries + entry]
    // Per entry: its three locations' indices in test.locations.
    std::vector<int> flags_loc, slot_loc, offset_loc;
    std::string litmus; // herd syntax
    Test test;          // litmus, parsed by the litmus engine
    // step_of[actor][instr]: the step an instruction is, or -1 (MOV, CMP, branches).
    std::array<std::vector<int>, kActors> step_of;

    const RingStep* step(const Event& e) const {
        if (e.thread < 0 || e.thread >= kActors || e.instr < 0 ||
            e.instr >= static_cast<int>(step_of[e.thread].size()))
            return nullptr;
        const int s = step_of[e.thread][e.instr];
        return s < 0 ? nullptr : &steps[e.thread][s];
    }
    const RingPush& push(int lap, int entry) const {
        return pushes[static_cast<size_t>(lap * setup.entries + entry)];
    }
    int loc(Field f, int entry) const {
        const auto& v = f == Field::Flags ? flags_loc : f == Field::Slot ? slot_loc : offset_loc;
        return v[static_cast<size_t>(entry)];
    }
    // "entry0.flags"
    std::string loc_name(int loc) const;
};

// Which thread's view the litmus condition asks about: the harvester (it saw entry 0's first
// DIRTY but read another slot or offset than that push wrote) or the reset (it saw entry 0's
// first RESET and read another slot or offset than the push the harvester collected).
enum class RingObserver : uint8_t { Harvester, Reset };

// Builds the program. Throws std::invalid_argument for sizes outside 1..kMaxRingEntries
// entries and 1..kMaxRingLaps laps.
RingProgram ring_program(const RingSetup& setup, RingObserver asks = RingObserver::Harvester);

// "arm64, harvest plain, patch no-wmb, 2 entries x 2 laps"
std::string setup_text(const RingSetup& setup);

} // namespace ringside::ordering
