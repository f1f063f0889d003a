// Engine throughput: guest writes to writable pages, faults, and ring entries end to end
// (push → harvest → reset with coalescing). Prints one line per figure; run it under
// farm-bench for medians.
#include "kvm.hpp"
#include "vmm.hpp"

#include <chrono>
#include <cstdio>

using namespace ringside;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

int main() {
    VmSpec s;
    s.arch = Arch::X86_64;
    s.version = {6, 1};
    s.pml = false;
    const KernelConfig cfg = *make_kernel_config(s).config;

    { // faults: every first write to a page of a logging slot, bitmap mode
        Kvm kvm(cfg);
        const uint64_t pages = 1 << 22; // 16 GiB
        kvm_set_memory_region(kvm, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, pages);
        kvm_vm_ioctl_create_vcpu(kvm, 0);
        auto t = Clock::now();
        RunResult r = kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], {true, {{0, pages - 1}}, 1});
        const double dt = seconds_since(t);
        std::printf("faults/s %.3g (%llu faults)\n", double(r.done) / dt,
                    (unsigned long long)r.done);
        // writes to writable pages, interleaved with a fault-free list the bulk path cannot skip
        PageList scattered;
        for (uint64_t i = 0; i < 1 << 16; ++i)
            scattered.push_back({(i * 7919) % pages, (i * 7919) % pages});
        t = Clock::now();
        r = kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], {true, scattered, 256});
        const double dw = seconds_since(t);
        std::printf("writes/s %.3g (%llu writes, scattered)\n", double(r.done) / dw,
                    (unsigned long long)r.done);
    }
    { // ring entries end to end
        Kvm kvm(cfg);
        kvm_vm_ioctl_enable_cap(kvm, KVM_CAP_DIRTY_LOG_RING, 65536 * 16, 0);
        kvm_set_memory_region(kvm, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 1 << 20);
        kvm_vm_ioctl_create_vcpu(kvm, 0);
        Vmm vmm;
        uint64_t entries = 0;
        auto t = Clock::now();
        for (int round = 0; round < 64; ++round) {
            const uint64_t base = (round * 60000ull) % ((1 << 20) - 60000);
            RunResult r =
                kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], {true, {{base, base + 59999}}, 1});
            entries += vmm_harvest_ring(vmm, *kvm.vcpus[0].dirty_ring, 0, ~0ull);
            kvm_vm_ioctl_reset_dirty_pages(kvm);
            (void)r;
        }
        const double dt = seconds_since(t);
        std::printf("ring entries/s %.3g (%llu entries)\n", double(entries) / dt,
                    (unsigned long long)entries);
    }
    return 0;
}
