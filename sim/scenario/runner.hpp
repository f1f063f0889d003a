// Running scenario commands against a VM, and whole scenario files (scenario-language.md).
#pragma once

#include "command.hpp"

#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace ringside::scenario {

// A VM and the VMM driving it, as one scenario sees them. Copying a Session is cheap (the
// big state is shared copy-on-write) and gives an independent VM: that is a checkpoint.
// Ringside's own bounds, so that every command is bounded work: exceeding one is a scenario
// error, never a kernel result.
struct Limits {
    uint64_t touched_pages = 1ull << 24;    // pages of memslots one run or host-write may touch
    uint64_t kernel_write_pages = 1 << 16;  // tokens one kernel-write prints
    uint64_t listed_bits = 1ull << 24;      // clearlog bits= entries
    uint64_t migration_ticks = 1ull << 22;  // ticks of simulated time one migrate may run
    uint64_t migration_writes = 1ull << 28; // guest writes one migrate may simulate
};

class Session {
  public:
    Session() = default;
    explicit Session(Limits limits) : limits_(limits) {}
    // Runs one command; the result text, or a scenario error (bad reference, no vm yet).
    std::variant<std::string, ParseError> execute(const Command& c);

    const Kvm* kvm() const { return kvm_ ? &*kvm_ : nullptr; }
    const Vmm& vmm() const { return vmm_; }
    // Migrates the VM with the workloads set so far (the `migrate` command); progress may
    // cancel. The result is kept as the last migration.
    std::shared_ptr<const migrate::MigrationResult>
    run_migration(migrate::MigrationConfig config,
                  const std::function<bool(const migrate::Progress&)>& progress = {});
    // The last migrate's result, if any.
    const migrate::MigrationResult* migration() const { return migration_.get(); }
    const std::map<uint32_t, migrate::WorkloadSpec>& workloads() const { return workloads_; }
    // Where events go from now on (nullptr: nowhere).
    void set_sink(EventSink* sink);
    EventSink* sink() const { return sink_; }

  private:
    std::optional<Kvm> kvm_;
    Vmm vmm_;
    std::map<uint32_t, migrate::WorkloadSpec> workloads_; // by vCPU id
    std::shared_ptr<const migrate::MigrationResult> migration_;
    EventSink* sink_ = nullptr;
    Limits limits_;
};

// Everything a Session holds, as canonical text: equal texts mean equal states.
std::string state_digest(const Session& s);

// LIST: ascending values, runs of three or more as a-b, pairs as a,b, "-" when empty.
class ListBuilder {
  public:
    void add(uint64_t v) { add_range(v, v); }
    void add_range(uint64_t first, uint64_t last); // first > everything added before
    std::string str();

  private:
    void flush();
    std::string out_;
    bool open_ = false;
    uint64_t first_ = 0, last_ = 0;
};
std::string format_list(const std::vector<uint64_t>& sorted_unique);

// What a scenario file produced, line by line.
class Reporter {
  public:
    virtual ~Reporter() = default;
    // With tracing on, each event the command caused, after its result; index counts from 0
    // at the file's start.
    virtual void event(int line, uint64_t index, const Event& e, std::string_view why,
                       const KernelConfig& config) {
        (void)line, (void)index, (void)e, (void)why, (void)config;
    }
    virtual void result(int line, const std::string& command, const std::string& result) = 0;
    virtual void expectation_failed(int line, const std::string& expected,
                                    const std::string& got) = 0;
    virtual void error(int line, int col, const std::string& message) = 0;
};

enum class FileStatus { Passed = 0, ExpectationFailed = 1, Error = 2 };

inline constexpr size_t kMaxLineLength = 65536;

// Runs a scenario read from in, stopping at the first failed expectation or error.
FileStatus run_scenario(std::istream& in, Reporter& out, Session* session = nullptr,
                        bool trace = false);

} // namespace ringside::scenario
