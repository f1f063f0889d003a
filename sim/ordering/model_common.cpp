// What both cat models build on: cos.cat's co and fr, and SC per location.
#include "models.hpp"

namespace ringside::ordering {

void add_com(const Execution& x, unsigned which, Relation& r) {
    auto internal = [&](int a, int b) {
        return x.events[a].thread >= 0 && x.events[a].thread == x.events[b].thread;
    };
    auto want = [&](int a, int b, unsigned in, unsigned ex) {
        return (which & (internal(a, b) ? in : ex)) != 0;
    };
    for (const std::vector<int>& co : x.co)
        for (size_t i = 0; i < co.size(); ++i)
            for (size_t j = i + 1; j < co.size(); ++j)
                if (want(co[i], co[j], kCoi, kCoe))
                    r.add(co[i], co[j]);
    for (size_t e = 0; e < x.rf.size(); ++e) {
        const int w = x.rf[e];
        if (w < 0)
            continue;
        const int rd = static_cast<int>(e);
        if (want(w, rd, kRfi, kRfe))
            r.add(w, rd);
        // fr: the read is before every write coherence-after the one it read from.
        const std::vector<int>& co = x.co[x.events[rd].loc];
        bool after = false;
        for (int c : co) {
            if (after && want(rd, c, kFri, kFre))
                r.add(rd, c);
            after = after || c == w;
        }
    }
}

void add_thread_rows(const Execution& x, const std::vector<const ThreadOrder*>& order,
                     std::vector<uint64_t> ThreadOrder::*rows, Relation& r) {
    for (size_t t = 0; t < order.size(); ++t) {
        const std::vector<uint64_t>& m = order[t]->*rows;
        const int base = x.first[t];
        for (size_t i = 0; i < m.size(); ++i)
            r.add_row(base + static_cast<int>(i), base, m[i]);
    }
}

std::vector<uint64_t> po_loc_rows(const ThreadRun& run) {
    const size_t n = run.events.size();
    std::vector<uint64_t> rows(n, 0);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j)
            if (run.events[i].is_mem() && run.events[j].is_mem() &&
                run.events[i].loc == run.events[j].loc)
                rows[i] |= uint64_t{1} << j;
    return rows;
}

bool sc_per_location(const Execution& x, const std::vector<const ThreadOrder*>& order) {
    Relation r(static_cast<int>(x.events.size()));
    add_thread_rows(x, order, &ThreadOrder::po_loc, r);
    add_com(x, kCom, r);
    return r.acyclic();
}

} // namespace ringside::ordering
