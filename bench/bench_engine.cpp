// Engine benchmarks, one figure per mode, with the event log in its normal mode (every event
// kept) unless the mode says otherwise:
//   writes    guest writes/s to pages already writable and dirty (scattered, no bulk shortcut)
//   faults    first-touch write faults/s in a logging slot (bitmap mode)
//   ring      ring entries/s end to end: push (mark_page_dirty_in_slot on the running vCPU)
//             → harvest → reset with coalescing and re-arming
//   memory    resident MiB of a 16 GiB guest (4 M pages) with 64 vCPUs of 65536-entry rings,
//             untouched and after every page was written once (no event log)
//   stepback  ms to step back one event, at the end and in the middle, in a 16 GiB / 64-vCPU
//             timeline
//   litmus    ms to parse and check each litmus test of tests/litmus/herd7 and spec/ (the
//             classic shapes), one line each, then the slowest of catalogue/ and
//             herd-catalogue/: the median of 15 runs of each
//   explore   ms for the race explorer on 2 entries x 2 laps, each configuration ordering.md
//             names (arm64 plain/acqrel, x86_64, the no-wmb and plain-reset patches): the
//             median of 5 runs of each
//   migrate   s of wall time (one thread) for a full pre-copy migration of a 16 GiB guest
//             (4 M pages) with 64 vCPUs and 65536-entry rings, each vCPU writing a Zipf hot
//             set of 1 GiB at 1000 writes/s: x86_64 6.6 in bitmap, clear and ring mode, arm64
//             6.6 in ring+bitmap mode, one line each (rounds, pages sent, simulated time)
//   property  s for N seeded small guests (default 100000) through the truth tracker with
//             correct protocols, and how many pages they lost (must be 0)
// usage: ringside_bench MODE [LITMUS DIR | N]   (run it several times and quote the median;
//        bench/run-all takes the median of each line's figure over five runs)
#include "kvm.hpp"
#include "migrate/compare.hpp"
#include "migrate/property.hpp"
#include "ordering/explorer.hpp"
#include "ordering/litmus_check.hpp"
#include "ordering/litmus_parser.hpp"
#include "scenario/timeline.hpp"
#include "vmm.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

using namespace ringside;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

KernelConfig x86(bool pml) {
    VmSpec s;
    s.arch = Arch::X86_64;
    s.version = {6, 14};
    s.pml = pml;
    return *make_kernel_config(s).config;
}

double rss_mib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

// x86 6.14 without PML, ring_bytes of ring (0: the bitmap), one logging slot of `pages` at gfn 0
// and vCPU 0, reporting into log.
Kvm logging_vm(EventLog& log, uint64_t pages, uint32_t ring_bytes = 0) {
    Kvm kvm(x86(false));
    kvm.events = &log;
    if (ring_bytes)
        kvm_vm_ioctl_enable_cap(kvm, KVM_CAP_DIRTY_LOG_RING, ring_bytes, 0);
    kvm_set_memory_region(kvm, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, pages);
    kvm_vm_ioctl_create_vcpu(kvm, 0);
    return kvm;
}

// Prints one figure: what happened per second of the timed part.
void report(const char* what, double count, double seconds, const std::string& detail) {
    std::printf("%s %.1f M (%s)\n", what, count / seconds / 1e6, detail.c_str());
}

int bench_writes() {
    EventLog log;
    const uint64_t pages = 1 << 20;
    Kvm kvm = logging_vm(log, pages);
    kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], {true, {{0, pages - 1}}, 1}); // all dirty now
    // 4 M single-page ranges in a scattered order: every access takes the per-access path.
    GuestProgram p{true, {}, 1};
    const uint64_t n = 1 << 22;
    p.pages.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t g = (i * 7919) % pages;
        p.pages.push_back({g, g});
    }
    const auto t = Clock::now();
    const RunResult r = kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], p);
    report("writes/s", double(r.done), seconds_since(t),
           std::to_string(r.done) + " writes to dirty pages, " + std::to_string(log.size()) +
               " events");
    return 0;
}

int bench_faults() {
    EventLog log;
    const uint64_t pages = 1 << 20;
    Kvm kvm = logging_vm(log, pages);
    const auto t = Clock::now();
    const RunResult r = kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[0], {true, {{0, pages - 1}}, 1});
    report("faults/s", double(r.done), seconds_since(t),
           std::to_string(r.done) + " faults, " + std::to_string(log.size()) + " events");
    return 0;
}

