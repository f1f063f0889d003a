// Live migration on a simulated clock: QEMU-style pre-copy driving the engine (kvm.hpp) while
// the vCPUs run their workloads, with a truth tracker that knows every guest write and checks
// the destination against the source at the end.
//
// The protocol, as QEMU's migration/ram.c and accel/kvm/kvm-all.c do it (consumers.md A1–A3):
//   setup      logging is turned on for every slot of address space 0 that lacks it
//              (KVM_SET_USER_MEMORY_REGION), then one sync; round 0's set is every page.
//   round r    the set is sent in ascending page order at the bandwidth; the guest keeps
//              writing. In clear mode (manual protect) the first page sent from each chunk of
//              the set first clears that chunk's bits in KVM (KVM_CLEAR_DIRTY_LOG), which
//              re-protects them. In ring modes a reaper thread harvests every ring and calls
//              KVM_RESET_DIRTY_RINGS once a reap interval; a vCPU whose ring is soft full exits
//              with KVM_EXIT_DIRTY_RING_FULL and its own thread reaps all rings before it runs
//              again (the stall is charged to that vCPU).
//   sync       when the set is sent: bitmap modes call KVM_GET_DIRTY_LOG on every slot, ring
//              modes reap every ring and reset; what was collected is the next round's set. If
//              that set fits in the downtime limit at the bandwidth, the guest stops.
//   stop       the vCPUs stop; on arm64 the vGIC saves its tables into guest memory (KVM
//              writes with no vCPU running); the last sync — in ring+bitmap mode the backup
//              bitmap too, with KVM_GET_DIRTY_LOG, as the very last step — and the rest is
//              sent while the guest is stopped: that is the downtime.
//
// Time: the vCPUs run in ticks; within a tick each vCPU executes the writes its workload has
// due by then (running time, which excludes its stalls), then the migration thread sends the
// pages due by the tick's end. Every cost (CostModel) is simulated time; none is measured.
#pragma once

#include "../kvm.hpp"
#include "../vmm.hpp"
#include "workload.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ringside::migrate {

enum class Mode : uint8_t {
    Bitmap,     // KVM_GET_DIRTY_LOG, which re-protects what it returns
    Clear,      // manual protect: KVM_GET_DIRTY_LOG, then KVM_CLEAR_DIRTY_LOG chunk by chunk
    Ring,       // the dirty ring, harvested and reset
    RingBitmap, // the ring, and the backup bitmap collected once, after the vCPUs stop
};
std::string_view mode_name(Mode m); // "bitmap", "clear", "ring", "ring+bitmap"
// The mode the VM was set up for: ring (+bitmap), manual protect, or plain bitmap.
Mode mode_of(const Kvm& kvm);

// Simulated nanoseconds each step costs. Ringside's model, of the right order for a modern
// x86 or arm64 host; the tests work their expected values out from these numbers.
struct CostModel {
    uint64_t fault = 2000;        // a write-protect (or first-touch) fault handled in KVM
    uint64_t pml_full = 1000;     // a PML-full exit handled in KVM
    uint64_t ring_full = 5000;    // KVM_EXIT_DIRTY_RING_FULL to userspace and back
    uint64_t ioctl = 2000;        // entering and leaving any dirty-tracking ioctl
    uint64_t per_entry = 20;      // userspace collecting one ring entry
    uint64_t per_rearm = 100;     // KVM re-protecting one page (RESET, GET, CLEAR)
    uint64_t per_kib_bitmap = 50; // copying and scanning 1 KiB of bitmap (8192 pages)
    uint64_t tlb_flush = 10000;   // kvm_flush_remote_tlbs
};

struct MigrationConfig {
    uint64_t bandwidth = 128ull << 20;       // bytes per second (QEMU's default max-bandwidth)
    uint64_t downtime_ns = 300000000;        // QEMU's default downtime-limit: 300 ms
    uint32_t max_rounds = 30;                // give up (not converged) after this many rounds
    uint64_t max_ticks = 0;                  // refuse a migration longer than this (0: no bound)
    uint64_t max_writes = 0;                 // ... or with more guest writes than this
    uint64_t max_pages = 1ull << 24;         // ... or of a guest bigger than this (64 GiB)
    uint64_t tick_ns = 1000000;              // 1 ms
    uint64_t reap_interval_ns = 1000000000;  // QEMU's kvm-reaper sleeps 1 s
    uint64_t clear_chunk_pages = 1ull << 18; // QEMU's clear-bitmap-shift 18: 1 GiB of 4K pages
    HarvestOrder harvest = HarvestOrder::AcqRel;
    PageList its_save; // arm64: pages the vGIC ITS table save writes at stop
    std::vector<std::pair<uint64_t, uint64_t>> kernel_writes; // (time ns, gfn): KVM, no vCPU
    CostModel costs;
};

