// The VM, its memslots and its vCPUs (virt/kvm/kvm_main.c: __kvm_set_memory_region,
// kvm_prepare_memory_region, kvm_vm_ioctl_create_vcpu).
#include "kvm.hpp"

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
                    c.spec.arch == Arch::Arm64
                        ? "the slot ends beyond the VM's IPA size (40 bits) "
                          "— kvm_arch_prepare_memory_region, arch/arm64/kvm/mmu.c"
                        : "the slot ends beyond the host's physical address width (46 bits) "
                          "— kvm_arch_prepare_memory_region, arch/x86/kvm/x86.c");
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

KRet kvm_set_memory_region(Kvm& kvm, uint16_t as_id, uint16_t id, uint32_t flags, uint64_t gfn,
                           uint64_t npages) {
    const KernelConfig& c = kvm.config;
    if (id >= c.user_mem_slots)
        return fail(kEINVAL, "the slot id is not below the number of user memslots "
                             "— kvm_vm_ioctl_set_memory_region, virt/kvm/kvm_main.c");
    if (flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
        return fail(kEINVAL, "unknown memslot flags — check_memory_region_flags, "
                             "virt/kvm/kvm_main.c");
    if (as_id >= c.address_spaces)
        return fail(kEINVAL, "the address space id is not below KVM_ADDRESS_SPACE_NUM "
                             "— __kvm_set_memory_region, virt/kvm/kvm_main.c");
    // guest_phys_addr + memory_size must not wrap: both are byte counts in a u64.
    const uint64_t page = c.spec.page_size;
    const uint64_t max_pages = ~0ull / page; // pages whose byte count fits in a u64
    if (gfn > max_pages || npages > max_pages || gfn * page + npages * page < gfn * page)
        return fail(kEINVAL, "guest_phys_addr + memory_size wraps around "
                             "— __kvm_set_memory_region, virt/kvm/kvm_main.c");
    if (npages > KVM_MEM_MAX_NR_PAGES)
        return fail(kEINVAL, "more than KVM_MEM_MAX_NR_PAGES (2^31 - 1) pages "
                             "— __kvm_set_memory_region, virt/kvm/kvm_main.c");

    Memslots& slots = kvm.memslots[as_id];
    Memslot* old = kvm.id_to_memslot(as_id, id);

    if (npages == 0) {
        if (!old)
            return fail(kEINVAL, "deleting a slot that does not exist "
                                 "— __kvm_set_memory_region, virt/kvm/kvm_main.c");
        commit_memslot(kvm, slots, old, *old, Change::Delete);
        return success(0, "the slot is deleted and its mappings zapped "
                          "— kvm_set_memslot, virt/kvm/kvm_main.c");
    }

    Change change = Change::Create;
    if (old) {
        if (npages != old->npages || ((flags ^ old->flags) & KVM_MEM_READONLY))
            return fail(kEINVAL, "an existing slot can only move or change its logging flag, "
                                 "not its size or READONLY — __kvm_set_memory_region, "
                                 "virt/kvm/kvm_main.c");
        if (gfn != old->base_gfn)
            change = Change::Move;
        else if (flags != old->flags)
            change = Change::FlagsOnly;
        else
            return success(0, "nothing to change — __kvm_set_memory_region, virt/kvm/kvm_main.c");
    }
    if ((change == Change::Create || change == Change::Move) &&
        overlaps_another_slot(slots, id, gfn, gfn + npages))
        return fail(kEEXIST, "the range overlaps another slot of this address space "
                             "— kvm_check_memslot_overlap, virt/kvm/kvm_main.c");

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
        return success(0, "the slot is created — __kvm_set_memory_region, virt/kvm/kvm_main.c");
    case Change::Move:
        return success(0, "the slot moves; its old mappings are zapped and its bitmap kept "
                          "— kvm_set_memslot, virt/kvm/kvm_main.c");
    default:
        return success(0, "the slot's logging flag changes — kvm_set_memslot, "
                          "virt/kvm/kvm_main.c");
    }
}

KRet kvm_vm_ioctl_create_vcpu(Kvm& kvm, uint32_t id, uint32_t start_index) {
    const KernelConfig& c = kvm.config;
    if (id >= c.max_vcpu_ids)
        return fail(kEINVAL, "the vCPU id is not below KVM_MAX_VCPU_IDS "
                             "— kvm_vm_ioctl_create_vcpu, virt/kvm/kvm_main.c");
    if (kvm.created_vcpus >= c.max_vcpus)
        return fail(kEINVAL, "the VM already has as many vCPUs as it allows "
                             "— kvm_vm_ioctl_create_vcpu, virt/kvm/kvm_main.c");
    if (kvm.vcpu_by_id(id))
        return fail(kEEXIST, "a vCPU with this id exists — kvm_vm_ioctl_create_vcpu, "
                             "virt/kvm/kvm_main.c");
    Vcpu v;
    v.vcpu_id = id;
    if (kvm.dirty_ring_size)
        v.dirty_ring = dirty_ring_alloc(kvm.dirty_ring_size, c.rsvd_entries(), start_index);
    kvm.created_vcpus++;
    kvm.vcpus.push_back(std::move(v));
    return success(0, kvm.dirty_ring_size ? "the vCPU is created with its dirty ring "
                                            "— kvm_dirty_ring_alloc, virt/kvm/dirty_ring.c"
                                          : "the vCPU is created — kvm_vm_ioctl_create_vcpu, "
                                            "virt/kvm/kvm_main.c");
}

} // namespace ringside