int bench_ring() {
    EventLog log;
    const uint64_t pages = 1 << 20;
    Kvm kvm = logging_vm(log, pages, 65536 * 16);
    Memslot* slot = kvm.id_to_memslot(0, 0);
    Vcpu& vcpu = kvm.vcpus[0];
    Vmm vmm;
    uint64_t entries = 0;
    const auto t = Clock::now();
    for (uint64_t round = 0; round < 64; ++round) {
        // The kernel records 60000 dirty pages of the running vCPU (below the soft limit of
        // 65472), userspace harvests them, KVM resets the ring with coalescing.
        const uint64_t base = (round % 16) * 60000;
        for (uint64_t g = base; g < base + 60000; ++g)
            mark_page_dirty_in_slot(kvm, &vcpu, slot, g);
        entries += vmm_harvest_ring(vmm, *vcpu.dirty_ring, 0, ~0ull, HarvestOrder::AcqRel, &log);
        kvm_vm_ioctl_reset_dirty_pages(kvm);
    }
    report("ring entries/s", double(entries), seconds_since(t),
           std::to_string(entries) + " entries pushed, harvested and reset, " +
               std::to_string(log.size()) + " events");
    return 0;
}

int bench_memory() {
    const double before = rss_mib();
    Kvm kvm(x86(true));
    const uint64_t pages = 1 << 22; // 16 GiB of 4 KiB pages
    kvm_vm_ioctl_enable_cap(kvm, KVM_CAP_DIRTY_LOG_RING, 65536 * 16, 0);
    kvm_set_memory_region(kvm, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, pages);
    for (uint32_t v = 0; v < 64; ++v)
        kvm_vm_ioctl_create_vcpu(kvm, v);
    const double idle = rss_mib() - before;
    // Every vCPU writes its 64th of memory, harvesting and resetting whenever it fills up.
    Vmm vmm;
    for (uint32_t v = 0; v < 64; ++v) {
        const uint64_t first = v * (pages / 64), last = first + pages / 64 - 1;
        for (uint64_t g = first; g <= last; g += 60000) {
            kvm_arch_vcpu_ioctl_run(kvm, kvm.vcpus[v], {true, {{g, std::min(last, g + 59999)}}, 1});
            vmm_harvest_ring(vmm, *kvm.vcpus[v].dirty_ring, v, ~0ull);
            kvm_vm_ioctl_reset_dirty_pages(kvm);
        }
    }
    std::printf("memory MiB %.1f untouched, %.1f after every page was written once\n", idle,
                rss_mib() - before);
    return 0;
}

int bench_stepback() {
    scenario::Timeline t;
    auto run = [&](const std::string& line) {
        auto parsed = scenario::parse_line(line);
        t.execute(std::get<scenario::Command>(parsed));
    };
    run("vm arch=x86_64 kernel=6.14");
    run("enable DIRTY_LOG_RING args0=1M");
    run("memslot 0 gfn=0 pages=0x400000 log");
    for (int v = 0; v < 64; ++v)
        run("vcpu " + std::to_string(v));
    for (int round = 0; round < 2; ++round) {
        for (int v = 0; v < 64; ++v) {
            const uint64_t first = uint64_t(v) * 65536 + round * 8192;
            run("run " + std::to_string(v) + " write " + std::to_string(first) + ".." +
                std::to_string(first + 4095));
        }
        for (int v = 0; v < 64; ++v)
            run("harvest " + std::to_string(v));
        run("reset");
    }
    const uint64_t n = t.event_count();
    auto time_state = [&](uint64_t at) {
        const auto t0 = Clock::now();
        const scenario::Session s = t.state_after(at);
        const double ms = seconds_since(t0) * 1e3;
        (void)s;
        return ms;
    };
    const double end = time_state(n - 1);
    const double mid = time_state(n / 2 - 1);
    std::printf("stepback ms %.2f at the end, %.2f in the middle (%llu events, %zu checkpoints)\n",
                end, mid, (unsigned long long)n, t.checkpoint_count());
    return 0;
}

// The median time in ms of `runs` calls of f.
double median_ms(int runs, const std::function<void()>& f) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        const auto t = Clock::now();
        f();
        ms.push_back(seconds_since(t) * 1e3);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

std::vector<std::filesystem::path> litmus_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
        if (e.path().extension() == ".litmus")
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

