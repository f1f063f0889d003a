// Every errno path of kvm-dirty-tracking.md §4, §5, §8 and §9 has its own reason, naming the
// check that failed (with its values) and the kernel function that made it.
#include "scenario/runner.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace ringside;
using namespace ringside::scenario;

namespace {

struct Case {
    std::string setup; // scenario lines before the call, separated by ';'
    const char* call;
    const char* result;
    const char* reason; // a phrase the reason must contain
    const char* function;
};

// Runs setup and call; returns the call's result and the reason of its ioctl event.
std::pair<std::string, std::string> run(const Case& c) {
    Session s;
    EventLog log;
    s.set_sink(&log);
    std::string lines = c.setup + ";" + c.call;
    std::string result;
    size_t pos = 0;
    while (pos <= lines.size()) {
        const size_t semi = std::min(lines.find(';', pos), lines.size());
        const std::string line = lines.substr(pos, semi - pos);
        pos = semi + 1;
        ParsedLine p = parse_line(line);
        auto* cmd = std::get_if<Command>(&p);
        if (!cmd)
            continue;
        log.clear();
        auto r = s.execute(*cmd);
        EXPECT_TRUE(std::holds_alternative<std::string>(r)) << line;
        if (auto* text = std::get_if<std::string>(&r))
            result = *text;
    }
    std::string why;
    for (size_t i = 0; i < log.size(); ++i)
        if (log[i].kind == EventKind::Ioctl)
            why = std::string(log.reason(i));
    s.set_sink(nullptr);
    return {result, why};
}

const char* kX86 = "vm arch=x86_64 kernel=6.1 pml=on";
const char* kArm = "vm arch=arm64 kernel=6.2";

} // namespace

