#include "timeline.hpp"

#include <algorithm>

namespace ringside::scenario {

Timeline::Timeline(uint64_t checkpoint_every) : every_(std::max<uint64_t>(checkpoint_every, 1)) {
    checkpoints_.push_back({0, Session{}});
    live_.set_sink(&log_);
}

Timeline::Timeline(Timeline&& o) noexcept
    : steps_(std::move(o.steps_)), checkpoints_(std::move(o.checkpoints_)),
      live_(std::move(o.live_)), log_(std::move(o.log_)), every_(o.every_),
      last_checkpoint_event_(o.last_checkpoint_event_) {
    live_.set_sink(&log_);
}

Timeline& Timeline::operator=(Timeline&& o) noexcept {
    steps_ = std::move(o.steps_);
    checkpoints_ = std::move(o.checkpoints_);
    live_ = std::move(o.live_);
    log_ = std::move(o.log_);
    every_ = o.every_;
    last_checkpoint_event_ = o.last_checkpoint_event_;
    live_.set_sink(&log_);
    return *this;
}

std::variant<std::string, ParseError> Timeline::execute(const Command& c) {
    if (c.op == Op::Expect)
        return ParseError{1, "expect is not a command the VM runs"};
    if (log_.size() - last_checkpoint_event_ >= every_) {
        Session copy = live_;
        copy.set_sink(nullptr);
        checkpoints_.push_back({steps_.size(), std::move(copy)});
        last_checkpoint_event_ = log_.size();
    }
    const uint64_t first = log_.size();
    auto r = live_.execute(c);
    if (std::holds_alternative<ParseError>(r)) {
        // A scenario error changes nothing and is not part of the timeline.
        return r;
    }
    std::optional<KernelConfig> config;
    if (const Kvm* kvm = live_.kvm())
        config = kvm->config;
    steps_.push_back({c, first, log_.size(), std::move(config)});
    return r;
}

size_t Timeline::command_of(uint64_t e) const {
    auto it = std::upper_bound(steps_.begin(), steps_.end(), e,
                               [](uint64_t ev, const Step& s) { return ev < s.end_event; });
    return static_cast<size_t>(it - steps_.begin());
}

const KernelConfig* Timeline::config_at(uint64_t e) const {
    const size_t s = command_of(e);
    if (s >= steps_.size() || !steps_[s].config)
        return nullptr;
    return &*steps_[s].config;
}

namespace {

// Counts the events of a replay and, at the wanted one, copies the session and stops it.
class CaptureAt : public EventSink {
  public:
    CaptureAt(uint64_t count, uint64_t want, const Session& s)
        : count_(count), want_(want), session_(s) {}
    struct Done {};
    void emit(const Event&, std::string_view) override {
        if (++count_ == want_) {
            captured = session_;
            throw Done{}; // the rest of this command is not needed
        }
    }
    Session captured;

  private:
    uint64_t count_;
    uint64_t want_;
    const Session& session_;
};

} // namespace

Session Timeline::state_after(uint64_t n) const {
    n = std::min<uint64_t>(n, log_.size());
    // The first step that ends at or after n: the state lies within it, or at its end.
    size_t target = command_of(n == 0 ? 0 : n - 1);
    if (n == 0)
        target = 0;
    auto cp = std::upper_bound(checkpoints_.begin(), checkpoints_.end(), target,
                               [](size_t t, const Checkpoint& c) { return t < c.step; });
    --cp;
    Session s = cp->session;
    for (size_t i = cp->step; i < target; ++i)
        s.execute(steps_[i].command);
    if (n == 0 || target >= steps_.size() || steps_[target].first_event >= n) {
        s.set_sink(nullptr);
        return s;
    }
    if (steps_[target].end_event == n) { // the whole command, with what it does after its events
        s.set_sink(nullptr);
        s.execute(steps_[target].command);
        return s;
    }
    CaptureAt capture(steps_[target].first_event, n, s);
    s.set_sink(&capture);
    try {
        s.execute(steps_[target].command);
    } catch (const CaptureAt::Done&) {
        capture.captured.set_sink(nullptr);
        return capture.captured;
    }
    s.set_sink(nullptr); // the command ended exactly at event n
    return s;
}

} // namespace ringside::scenario