// What one round (or the stop) cost.
struct Costs {
    uint64_t ioctls = 0; // dirty-tracking ioctls: the three below and SET_USER_MEMORY_REGION
    uint64_t get_dirty_log = 0, clear_dirty_log = 0, reset_rings = 0;
    uint64_t bitmap_bytes = 0;    // bitmap bytes KVM copied out and QEMU scanned
    uint64_t ring_entries = 0;    // ring entries harvested (KVM resets each one)
    uint64_t ring_full_exits = 0; // KVM_EXIT_DIRTY_RING_FULL
    uint64_t pml_full_exits = 0;
    uint64_t faults = 0; // write-protect and first-touch faults on logging slots
    uint64_t tlb_flushes = 0;
    uint64_t stalled_ns = 0;   // guest time lost to the above, summed over vCPUs
    uint64_t guest_writes = 0; // writes the guest completed
    uint64_t vmm_ns = 0;       // migration-thread time in dirty-tracking ioctls and scans

    Costs& operator+=(const Costs& o);
};

// Every figure of Costs by name, in the order the exports write them.
struct CostField {
    const char* name; // "ring_full_exits"
    uint64_t Costs::*member;
};
inline constexpr CostField kCostFields[] = {
    {"guest_writes", &Costs::guest_writes},
    {"ioctls", &Costs::ioctls},
    {"get_dirty_log", &Costs::get_dirty_log},
    {"clear_dirty_log", &Costs::clear_dirty_log},
    {"reset_rings", &Costs::reset_rings},
    {"bitmap_bytes", &Costs::bitmap_bytes},
    {"ring_entries", &Costs::ring_entries},
    {"ring_full_exits", &Costs::ring_full_exits},
    {"pml_full_exits", &Costs::pml_full_exits},
    {"faults", &Costs::faults},
    {"tlb_flushes", &Costs::tlb_flushes},
    {"stalled_ns", &Costs::stalled_ns},
    {"vmm_ns", &Costs::vmm_ns},
};

struct Round {
    uint32_t index = 0;
    bool stop = false; // the stop-and-copy phase
    uint64_t start_ns = 0, end_ns = 0;
    uint64_t dirty = 0; // pages in the round's set
    uint64_t sent = 0;  // pages sent
    Costs costs;
};

// A page whose destination copy differs from the source at the end.
struct LostPage {
    uint64_t gfn = 0;
    uint32_t slot = 0; // as_id << 16 | id
    uint64_t offset = 0;
    std::string writer; // "vcpu 0", "KVM (no vCPU)", "KVM (vGIC ITS save)"
    uint64_t when_ns = 0;
    std::string why;
};

struct MigrationResult {
    Mode mode = Mode::Bitmap;
    bool converged = false;
    std::string error;   // not run at all: why (the result text is then this)
    uint32_t rounds = 0; // pre-copy rounds, round 0 included
    uint64_t pages = 0;  // guest pages migrated
    uint64_t pages_sent = 0;
    uint64_t downtime_ns = 0;
    uint64_t total_ns = 0;
    uint64_t page_size = 4096;
    uint64_t bandwidth = 0; // the settings it ran with (MigrationConfig)
    uint64_t downtime_limit_ns = 0;
    std::vector<Round> per_round; // the rounds, then the stop
    Costs total;
    std::vector<LostPage> lost;
    std::string ordering_note; // plain harvest: what the ordering model allowed

    // "converged mode=ring rounds=4 sent=1170 downtime=1.9ms lost=0"
    std::string summary() const;
    // "dirty=128 sent=128 time=125.0ms writes=16 ioctls=1 ..." for round i
    std::string round_text(size_t i) const;
    // "0x150 slot=0 offset=0x50 by=KVM (vGIC ITS save) at=1234.5ms: why", one per page
    std::string lost_text(size_t i) const;
};

struct Progress {
    uint32_t round = 0;
    uint64_t sent = 0, dirty = 0; // in this round
    uint64_t now_ns = 0;
    bool stopping = false;
    const Round* finished = nullptr; // the round just finished, when one has (valid in the call)
};

// Migrates every memslot of address space 0 of kvm, with each vCPU running its workload (a
// vCPU without one is idle). vmm is the userspace side whose ring fetch indexes the reaper
// uses. progress, if given, is called now and then and may return false to cancel (the result
// then has error "cancelled"). The VM is left as the migration left it: logging on, vCPUs
// stopped.
MigrationResult migrate(Kvm& kvm, Vmm& vmm, const std::map<uint32_t, WorkloadSpec>& workloads,
                        const MigrationConfig& config,
                        const std::function<bool(const Progress&)>& progress = {});

// Reports what a migration did to kvm's event sink: one MigrationRound event a round (and the
// stop), one LostPage event a lost page (the first 64). The engine's own events during the
// migration go to the migration alone: a 16 GiB guest makes millions.
void report_events(Kvm& kvm, const MigrationResult& r);

// "12.5ms": nanoseconds as milliseconds with one decimal, rounded down.
std::string ms_text(uint64_t ns);

// The rounds as CSV (one header line, one line a round) and the whole result as JSON.
std::string costs_csv(const std::vector<MigrationResult>& runs);
// Its parts: the header line (no newline), and one line a round, each starting with prefix.
std::string costs_csv_header();
std::string costs_csv_rows(const MigrationResult& r, std::string_view prefix = {});
nlohmann::ordered_json result_to_json(const MigrationResult& r);
std::string result_json(const MigrationResult& r); // result_to_json, compact

} // namespace ringside::migrate
