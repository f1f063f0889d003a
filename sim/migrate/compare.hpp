// The same guest, the same workload, migrated once per mode: what `ringside-sim migrate` and the
// app's migration view run. Each mode's VM is set up as QEMU sets one up for it (consumers.md
// A1): the ring caps right after KVM_CREATE_VM, WITH_BITMAP after the ring and before any
// memslot, MANUAL_DIRTY_LOG_PROTECT2 only without the ring; then the memslot and the vCPUs.
// The setup is written in the scenario language, so a learner can read and re-run it.
#pragma once

#include "../kernel_config.hpp"
#include "../scenario/command.hpp"
#include "migration.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ringside::migrate {

struct GuestSetup {
    Arch arch = Arch::Arm64;
    Version version{6, 6};
    bool pml = true;           // x86 only
    uint64_t pages = 262144;   // 1 GiB of 4 KiB pages
    uint32_t page_size = 4096; // the arch's page (16 KiB on loongarch), for reports
    uint32_t vcpus = 4;
    uint32_t ring_entries = 4096; // per vCPU (64 KiB, api.rst's recommended minimum)
    WorkloadSpec workload = default_workload();
    MigrationConfig config;

    static WorkloadSpec default_workload() {
        WorkloadSpec w;
        w.pattern = Pattern::HotSet;
        w.rate = 20000;
        w.hot = 65536; // 256 MiB
        w.seed = 1;
        return w;
    }
};

// The modes, in the order they are compared.
inline constexpr Mode kModes[] = {Mode::Bitmap, Mode::Clear, Mode::Ring, Mode::RingBitmap};
bool mode_from_name(std::string_view name, Mode* m);
// A size in bytes: "1G", "512M", "64K" (powers of 1024) or a plain decimal or 0x number.
bool parse_size(std::string_view text, uint64_t* bytes);

// The words after `workload all`, or after `migrate`, read as the scenario language reads those
// commands (the CLI's --workload and --migrate, a lesson's [step.compare]). On an error: its
// column counted within words from 1 (0 or less: it concerns the missing words themselves).
std::optional<scenario::ParseError> read_workload(std::string_view words, WorkloadSpec* w);
std::optional<scenario::ParseError> read_migrate(std::string_view words, MigrationConfig* c);

// The scenario text that sets the guest up for a mode, without the migrate line.
std::string setup_scenario(const GuestSetup& g, Mode m);
// The migrate line for the setup's config (only the options that differ from the defaults).
std::string migrate_line(const MigrationConfig& c);

// Runs the setup and migrates. When this kernel cannot do the mode (an enable fails), the
// result's error says which call failed and why (e.g. WITH_BITMAP on x86).
MigrationResult run_mode(const GuestSetup& g, Mode m,
                         const std::function<bool(const Progress&)>& progress = {});

} // namespace ringside::migrate
