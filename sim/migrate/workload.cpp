// Guest workloads (workload.hpp).
#include "workload.hpp"

#include <algorithm>
#include <cmath>

namespace ringside::migrate {

namespace {

constexpr uint64_t kNsPerSecond = 1000000000;

struct PatternName {
    Pattern pattern;
    std::string_view name;
};
constexpr PatternName kPatternNames[] = {
    {Pattern::Idle, "idle"},   {Pattern::Sequential, "seq"}, {Pattern::Uniform, "uniform"},
    {Pattern::HotSet, "zipf"}, {Pattern::Bursts, "burst"},
};

} // namespace

std::string_view pattern_name(Pattern p) {
    for (const PatternName& n : kPatternNames)
        if (n.pattern == p)
            return n.name;
    return "?";
}

bool pattern_from_name(std::string_view name, Pattern* p) {
    for (const PatternName& n : kPatternNames)
        if (n.name == name) {
            *p = n.pattern;
            return true;
        }
    return false;
}

std::string workload_text(const WorkloadSpec& w) {
    std::string s(pattern_name(w.pattern));
    if (w.pattern == Pattern::Idle)
        return s;
    s += " rate=" + std::to_string(w.rate);
    if (w.pattern == Pattern::HotSet) {
        s += " hot=" + std::to_string(w.hot);
        std::string frac = std::to_string(1000 + w.zipf_milli % 1000).substr(1); // 3 digits
        while (frac.size() > 1 && frac.back() == '0')
            frac.pop_back();
        s += " s=" + std::to_string(w.zipf_milli / 1000) + "." + frac;
    }
    if (w.pattern == Pattern::Bursts)
        s += " on=" + std::to_string(w.on_ms) + " off=" + std::to_string(w.off_ms);
    s += " seed=" + std::to_string(w.seed);
    if (!w.pages.empty()) {
        s += " pages=";
        for (size_t i = 0; i < w.pages.size(); ++i) {
            const PageRange& r = w.pages[i];
            s += (i ? "," : "") + std::to_string(r.first);
            if (r.last != r.first)
                s += ".." + std::to_string(r.last);
        }
    }
    return s;
}

ZipfTable::ZipfTable(uint64_t n, uint32_t s_milli) {
    cut_.resize(n);
    const double s = s_milli / 1000.0;
    std::vector<double> cum(n);
    double total = 0;
    for (uint64_t k = 0; k < n; ++k) {
        const double rank = double(k + 1);
        total += s_milli == 1000 ? 1.0 / rank : std::pow(rank, -s);
        cum[k] = total;
    }
    // 2^64 as a double; a threshold at or above it is the top of the range.
    const double scale = 18446744073709551616.0;
    for (uint64_t k = 0; k < n; ++k) {
        const double c = cum[k] / total * scale;
        cut_[k] = c >= scale ? ~0ull : uint64_t(c);
    }
    cut_[n - 1] = ~0ull;
}

uint64_t ZipfTable::draw(Rng& rng) const {
    const uint64_t u = rng.next();
    const auto it = std::upper_bound(cut_.begin(), cut_.end(), u);
    return it == cut_.end() ? cut_.size() - 1 : uint64_t(it - cut_.begin());
}

WriteStream::WriteStream(const WorkloadSpec& spec, PageList pages, uint32_t vcpu_id,
                         std::shared_ptr<const ZipfTable> zipf)
    : spec_(spec), pages_(std::move(pages)),
      // Each vCPU draws its own sequence from the shared seed.
      rng_(spec.seed * 0x100000001b3ull + vcpu_id), zipf_(std::move(zipf)) {
    for (const PageRange& r : pages_) {
        starts_.push_back(total_);
        total_ += r.count();
    }
    if (total_ == 0)
        spec_.pattern = Pattern::Idle;
}

uint64_t WriteStream::page_at(uint64_t index) const {
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), index);
    const size_t r = size_t(it - starts_.begin()) - 1;
    return pages_[r].first + (index - starts_[r]);
}

uint64_t WriteStream::next_page() {
    switch (spec_.pattern) {
    case Pattern::Sequential:
        return page_at(taken_ % total_);
    case Pattern::HotSet:
        return page_at(zipf_->draw(rng_));
    case Pattern::Uniform:
    case Pattern::Bursts:
    case Pattern::Idle:
        break;
    }
    return page_at(rng_.below(total_));
}

uint64_t WriteStream::due_by(uint64_t t_ns) const {
    if (spec_.pattern == Pattern::Idle || spec_.rate == 0)
        return 0;
    uint64_t running = t_ns;
    if (spec_.pattern == Pattern::Bursts) {
        const uint64_t on = spec_.on_ms * 1000000, period = (spec_.on_ms + spec_.off_ms) * 1000000;
        if (period == 0)
            return 0;
        running = t_ns / period * on + std::min(t_ns % period, on);
    }
    return uint64_t((unsigned __int128)running * spec_.rate / kNsPerSecond);
}

uint64_t WriteStream::take_due(uint64_t t_ns, PageList* out) {
    const uint64_t due = due_by(t_ns);
    const uint64_t n = due > taken_ ? due - taken_ : 0;
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t gfn = next_page();
        ++taken_;
        if (!out->empty() && out->back().last + 1 == gfn)
            out->back().last = gfn;
        else
            out->push_back({gfn, gfn});
    }
    return n;
}

} // namespace ringside::migrate
