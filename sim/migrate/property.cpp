// Seeded random guests for the truth tracker's property test (property.hpp).
#include "property.hpp"

namespace ringside::migrate {

RandomCase random_case(Rng& rng, bool broken_its) {
    RandomCase c;
    GuestSetup& g = c.g;
    const int kind = int(rng.below(4));
    g.arch = kind < 2 ? Arch::X86_64 : Arch::Arm64;
    g.version = kind == 0   ? Version{6, 1}
                : kind == 1 ? Version{6, 9}
                : kind == 2 ? Version{6, 2}
                            : Version{6, 15};
    g.pml = rng.below(2);
    g.pages = 64 + rng.below(2048);
    g.vcpus = 1 + uint32_t(rng.below(3));
    // Small rings, so that RING_FULL happens; with PML the ring must hold more than the 64
    // reserved entries plus a full PML buffer (512), so at least 1024 entries.
    g.ring_entries = (g.arch == Arch::X86_64 && g.pml ? 1024u : 256u) << rng.below(3);
    WorkloadSpec& w = g.workload;
    w.pattern = Pattern(rng.below(5));
    w.rate = 10 + rng.below(3000);
    w.hot = 1 + rng.below(g.pages);
    w.zipf_milli = uint32_t(500 + rng.below(1000));
    w.on_ms = 1 + rng.below(50);
    w.off_ms = rng.below(100);
    w.seed = rng.next();
    // Leave page 0 to KVM's own writes: no workload touches it.
    w.pages = {{1, g.pages - 1}};
    MigrationConfig& m = g.config;
    m.bandwidth = (4 + rng.below(60)) << 20;
    m.downtime_ns = (1 + rng.below(30)) * 1000000;
    m.max_rounds = 8;
    m.reap_interval_ns = (10 + rng.below(1000)) * 1000000;
    m.clear_chunk_pages = 64u << rng.below(5);
    const bool arm64 = g.arch == Arch::Arm64;
    std::vector<Mode> modes = {Mode::Bitmap, Mode::Clear, Mode::Ring};
    if (arm64)
        modes.push_back(Mode::RingBitmap);
    c.mode = modes[rng.below(modes.size())];
    if (arm64 && (broken_its || c.mode != Mode::Ring))
        m.its_save = {{0, 0}};
    // KVM's own writes with no vCPU: recorded in the bitmap modes from 6.2 (5.17-6.1 drop them
    // in any mode on a kernel built with the ring, as x86 is: a broken protocol, below).
    const bool drops_no_vcpu = g.arch == Arch::X86_64 && g.version <= Version{6, 1};
    if ((c.mode == Mode::Bitmap || c.mode == Mode::Clear) && !drops_no_vcpu)
        m.kernel_writes = {{rng.below(2000) * 1000000, 0}};
    c.text = setup_scenario(g, c.mode) + migrate_line(m);
    return c;
}

} // namespace ringside::migrate
