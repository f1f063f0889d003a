// Guest workloads: what each vCPU writes, and when, on the simulated clock. A workload is a
// pattern over a list of guest pages at a rate in writes per second of the vCPU's running time;
// a seed makes it repeatable. Every draw comes from Ringside's own generator and integer
// arithmetic (no std:: distributions, whose results differ between standard libraries), so a
// seed gives the same pages on every machine.
#pragma once

#include "../kvm.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ringside::migrate {

enum class Pattern : uint8_t {
    Idle,       // no writes
    Sequential, // sweeps the pages in order, wrapping around
    Uniform,    // each write picks a page uniformly at random
    HotSet,     // Zipf over the first `hot` pages: the k-th is written ∝ 1/k^s
    Bursts,     // uniform, but only during `on` ms out of every on+off ms
};
std::string_view pattern_name(Pattern p); // "idle", "seq", "uniform", "zipf", "burst"
bool pattern_from_name(std::string_view n, Pattern* p);

struct WorkloadSpec {
    Pattern pattern = Pattern::Idle;
    PageList pages;                 // guest frame numbers; empty: every page of address space 0
    uint64_t rate = 0;              // writes per second of running time
    uint64_t hot = 0;               // HotSet: pages in the hot set (0: a quarter of the pages)
    uint32_t zipf_milli = 1000;     // HotSet: the exponent s, in thousandths
    uint64_t on_ms = 0, off_ms = 0; // Bursts
    uint64_t seed = 1;
};

// The scenario-language text of a spec ("zipf rate=1000 hot=256 s=1.0 seed=7"), for reports.
std::string workload_text(const WorkloadSpec& w);

// SplitMix64: small, fast, and fully determined by its 64-bit state.
class Rng {
  public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n), n > 0, by Lemire's multiply-shift (bias below 2^-64 * n).
    uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }

  private:
    uint64_t s_;
};

// The Zipf ranks of a hot set as cumulative 64-bit thresholds: rank k (0-based) is drawn when
// a uniform 64-bit value falls below cut[k] and not below cut[k-1]. Built once per (size, s)
// and shared between the vCPUs that use it.
class ZipfTable {
  public:
    ZipfTable(uint64_t n, uint32_t s_milli);
    uint64_t size() const { return cut_.size(); }
    uint64_t draw(Rng& rng) const;

  private:
    std::vector<uint64_t> cut_;
};

// One vCPU's stream of writes. Write k (0-based) happens when the vCPU has run (k+1)/rate
// seconds; Bursts skip the off phases. Stalls (exits, faults) are not running time: the
// migration engine adds them to the clock and the stream simply falls behind.
class WriteStream {
  public:
    // pages: the resolved page list (never empty unless the pattern is Idle).
    WriteStream(const WorkloadSpec& spec, PageList pages, uint32_t vcpu_id,
                std::shared_ptr<const ZipfTable> zipf);
    const WorkloadSpec& spec() const { return spec_; }
    // The writes due by running time t_ns that have not been taken yet, appended to out as
    // single-page ranges (consecutive pages merged); returns how many.
    uint64_t take_due(uint64_t t_ns, PageList* out);
    uint64_t taken() const { return taken_; }

  private:
    uint64_t page_at(uint64_t index) const; // the index-th page of the list
    uint64_t next_page();
    // How many writes are due by running time t_ns.
    uint64_t due_by(uint64_t t_ns) const;
    WorkloadSpec spec_;
    PageList pages_;
    std::vector<uint64_t> starts_; // index of each range's first page in the list
    uint64_t total_ = 0;           // pages in the list
    Rng rng_;
    std::shared_ptr<const ZipfTable> zipf_;
    uint64_t taken_ = 0;
};

} // namespace ringside::migrate
