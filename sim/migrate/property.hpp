// Seeded random small guests, each set up the way QEMU would for a mode its kernel supports,
// for the property test (tests/unit/migration_test.cpp runs 10^3, bench_engine 10^5): every
// arch and mode, every workload pattern, small rings so that RING_FULL happens, and KVM's own
// writes with no vCPU (the vGIC ITS save at stop, a write at a set time) on page 0, which no
// workload touches.
#pragma once

#include "compare.hpp"

#include <string>

namespace ringside::migrate {

struct RandomCase {
    GuestSetup g;
    Mode mode = Mode::Bitmap;
    std::string text; // the case as a scenario, for a failure message
};

// A case whose protocol is correct, except that with broken_its an arm64 guest in ring mode
// (no backup bitmap) still saves its vGIC ITS tables into page 0 at the stop.
RandomCase random_case(Rng& rng, bool broken_its);

} // namespace ringside::migrate
