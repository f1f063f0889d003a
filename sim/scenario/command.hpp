// One line of the scenario language, parsed (scenario-language.md). Parsing never touches a
// VM; running a Command does (runner.hpp).
#pragma once

#include "../kernel_config.hpp"
#include "../kvm.hpp"
#include "../migrate/migration.hpp"
#include "../vmm.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace ringside::scenario {

enum class Op : uint8_t {
    Vm,
    Check,
    Enable,
    Memslot,
    Vcpu,
    Run,
    HostWrite,
    KernelWrite,
    Harvest,
    Reset,
    GetLog,
    ClearLog,
    ShowRing,
    ShowEntry,
    ShowBitmap,
    ShowWp,
    ShowHarvested,
    Workload,
    Migrate,
    ShowRound,
    ShowLost,
    ShowMigration,
    Expect,
};

struct Command {
    Op op = Op::Reset;
    std::string text; // as written, comment removed, spaces trimmed
    int id_col = 1;   // column of the object the command names (vCPU or slot id)

    VmSpec vm;                                 // vm
    uint64_t cap = 0;                          // check, enable
    uint64_t args0 = 0;                        // enable
    uint32_t flags = 0;                        // enable: cap->flags; memslot: KVM_MEM_*
    uint32_t id = 0;                           // vCPU id, or slot id
    uint16_t as_id = 0;                        // memslot, getlog, clearlog, show
    uint64_t gfn = 0, pages = 0;               // memslot
    uint32_t start_index = 0;                  // vcpu
    GuestProgram program;                      // run, host-write, kernel-write: the pages
    std::optional<uint32_t> on_vcpu;           // kernel-write vcpu=
    VgicWrite during = VgicWrite::None;        // kernel-write during=
    uint64_t max = ~0ull;                      // harvest
    HarvestOrder order = HarvestOrder::AcqRel; // harvest
    uint64_t first = 0;                        // clearlog
    uint32_t num = 0;                          // clearlog
    std::optional<PageList> bits;              // clearlog: nullopt = all
    uint64_t index = 0;                        // show entry
    std::string expect;                        // expect
    bool all_vcpus = false;                    // workload all
    migrate::WorkloadSpec workload;            // workload
    migrate::MigrationConfig migration;        // migrate
    std::string field;                         // show migration
};

struct ParseError {
    int col = 1;
    std::string message;
};

// A line with only spaces or a comment parses to std::monostate.
using ParsedLine = std::variant<std::monostate, Command, ParseError>;

// Parses one line (without its newline).
ParsedLine parse_line(std::string_view line);

// A decimal or 0x-hex integer as the scenario language writes one (no K/M suffix here).
enum class IntegerError { None, Malformed, TooBig };
IntegerError parse_integer(std::string_view s, uint64_t* out);

} // namespace ringside::scenario
