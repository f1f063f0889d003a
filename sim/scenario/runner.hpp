// Running scenario commands against a VM, and whole scenario files (scenario-language.md).
#pragma once

#include "command.hpp"

#include <istream>
#include <optional>
#include <string>
#include <variant>

namespace ringside::scenario {

// A VM and the VMM driving it, as one scenario sees them.
class Session {
  public:
    // Runs one command; the result text, or a scenario error (bad reference, no vm yet).
    std::variant<std::string, ParseError> execute(const Command& c);

    const Kvm* kvm() const { return kvm_ ? &*kvm_ : nullptr; }
    const Vmm& vmm() const { return vmm_; }

  private:
    std::optional<Kvm> kvm_;
    Vmm vmm_;
};

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
    virtual void result(int line, const std::string& command, const std::string& result) = 0;
    virtual void expectation_failed(int line, const std::string& expected,
                                    const std::string& got) = 0;
    virtual void error(int line, int col, const std::string& message) = 0;
};

enum class FileStatus { Passed = 0, ExpectationFailed = 1, Error = 2 };

inline constexpr size_t kMaxLineLength = 65536;

// Runs a scenario read from in, stopping at the first failed expectation or error.
FileStatus run_scenario(std::istream& in, Reporter& out, Session* session = nullptr);

} // namespace ringside::scenario