int bench_litmus(const std::string& dir) {
    // Parse and check, as `ringside-sim litmus FILE` does once the file is read.
    auto time_test = [](const std::filesystem::path& f) {
        std::ifstream in(f, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        const std::string s = text.str();
        uint64_t executions = 0;
        const double ms = median_ms(15, [&] {
            const ordering::Test t = ordering::parse_litmus(s, f.string());
            const ordering::CheckResult r = ordering::check_litmus(t, ordering::default_model(t));
            executions = r.positive + r.negative;
        });
        return std::pair<double, uint64_t>{ms, executions};
    };
    int n = 0;
    for (const char* sub : {"herd7", "spec"})
        for (const auto& f : litmus_files(std::filesystem::path(dir) / sub)) {
            const auto [ms, executions] = time_test(f);
            std::printf("litmus %s/%s %.3f ms (%llu executions)\n", sub, f.stem().string().c_str(),
                        ms, (unsigned long long)executions);
            ++n;
        }
    for (const char* sub : {"catalogue", "herd-catalogue"}) {
        double worst = 0;
        std::string name;
        int count = 0;
        for (const auto& f : litmus_files(std::filesystem::path(dir) / sub)) {
            const double ms = time_test(f).first;
            if (ms >= worst) {
                worst = ms;
                name = f.stem().string();
            }
            ++count;
        }
        if (count)
            std::printf("litmus %s-slowest %.3f ms (%s, of %d tests)\n", sub, worst, name.c_str(),
                        count);
        n += count;
    }
    if (n == 0) {
        std::fprintf(stderr, "ringside_bench litmus: no litmus tests in %s\n", dir.c_str());
        return 2;
    }
    return 0;
}

int bench_explore() {
    struct Config {
        const char* name;
        ordering::Arch arch;
        HarvestOrder harvest;
        bool no_wmb, plain_reset;
    };
    const Config configs[] = {
        {"arm64/plain", ordering::Arch::AArch64, HarvestOrder::Plain, false, false},
        {"arm64/acqrel", ordering::Arch::AArch64, HarvestOrder::AcqRel, false, false},
        {"x86_64/plain", ordering::Arch::X86, HarvestOrder::Plain, false, false},
        {"arm64/acqrel+no-wmb", ordering::Arch::AArch64, HarvestOrder::AcqRel, true, false},
        {"arm64/acqrel+plain-reset", ordering::Arch::AArch64, HarvestOrder::AcqRel, false, true},
    };
    for (const Config& c : configs) {
        ordering::RingSetup s;
        s.arch = c.arch;
        s.harvest = c.harvest;
        s.patches.no_wmb = c.no_wmb;
        s.patches.plain_reset = c.plain_reset;
        s.entries = 2;
        s.laps = 2;
        ordering::ExploreResult r;
        const double ms = median_ms(5, [&] { r = ordering::explore(ordering::ring_program(s)); });
        std::printf("explore %s %.2f ms (2x2: %llu executions, %llu bad, %llu choices)\n", c.name,
                    ms, (unsigned long long)r.executions, (unsigned long long)r.bad,
                    (unsigned long long)r.nodes);
    }
    return 0;
}

int bench_migrate() {
    migrate::GuestSetup g;
    g.pages = 4ull << 20;
    g.vcpus = 64;
    g.ring_entries = 65536;
    g.workload.rate = 1000;
    g.workload.hot = 262144; // 1 GiB
    struct Run {
        Arch arch;
        migrate::Mode mode;
    };
    const Run runs[] = {{Arch::X86_64, migrate::Mode::Bitmap},
                        {Arch::X86_64, migrate::Mode::Clear},
                        {Arch::X86_64, migrate::Mode::Ring},
                        {Arch::Arm64, migrate::Mode::RingBitmap}};
    for (const Run& r : runs) {
        g.arch = r.arch;
        const auto t = Clock::now();
        const migrate::MigrationResult m = migrate::run_mode(g, r.mode);
        const double s = seconds_since(t);
        if (!m.error.empty()) {
            std::fprintf(stderr, "migrate: %s\n", m.error.c_str());
            return 1;
        }
        std::printf("migrate %s/%s %.2f s (16 GiB, 64 vCPUs: %s, %.1f s simulated)\n",
                    std::string(arch_name(r.arch)).c_str(),
                    std::string(migrate::mode_name(r.mode)).c_str(), s, m.summary().c_str(),
                    double(m.total_ns) / 1e9);
    }
    return 0;
}

int bench_property(uint64_t n) {
    migrate::Rng rng(20261202);
    uint64_t lost = 0, converged = 0;
    const auto t = Clock::now();
    for (uint64_t i = 0; i < n; ++i) {
        const migrate::RandomCase c = migrate::random_case(rng, false);
        const migrate::MigrationResult r = migrate::run_mode(c.g, c.mode);
        if (!r.error.empty() || !r.lost.empty()) {
            std::fprintf(stderr, "case %llu: %s\n%s\n", (unsigned long long)i,
                         r.error.empty() ? r.lost_text(0).c_str() : r.error.c_str(),
                         c.text.c_str());
            ++lost;
        }
        converged += r.converged;
    }
    std::printf("property %.2f s (%llu seeded guests, %llu converged, %llu lost a page)\n",
                seconds_since(t), (unsigned long long)n, (unsigned long long)converged,
                (unsigned long long)lost);
    return lost ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "writes")
        return bench_writes();
    if (mode == "faults")
        return bench_faults();
    if (mode == "ring")
        return bench_ring();
    if (mode == "memory")
        return bench_memory();
    if (mode == "stepback")
        return bench_stepback();
    if (mode == "litmus")
        return bench_litmus(argc > 2 ? argv[2] : RINGSIDE_LITMUS_DIR);
    if (mode == "explore")
        return bench_explore();
    if (mode == "migrate")
        return bench_migrate();
    if (mode == "property")
        return bench_property(argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100000);
    std::fprintf(stderr, "usage: ringside_bench "
                         "writes|faults|ring|memory|stepback|litmus|explore|migrate|property\n");
    return 2;
}