TEST(Explanations, EveryErrnoHasItsOwnReason) {
    const std::string x86 = kX86, arm = kArm;
    const std::string x86ring = x86 + ";enable DIRTY_LOG_RING args0=16K";
    const std::string armring = arm + ";enable DIRTY_LOG_RING_ACQ_REL args0=64K";
    const std::string slot = x86 + ";memslot 0 gfn=0 pages=100 log";
    const std::vector<std::pair<std::string, Case>> cases = {
        // §4 DIRTY_LOG_RING / _ACQ_REL, in the kernel's order
        {"cap not advertised",
         {kArm, "enable DIRTY_LOG_RING args0=64K", "-EINVAL", "DIRTY_LOG_RING is not advertised",
          "kvm_vm_ioctl_enable_cap_generic"}},
        {"no ring on this arch",
         {"vm arch=arm64 kernel=6.1 patch=no-cap-check", "enable DIRTY_LOG_RING args0=64K",
          "-EINVAL", "KVM_DIRTY_LOG_PAGE_OFFSET is 0", "kvm_vm_ioctl_enable_dirty_log_ring"}},
        {"not a power of two",
         {kX86, "enable DIRTY_LOG_RING args0=20000", "-EINVAL",
          "ring size 20000 is not a power of two", "kvm_vm_ioctl_enable_dirty_log_ring"}},
        {"below the reserve",
         {kX86, "enable DIRTY_LOG_RING args0=8192", "-EINVAL",
          "ring size 8192 is smaller than the 576 reserved entries × 16 bytes (9216)",
          "kvm_vm_ioctl_enable_dirty_log_ring"}},
        {"below a page",
         {"vm arch=arm64 kernel=6.2 page=64K", "enable DIRTY_LOG_RING_ACQ_REL args0=32K", "-EINVAL",
          "smaller than a page (65536 bytes)", "kvm_vm_ioctl_enable_dirty_log_ring"}},
        {"too big",
         {kX86, "enable DIRTY_LOG_RING args0=2M", "-E2BIG", "larger than 65536 entries × 16 bytes",
          "kvm_vm_ioctl_enable_dirty_log_ring"}},
        {"set once",
         {x86ring, "enable DIRTY_LOG_RING_ACQ_REL args0=32K", "-EINVAL",
          "a ring size (16384) is already set", "kvm_vm_ioctl_enable_dirty_log_ring"}},
        {"after a vCPU",
         {x86 + ";vcpu 0", "enable DIRTY_LOG_RING args0=16K", "-EINVAL", "1 vCPU(s) already exist",
          "kvm_vm_ioctl_enable_dirty_log_ring"}},
        {"unknown cap",
         {kX86, "enable 9999", "-EINVAL", "capability 9999 is unknown to Linux 6.1",
          "kvm_vm_ioctl_enable_cap"}},
        // §4 WITH_BITMAP
        {"bitmap not needed",
         {"vm arch=x86_64 kernel=6.2;enable DIRTY_LOG_RING args0=16K",
          "enable DIRTY_LOG_RING_WITH_BITMAP", "-EINVAL", "x86_64 does not need a bitmap",
          "kvm_vm_ioctl_enable_cap_generic"}},
        {"bitmap before ring",
         {kArm, "enable DIRTY_LOG_RING_WITH_BITMAP", "-EINVAL", "no ring size is set yet",
          "kvm_vm_ioctl_enable_cap_generic"}},
        {"bitmap flags",
         {armring, "enable DIRTY_LOG_RING_WITH_BITMAP flags=1", "-EINVAL", "flags must be 0, not 1",
          "kvm_vm_ioctl_enable_cap_generic"}},
        {"bitmap after memslot",
         {armring + ";memslot 0 gfn=0 pages=1", "enable DIRTY_LOG_RING_WITH_BITMAP", "-EINVAL",
          "a memslot exists", "kvm_vm_ioctl_enable_cap_generic"}},
        {"bitmap before 6.2",
         {"vm arch=arm64 kernel=6.1", "enable DIRTY_LOG_RING_WITH_BITMAP", "-EINVAL",
          "DIRTY_LOG_RING_WITH_BITMAP is unknown to Linux 6.1", "kvm_vm_ioctl_enable_cap"}},
        // §4 MANUAL_DIRTY_LOG_PROTECT2
        {"manual flags",
         {kX86, "enable MANUAL_DIRTY_LOG_PROTECT2 args0=1 flags=2", "-EINVAL",
          "flags must be 0, not 2", "kvm_vm_ioctl_enable_cap_generic"}},
        {"manual init-set alone",
         {kX86, "enable MANUAL_DIRTY_LOG_PROTECT2 args0=2", "-EINVAL",
          "INITIALLY_SET needs PROTECT_ENABLE", "kvm_vm_ioctl_enable_cap_generic"}},
        {"manual riscv",
         {"vm arch=riscv kernel=6.17", "enable MANUAL_DIRTY_LOG_PROTECT2 args0=3", "-EINVAL",
          "outside the allowed 1", "kvm_vm_ioctl_enable_cap_generic"}},
        // §5 KVM_SET_USER_MEMORY_REGION
        {"slot id",
         {kX86, "memslot 32764 gfn=0 pages=1", "-EINVAL",
          "slot id 32764 is not below the 32764 user memslots", "kvm_vm_ioctl_set_memory_region"}},
        {"address space",
         {kArm, "memslot 0 as=1 gfn=0 pages=1", "-EINVAL", "address space 1 is not below the 1",
          "__kvm_set_memory_region"}},
        {"wrap",
         {kX86, "memslot 0 gfn=0xfffffffffffff pages=2", "-EINVAL", "wraps around",
          "__kvm_set_memory_region"}},
        {"too many pages",
         {kX86, "memslot 0 gfn=0 pages=0x80000000", "-EINVAL",
          "2147483648 pages is more than KVM_MEM_MAX_NR_PAGES", "__kvm_set_memory_region"}},
        {"delete missing",
         {kX86, "memslot 3 gfn=0 pages=0", "-EINVAL", "slot 3 does not exist",
          "__kvm_set_memory_region"}},
        {"resize",
         {slot, "memslot 0 gfn=0 pages=50 log", "-EINVAL",
          "slot 0 has 100 pages; an existing slot cannot change its size",
          "__kvm_set_memory_region"}},
        {"readonly flip",
         {slot, "memslot 0 gfn=0 pages=100 log readonly", "-EINVAL", "cannot flip READONLY",
          "__kvm_set_memory_region"}},
        {"overlap",
         {slot, "memslot 1 gfn=99 pages=10", "-EEXIST",
          "gfns 99..108 overlap another slot of address space 0", "kvm_check_memslot_overlap"}},
        {"x86 gpa",
         {kX86, "memslot 0 gfn=0x400000000 pages=1", "-EINVAL",
          "the host's 46 physical address bits", "kvm_arch_prepare_memory_region"}},
        {"arm64 ipa",
         {kArm, "memslot 0 gfn=0x10000000 pages=1", "-EFAULT", "the VM's 40-bit IPA size",
          "kvm_arch_prepare_memory_region"}},
        // §5 KVM_CREATE_VCPU
        {"vcpu id",
         {kArm, "vcpu 512", "-EINVAL", "vCPU id 512 is not below KVM_MAX_VCPU_IDS (512)",
          "kvm_vm_ioctl_create_vcpu"}},
        {"vcpu count",
         {"vm arch=x86_64 kernel=5.14;vcpu 0", "vcpu 1", "0", "vCPU 1 is created",
          "kvm_vm_ioctl_create_vcpu"}},
        {"vcpu duplicate",
         {x86 + ";vcpu 7", "vcpu 7", "-EEXIST", "vCPU id 7 is already in use",
          "kvm_vm_ioctl_create_vcpu"}},
        // §8 KVM_RESET_DIRTY_RINGS
        {"reset without ring",
         {kX86, "reset", "-EINVAL", "there is no dirty ring to reset",
          "kvm_vm_ioctl_reset_dirty_pages"}},
        // §9 KVM_GET_DIRTY_LOG
        {"get with ring",
         {x86ring, "getlog 0", "-ENXIO", "dirty ring tracking excludes the bitmap",
          "kvm_get_dirty_log_protect"}},
        {"get ring 6.2",
         {armring, "getlog 0", "-ENXIO", "kvm_use_dirty_bitmap() is false",
          "kvm_get_dirty_log_protect"}},
        {"get as",
         {kX86, "getlog 0 as=2", "-EINVAL", "address space 2 is not below 2",
          "kvm_get_dirty_log_protect"}},
        {"get id",
         {kX86, "getlog 40000", "-EINVAL", "slot id 40000 is not below the 32764",
          "kvm_get_dirty_log_protect"}},
        {"get no slot",
         {kX86, "getlog 4", "-ENOENT", "there is no slot 4", "kvm_get_dirty_log_protect"}},
        {"get no bitmap",
         {x86 + ";memslot 0 gfn=0 pages=10", "getlog 0", "-ENOENT", "slot 0 has no dirty bitmap",
          "kvm_get_dirty_log_protect"}},
        // §9 KVM_CLEAR_DIRTY_LOG, in the kernel's order
        {"clear with ring",
         {x86ring, "clearlog 0 first=0 num=64", "-ENXIO", "dirty ring",
          "kvm_clear_dirty_log_protect"}},
        {"clear as",
         {kX86, "clearlog 0 first=0 num=64 as=2", "-EINVAL", "address space 2",
          "kvm_clear_dirty_log_protect"}},
        {"clear first",
         {slot, "clearlog 0 first=3 num=64", "-EINVAL", "first page 3 is not a multiple of 64",
          "kvm_clear_dirty_log_protect"}},
        {"clear no slot",
         {kX86, "clearlog 0 first=0 num=64", "-ENOENT", "there is no slot 0",
          "kvm_clear_dirty_log_protect"}},
        {"clear beyond",
         {slot, "clearlog 0 first=128 num=0", "-EINVAL",
          "first page 128 is beyond the slot's 100 pages", "kvm_clear_dirty_log_protect"}},
        {"clear past end",
         {slot, "clearlog 0 first=64 num=64", "-EINVAL",
          "64 pages from 64 run past the slot's 100 pages", "kvm_clear_dirty_log_protect"}},
        {"clear unaligned",
         {slot, "clearlog 0 first=0 num=10", "-EINVAL",
          "10 pages is not a multiple of 64 and does not reach the slot's end",
          "kvm_clear_dirty_log_protect"}},
    };
    std::set<std::string> reasons;
    for (const auto& [name, c] : cases) {
        const auto [result, why] = run(c);
        EXPECT_EQ(result, c.result) << name;
        EXPECT_NE(why.find(c.reason), std::string::npos) << name << ": " << why;
        EXPECT_NE(why.find(c.function), std::string::npos) << name << ": " << why;
        if (result[0] == '-') {
            EXPECT_TRUE(reasons.insert(why).second) << name << " repeats a reason: " << why;
        }
    }
}

TEST(Explanations, ChecksSayWhy) {
    const auto [value, why] = run({kArm, "check DIRTY_LOG_RING", "0", "", ""});
    EXPECT_EQ(value, "0");
    EXPECT_NE(why.find("HAVE_KVM_DIRTY_RING_TSO"), std::string::npos) << why;
    const auto [v2, why2] = run({kArm, "check DIRTY_LOG_RING_WITH_BITMAP", "1", "", ""});
    EXPECT_EQ(v2, "1");
    EXPECT_NE(why2.find("NEED_KVM_DIRTY_RING_WITH_BITMAP"), std::string::npos) << why2;
}
