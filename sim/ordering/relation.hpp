// A relation over the events of one candidate execution, as a bit matrix: the cat models'
// unions, and their acyclic checks, are a few word operations a row.
#pragma once

#include <cstdint>
#include <vector>

namespace ringside::ordering {

class Relation {
  public:
    explicit Relation(int n = 0) { reset(n); }

    void reset(int n) {
        n_ = n;
        words_ = (n + 63) / 64;
        bits_.assign(static_cast<size_t>(n) * static_cast<size_t>(words_), 0);
    }
    int size() const { return n_; }

    void add(int a, int b) { row(a)[b / 64] |= uint64_t{1} << (b % 64); }
    bool has(int a, int b) const { return (row(a)[b / 64] >> (b % 64)) & 1; }
    // Adds a -> (base + j) for every bit j of mask: a thread's row, shifted to global events.
    void add_row(int a, int base, uint64_t mask) {
        for (; mask; mask &= mask - 1)
            add(a, base + __builtin_ctzll(mask));
    }

    // acyclic r, as cat says it: peel off events that nothing still left points to; a cycle
    // is what remains when none can be peeled.
    bool acyclic() const {
        std::vector<uint64_t> left(static_cast<size_t>(words_), ~uint64_t{0});
        if (n_ % 64)
            left.back() = (uint64_t{1} << (n_ % 64)) - 1;
        std::vector<uint64_t> into(static_cast<size_t>(words_));
        for (;;) {
            std::fill(into.begin(), into.end(), 0);
            bool any = false;
            for (int i = 0; i < n_; ++i) {
                if (!((left[i / 64] >> (i % 64)) & 1))
                    continue;
                any = true;
                const uint64_t* r = row(i);
                for (int w = 0; w < words_; ++w)
                    into[w] |= r[w];
            }
            if (!any)
                return true;
            bool peeled = false;
            for (int w = 0; w < words_; ++w) {
                const uint64_t sources = left[w] & ~into[w];
                peeled |= sources != 0;
                left[w] &= ~sources;
            }
            if (!peeled)
                return false;
        }
    }

  private:
    uint64_t* row(int i) { return &bits_[static_cast<size_t>(i) * static_cast<size_t>(words_)]; }
    const uint64_t* row(int i) const {
        return &bits_[static_cast<size_t>(i) * static_cast<size_t>(words_)];
    }

    int n_ = 0;
    int words_ = 0;
    std::vector<uint64_t> bits_;
};

} // namespace ringside::ordering
