// The event log: every state change a learner should see, in order, each naming the kernel
// function it mirrors. Same inputs, same log, byte for byte. A guest write to a page that is
// already writable and dirty changes nothing KVM sees, so it is counted (Vcpu::unseen_writes),
// not logged.
#pragma once

#include "kernel_config.hpp"

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

namespace ringside {

enum class EventKind : uint8_t {
    Ioctl,        // userspace called KVM: which ioctl, its arguments, result and reason
    GuestFault,   // a guest access trapped to KVM: the page was unmapped or write-protected
    MapPage,      // the fault handler mapped the page (writable or read-only)
    RingPush,     // kvm_dirty_ring_push: an entry was published as DIRTY
    BitmapSet,    // mark_page_dirty_in_slot set the page's bit in the slot's bitmap
    MarkDropped,  // mark_page_dirty_in_slot recorded nothing (no vCPU, no bitmap, oops)
    PmlLog,       // the CPU appended a gfn to the vCPU's PML buffer (no exit)
    PmlFullExit,  // the PML buffer was full: the vCPU exits to KVM
    PmlFlush,     // vmx_flush_pml_buffer emptied the buffer into the ring or bitmap
    SoftFullExit, // the ring is soft full: the vCPU returns KVM_EXIT_DIRTY_RING_FULL
    MmioExit,     // the access hit no memslot (or a read-only one): KVM_EXIT_MMIO
    Harvest,      // userspace collected one ring entry and marked it RESET
    RingReset,    // kvm_dirty_ring_reset walked one vCPU's harvested entries
    ResetBatch,   // kvm_reset_dirty_gfn: one coalesced 64-page mask re-armed (or ignored)
    ArmPages,     // logging turned on for a slot: its mapped pages were armed
    BitmapTake,   // KVM_GET_DIRTY_LOG took and cleared one 64-bit word
    BitmapClear,  // KVM_CLEAR_DIRTY_LOG cleared one 64-bit word's set bits
    HostWrite,    // the VMM wrote a page it had never written: populated, zero page unmapped
    TlbFlush,     // kvm_flush_remote_tlbs
    // Live migration (sim/migrate), reported once the migration is over:
    Workload,       // a vCPU's workload was set (scenario `workload`)
    MigrationRound, // one pre-copy round, or the stop-and-copy, with what its sync found
    LostPage,       // a page the destination holds stale at the end, and why
};

enum class IoctlId : uint8_t {
    CreateVm,
    CheckExtension,
    EnableCap,
    SetUserMemoryRegion,
    CreateVcpu,
    Run,
    ResetDirtyRings,
    GetDirtyLog,
    ClearDirtyLog,
};

inline constexpr uint32_t kNoVcpu = ~0u;

// 32 bytes; the meaning of the fields depends on kind (see describe()).
// 32 bytes, so that a log of millions of events costs as little memory as it can: each kind
// uses the fields as describe() reads them.
struct Event {
    EventKind kind = EventKind::Ioctl;
    uint8_t aux = 0;  // ioctl id, write flag, mapping, mark, exit reason ...
    uint8_t aux2 = 0; // a second small value: exit reason, soft full, memslot flags ...
    uint32_t vcpu = kNoVcpu;
    uint32_t slot = 0; // as_id << 16 | id, or a capability number
    uint32_t n = 0;    // ring index, count, a page offset or word index
    uint64_t a = 0;    // gfn, offset, args0, a mask of pages re-armed
    uint64_t b = 0;    // mask, result
};
static_assert(sizeof(Event) == 32);
static_assert(std::is_trivially_destructible_v<Event>); // EventLog frees blocks without destroying

// Receives events as the engine produces them; why is the reason of an ioctl's result.
class EventSink {
  public:
    virtual ~EventSink() = default;
    virtual void emit(const Event& e, std::string_view why) = 0;
};

// The normal mode: keep every event, and each ioctl's reason. Events are stored in blocks of
// 256 Ki (10 MiB, five 2 MiB huge pages) so that a log of millions never moves.
class EventLog : public EventSink {
  public:
    void emit(const Event& e, std::string_view why) override {
        if (!why.empty()) // rare, and out of line: only ioctls carry a reason
            add_reason(why);
        if ((size_ & kBlockMask) == 0 && size_ >> kBlockBits == blocks_.size())
            add_block();
        // A block's slots are constructed as events arrive: a log of millions of events is
        // written once, not zeroed first. clear() reuses blocks, whose slots hold events.
        std::construct_at(&blocks_[size_ >> kBlockBits][size_ & kBlockMask], e);
        ++size_;
    }
    const Event& operator[](size_t i) const { return blocks_[i >> kBlockBits][i & kBlockMask]; }
    // The reason recorded with event i ("" for none).
    std::string_view reason(size_t i) const;
    size_t size() const { return size_; }
    void clear() { // keeps the blocks for reuse
        size_ = 0;
        reasons_.clear();
    }

  private:
    static constexpr size_t kBlockBits = 18;
    static constexpr size_t kBlockSize = size_t(1) << kBlockBits;
    static constexpr size_t kBlockMask = kBlockSize - 1;
    static constexpr size_t kBlockAlign = size_t(2) << 20; // a huge page
    static_assert(kBlockSize * sizeof(Event) % kBlockAlign == 0);
    // Raw storage for kBlockSize events; Event is trivially destructible, so freeing the
    // memory is all a block needs.
    struct FreeBlock {
        void operator()(Event* p) const { ::operator delete(p, std::align_val_t(kBlockAlign)); }
    };
    using Block = std::unique_ptr<Event[], FreeBlock>;
    void add_reason(std::string_view why);
    void add_block();
    std::vector<Block> blocks_;
    size_t size_ = 0;
    std::vector<std::pair<size_t, std::string>> reasons_; // (event index, reason), ascending
};

std::string_view event_kind_name(EventKind k);
// The kernel function an event mirrors and its file, e.g. "kvm_dirty_ring_push",
// "virt/kvm/dirty_ring.c". Ioctl events name the ioctl's handler.
struct KernelSite {
    const char* function;
    const char* file;
};
KernelSite kernel_site(const Event& e, const KernelConfig& config);
// "0x150": a gfn, offset or mask as the event texts write one.
std::string hex(uint64_t v);
// One plain sentence a newcomer can follow; why is the ioctl's reason, if any.
std::string describe(const Event& e, const KernelConfig& config, std::string_view why = {});

} // namespace ringside
