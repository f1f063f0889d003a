// x86-TSO, herd7's x86tso.cat: a store may wait in its CPU's store buffer while later loads
// go ahead (W->R is the one program order TSO drops), unless an MFENCE drains it; the buffer
// is FIFO (W->W kept) and loads are not reordered (R->M kept). Stores become visible to all
// other CPUs at once, so rfe, fr and co all join the global happens-before.
#include "models.hpp"

namespace ringside::ordering {

namespace {
// MFENCE; on an AArch64 program checked as TSO, a full DMB plays its part (the other barriers
// and acquire/release order nothing TSO does not already).
bool full_fence(const Event& e) {
    return e.kind == Event::Kind::Fence &&
           (e.barrier == Barrier::Mfence || e.barrier == Barrier::DmbFull);
}
} // namespace

ThreadOrder tso_thread_order(const ThreadRun& run) {
    const std::vector<Event>& ev = run.events;
    const size_t n = ev.size();
    ThreadOrder o;
    o.po_loc = po_loc_rows(run);
    o.local.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
        if (!ev[i].is_mem())
            continue;
        bool fenced = false;
        for (size_t j = i + 1; j < n; ++j) {
            fenced = fenced || full_fence(ev[j]);
            if (!ev[j].is_mem())
                continue;
            const bool ww = ev[i].kind == Event::Kind::Write && ev[j].kind == Event::Kind::Write;
            const bool rm = ev[i].kind == Event::Kind::Read;
            if (ww || rm || fenced) // po_ghb = WW(po) | RM(po); mfence
                o.local[i] |= uint64_t{1} << j;
        }
    }
    return o;
}

Relation tso_ghb(const Execution& x, const std::vector<const ThreadOrder*>& order) {
    Relation ghb(static_cast<int>(x.events.size()));
    add_thread_rows(x, order, &ThreadOrder::local, ghb);
    add_com(x, kRfe | kCoi | kCoe | kFri | kFre, ghb);
    return ghb;
}

bool tso_allows(const Execution& x, const std::vector<const ThreadOrder*>& order) {
    return sc_per_location(x, order) && tso_ghb(x, order).acyclic(); // uniproc, as tso
}

} // namespace ringside::ordering
