// libFuzzer target: any bytes as a scenario file, through the parser, the runner and the event
// descriptions. Whatever the input, the answer is a result or a FILE:LINE:COL error: never a
// crash, a leak, undefined behaviour or a hang.
#include "scenario/runner.hpp"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

using namespace ringside;

namespace {

class Sink : public scenario::Reporter {
  public:
    void result(int, const std::string& command, const std::string& result) override {
        bytes += command.size() + result.size();
    }
    void expectation_failed(int, const std::string&, const std::string&) override {}
    void error(int, int, const std::string& message) override { bytes += message.size(); }
    void event(int, uint64_t, const Event& e, std::string_view why,
               const KernelConfig& config) override {
        bytes += describe(e, config, why).size() + kernel_site(e, config).function[0];
    }
    size_t bytes = 0;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    scenario::Limits small; // keep each input fast: the real limits are exercised by ctest
    small.touched_pages = 1 << 16;
    small.kernel_write_pages = 1 << 12;
    small.listed_bits = 1 << 16;
    small.migration_ticks = 1 << 14;
    small.migration_writes = 1 << 20;
    scenario::Session session(small);
    Sink sink;
    scenario::run_scenario(in, sink, &session, true);
    return 0;
}
