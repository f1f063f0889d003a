// Time travel: a scenario's commands, every event they caused, and the exact engine state after
// any number of events. Checkpoints (cheap copy-on-write copies of the session) are kept every
// so many events at command boundaries; a state in between is rebuilt by replaying from the
// nearest one, and a state in the middle of a command by replaying that command and stopping
// at the event.
#pragma once

#include "runner.hpp"

#include <optional>
#include <vector>

namespace ringside::scenario {

class Timeline {
  public:
    explicit Timeline(uint64_t checkpoint_every = 4096);
    // The live session reports into this timeline's own log, so moving must re-attach it.
    Timeline(Timeline&& o) noexcept;
    Timeline& operator=(Timeline&& o) noexcept;
    Timeline(const Timeline&) = delete;
    Timeline& operator=(const Timeline&) = delete;

    // Runs one more command on the live session, recording its events.
    std::variant<std::string, ParseError> execute(const Command& c);

    const Session& live() const { return live_; }
    const EventLog& log() const { return log_; }
    uint64_t event_count() const { return log_.size(); }
    size_t command_count() const { return steps_.size(); }
    const Command& command(size_t i) const { return steps_[i].command; }
    // The events of command i are [first_event(i), end_event(i)).
    uint64_t first_event(size_t i) const { return steps_[i].first_event; }
    uint64_t end_event(size_t i) const { return steps_[i].end_event; }
    // The command that caused event e.
    size_t command_of(uint64_t e) const;
    // The kernel the VM had when event e happened (a later `vm` line starts another), or null
    // before any VM.
    const KernelConfig* config_at(uint64_t e) const;
    size_t checkpoint_count() const { return checkpoints_.size(); }

    // The state once the first n events have happened (n = 0: before the first command).
    Session state_after(uint64_t n) const;

  private:
    struct Step {
        Command command;
        uint64_t first_event;
        uint64_t end_event;
        std::optional<KernelConfig> config; // the VM's kernel while this command ran
    };
    struct Checkpoint {
        size_t step; // the state before steps_[step]
        Session session;
    };

    std::vector<Step> steps_;
    std::vector<Checkpoint> checkpoints_;
    Session live_;
    EventLog log_;
    uint64_t every_;
    uint64_t last_checkpoint_event_ = 0;
};

} // namespace ringside::scenario
