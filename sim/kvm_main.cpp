// The VM, its memslots and its vCPUs (virt/kvm/kvm_main.c: __kvm_set_memory_region,
// kvm_prepare_memory_region, kvm_vm_ioctl_create_vcpu).
#include "kvm.hpp"

#include <string>

namespace ringside {

Kvm::Kvm(const KernelConfig& c) : config(c), memslots(c.address_spaces) {}

Vcpu* Kvm::vcpu_by_id(uint32_t id) {
    for (Vcpu& v : vcpus)
        if (v.vcpu_id == id)
            return &v;
    return nullptr;
}

const Vcpu* Kvm::vcpu_by_id(uint32_t id) const {
    return const_cast<Kvm*>(this)->vcpu_by_id(id);
}

Memslot* Kvm::id_to_memslot(uint32_t as_id, uint32_t id) {
    if (as_id >= memslots.size())
        return nullptr;
    auto it = memslots[as_id].find(static_cast<uint16_t>(id));
    return it == memslots[as_id].end() ? nullptr : &it->second;
}

Memslot* Kvm::gfn_to_memslot(uint32_t as_id, uint64_t gfn) {
    if (as_id >= memslots.size())
        return nullptr;
    for (auto& [id, slot] : memslots[as_id])
        if (slot.contains(gfn))
            return &slot;
    return nullptr;
}

namespace {

enum class Change { Create, Delete, Move, FlagsOnly };

// kvm_check_memslot_overlap
bool overlaps_another_slot(const Memslots& slots, uint16_t id, uint64_t start, uint64_t end) {
    for (const auto& [other_id, s] : slots)
        if (other_id != id && start < s.base_gfn + s.npages && s.base_gfn < end)
            return true;
    return false;
}

// kvm_arch_prepare_memory_region: the arch's limit on guest physical addresses.
KRet arch_prepare_memory_region(const Kvm& kvm, const Memslot& slot) {
    const KernelConfig& c = kvm.config;
    if (!c.gpa_bits)
        return success();
    const uint64_t limit_pages = (1ull << c.gpa_bits) / c.spec.page_size;
    if (slot.base_gfn + slot.npages > limit_pages)
        return fail(c.gpa_limit_errno,
                    "the slot ends at gfn " + std::to_string(slot.base_gfn + slot.npages) +
                        ", beyond " + std::to_string(limit_pages) +
                        (c.spec.arch == Arch::Arm64
                             ? " (the VM's 40-bit IPA size) — kvm_arch_prepare_memory_region, "
                               "arch/arm64/kvm/mmu.c"
                             : " (the host's 46 physical address bits) — "
                               "kvm_arch_prepare_memory_region, arch/x86/kvm/x86.c"));
    return success();
}

// kvm_prepare_memory_region: decide the new slot's dirty bitmap.
void prepare_dirty_bitmap(const Kvm& kvm, const Memslot* old, Memslot& slot) {
    if (!slot.dirty_track_enabled()) {
        slot.dirty_bitmap.reset();
    } else if (old && old->dirty_bitmap) {
        slot.dirty_bitmap = old->dirty_bitmap;
    } else if (kvm_use_dirty_bitmap(kvm)) {
        slot.dirty_bitmap.emplace(slot.npages, kvm_dirty_log_manual_protect_and_init_set(kvm));
    }
}

// kvm_set_memslot and the commit that follows it.
void commit_memslot(Kvm& kvm, Memslots& slots, const Memslot* old, Memslot slot, Change change) {
    const bool was_logging = old && old->dirty_track_enabled();
    const bool logging = change != Change::Delete && slot.dirty_track_enabled();
    kvm.nr_memslots_dirty_logging += int(logging) - int(was_logging);
    if (change == Change::Delete) {
        slots.erase(slot.id);
        return;
    }
    if (change == Change::Move)
        slot.pages.unmap_all(); // kvm_arch_flush_shadow_memslot zaps the old mappings
    Memslot& s = slots[slot.id] = std::move(slot);
    if (change == Change::FlagsOnly && logging && !was_logging)
        kvm_mmu_slot_enable_logging(kvm, s);
}

} // namespace

namespace {

KRet set_memory_region(Kvm& kvm, uint16_t as_id, uint16_t id, uint32_t flags, uint64_t gfn,
                       uint64_t npages) {
    const KernelConfig& c = kvm.config;
    const std::string at = " — __kvm_set_memory_region, virt/kvm/kvm_main.c";
    if (id >= c.user_mem_slots)
        return fail(kEINVAL, "slot id " + std::to_string(id) + " is not below the " +
                                 std::to_string(c.user_mem_slots) +
                                 " user memslots (KVM_USER_MEM_SLOTS) — "
                                 "kvm_vm_ioctl_set_memory_region, virt/kvm/kvm_main.c");
    if (flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
        return fail(kEINVAL, "flags " + std::to_string(flags) +
                                 " has bits other than LOG_DIRTY_PAGES and READONLY — "
                                 "check_memory_region_flags, virt/kvm/kvm_main.c");
    if (as_id >= c.address_spaces)
        return fail(kEINVAL, "address space " + std::to_string(as_id) + " is not below the " +
                                 std::to_string(c.address_spaces) + " of KVM_ADDRESS_SPACE_NUM" +
                                 at);
    // guest_phys_addr + memory_size must not wrap: both are byte counts in a u64.
    const uint64_t page = c.spec.page_size;
    const uint64_t max_pages = ~0ull / page; // pages whose byte count fits in a u64
    if (gfn > max_pages || npages > max_pages || gfn * page + npages * page < gfn * page)
        return fail(kEINVAL, "guest_phys_addr + memory_size wraps around 2^64 bytes" + at);
    if (npages > KVM_MEM_MAX_NR_PAGES)
        return fail(kEINVAL, std::to_string(npages) +
                                 " pages is more than KVM_MEM_MAX_NR_PAGES (2^31 - 1)" + at);

    Memslots& slots = kvm.memslots[as_id];
    Memslot* old = kvm.id_to_memslot(as_id, id);

    if (npages == 0) {
        if (!old)
            return fail(kEINVAL,
                        "pages=0 deletes, but slot " + std::to_string(id) + " does not exist" + at);
        commit_memslot(kvm, slots, old, *old, Change::Delete);
        return success(0, "slot " + std::to_string(id) +
                              " is deleted and its mappings zapped — kvm_set_memslot, "
                              "virt/kvm/kvm_main.c");
    }

    Change change = Change::Create;
    if (old) {
        if (npages != old->npages)
            return fail(kEINVAL, "slot " + std::to_string(id) + " has " +
                                     std::to_string(old->npages) +
                                     " pages; an existing slot cannot change its size" + at);
        if ((flags ^ old->flags) & KVM_MEM_READONLY)
            return fail(kEINVAL, "an existing slot cannot flip READONLY" + at);
        if (gfn != old->base_gfn)
            change = Change::Move;
        else if (flags != old->flags)
            change = Change::FlagsOnly;
        else
            return success(0, "the same arguments again: nothing to change" + at);
    }
    if ((change == Change::Create || change == Change::Move) &&
        overlaps_another_slot(slots, id, gfn, gfn + npages))
        return fail(kEEXIST, "gfns " + std::to_string(gfn) + ".." +
                                 std::to_string(gfn + npages - 1) +
                                 " overlap another slot of address space " + std::to_string(as_id) +
                                 " — kvm_check_memslot_overlap, virt/kvm/kvm_main.c");

    Memslot slot;
    slot.as_id = as_id;
    slot.id = id;
    slot.base_gfn = gfn;
    slot.npages = npages;
    slot.flags = flags;
    slot.pages = old ? old->pages : PageStates(npages);
    prepare_dirty_bitmap(kvm, old, slot);
    if (KRet r = arch_prepare_memory_region(kvm, slot); !r.ok())
        return r;
    commit_memslot(kvm, slots, old, std::move(slot), change);
    switch (change) {
    case Change::Create:
        return success(0, "slot " + std::to_string(id) + " is created" + at);
    case Change::Move:
        return success(0, "slot " + std::to_string(id) +
                              " moves: its old mappings are zapped and its bitmap kept — "
                              "kvm_set_memslot, virt/kvm/kvm_main.c");
    default:
        return success(0, std::string((flags & KVM_MEM_LOG_DIRTY_PAGES)
                                          ? "dirty logging is turned on for slot "
                                          : "dirty logging is turned off for slot ") +
                              std::to_string(id) + " — kvm_set_memslot, virt/kvm/kvm_main.c");
    }
}

} // namespace

KRet kvm_set_memory_region(Kvm& kvm, uint16_t as_id, uint16_t id, uint32_t flags, uint64_t gfn,
                           uint64_t npages) {
    KRet r = set_memory_region(kvm, as_id, id, flags, gfn, npages);
    Event e{EventKind::Ioctl, uint8_t(IoctlId::SetUserMemoryRegion)};
    e.slot = (uint32_t(as_id) << 16) | id;
    e.aux2 = static_cast<uint8_t>(flags); // LOG_DIRTY_PAGES, READONLY
    e.a = gfn;
    e.b = npages;
    e.n = static_cast<uint32_t>(r.value); // 0 or -errno, as an int32
    kvm.emit(e, r.why);
    return r;
}

namespace {

KRet create_vcpu(Kvm& kvm, uint32_t id, uint32_t start_index) {
    const KernelConfig& c = kvm.config;
    const char* at = " — kvm_vm_ioctl_create_vcpu, virt/kvm/kvm_main.c";
    if (id >= c.max_vcpu_ids)
        return fail(kEINVAL, "vCPU id " + std::to_string(id) + " is not below KVM_MAX_VCPU_IDS (" +
                                 std::to_string(c.max_vcpu_ids) + ")" + at);
    if (kvm.created_vcpus >= c.max_vcpus)
        return fail(kEINVAL, "the VM already has " + std::to_string(kvm.created_vcpus) +
                                 " vCPUs, as many as it allows" + at);
    if (kvm.vcpu_by_id(id))
        return fail(kEEXIST, "vCPU id " + std::to_string(id) + " is already in use" + at);
    Vcpu v;
    v.vcpu_id = id;
    if (kvm.dirty_ring_size)
        v.dirty_ring = dirty_ring_alloc(kvm.dirty_ring_size, c.rsvd_entries(), start_index);
    kvm.created_vcpus++;
    kvm.vcpus.push_back(std::move(v));
    if (!kvm.dirty_ring_size)
        return success(0, "vCPU " + std::to_string(id) + " is created" + at);
    return success(0, "vCPU " + std::to_string(id) + " is created with a ring of " +
                          std::to_string(kvm.dirty_ring_size / sizeof(DirtyGfn)) +
                          " entries — kvm_dirty_ring_alloc, virt/kvm/dirty_ring.c");
}

} // namespace

KRet kvm_vm_ioctl_create_vcpu(Kvm& kvm, uint32_t id, uint32_t start_index) {
    KRet r = create_vcpu(kvm, id, start_index);
    Event e;
    e.vcpu = id;
    e.a = start_index;
    kvm.emit_ioctl(IoctlId::CreateVcpu, e, r);
    return r;
}

} // namespace ringside
