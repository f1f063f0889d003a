// ARMv8 (AArch64), other-multi-copy-atomic: herd7's aarch64.cat (see models.hpp for the
// version). A CPU may perform its accesses out of program order unless something in the
// thread orders them (lob: a dependency, a barrier, acquire/release, or the same location);
// a store, once visible to another CPU, is visible to all of them, so "ordered before" (ob)
// joins each thread's lob with the communication between threads, and must be acyclic.
#include "models.hpp"

namespace ringside::ordering {

namespace {

bool is_read(const Event& e) {
    return e.kind == Event::Kind::Read;
}
bool is_write(const Event& e) {
    return e.kind == Event::Kind::Write;
}
bool fence_is(const Event& e, Barrier b) {
    if (e.kind != Event::Kind::Fence)
        return false;
    // An X86 program checked as ARMv8: MFENCE is the full barrier.
    return e.barrier == b || (b == Barrier::DmbFull && e.barrier == Barrier::Mfence);
}

} // namespace

ThreadOrder armv8_thread_order(const ThreadRun& run) {
    const std::vector<Event>& ev = run.events;
    const int n = static_cast<int>(ev.size());
    ThreadOrder o;
    o.po_loc = po_loc_rows(run);
    o.local.assign(static_cast<size_t>(n), 0);
    o.rr_loc.assign(static_cast<size_t>(n), 0);

    uint64_t addr_before = 0;     // reads with an addr dependency to some access so far
    uint64_t addr_before_isb = 0; // ... to an access followed by an ISB so far
    uint64_t ctrl_isb = 0;        // reads with a ctrl dependency to an ISB so far
    for (int j = 0; j < n; ++j) {
        const Event& e = ev[j];
        if (fence_is(e, Barrier::Isb)) {
            addr_before_isb = addr_before;
            ctrl_isb |= e.ctrl;
            continue;
        }
        if (!e.is_mem())
            continue;
        // Everything in lob (and CSE-ob) that ends at j: the bits i of `into`.
        uint64_t into = 0;
        // dob = addr | data | ctrl;[W] | addr;[Exp];po;[W] | addr;[Exp];po;[CSE];po;[R]
        //     | (addr | data);[Exp];lrs
        into |= e.addr;
        if (is_write(e))
            into |= e.data | e.ctrl | addr_before;
        if (is_read(e)) {
            into |= addr_before_isb;
            // lrs: the po-latest write to j's location before j, with no other in between.
            for (int w = j - 1; w >= 0; --w)
                if (is_write(ev[w]) && ev[w].loc == e.loc) {
                    into |= ev[w].addr | ev[w].data;
                    break;
                }
        }
        // CSE-ob: [R];ctrl;[ISB];po (aarch64hwreqs.cat)
        into |= ctrl_isb;
        bool full = false, ld = false, st = false;
        for (int i = j - 1; i >= 0; --i) {
            const Event& a = ev[i];
            full = full || fence_is(a, Barrier::DmbFull);
            ld = ld || fence_is(a, Barrier::DmbLd);
            st = st || fence_is(a, Barrier::DmbSt);
            if (!a.is_mem())
                continue;
            const bool ordered =
                // lws = po-loc;[W]
                (is_write(e) && a.loc == e.loc) ||
                // bob = po;[dmb.full];po | [R];po;[dmb.ld];po | [W];po;[dmb.st];po;[W]
                full || (ld && is_read(a)) || (st && is_write(a) && is_write(e)) ||
                // | [L];po;[A] | [A|Q];po | po;[L]
                (a.access == Access::Release && e.access == Access::Acquire) ||
                a.access == Access::Acquire || a.access == Access::AcquirePc ||
                e.access == Access::Release;
            if (ordered)
                into |= uint64_t{1} << i;
            if (is_read(a) && is_read(e) && a.loc == e.loc)
                o.rr_loc[j] |= uint64_t{1} << i;
        }
        for (uint64_t m = into; m; m &= m - 1)
            o.local[__builtin_ctzll(m)] |= uint64_t{1} << j;
        addr_before |= e.addr;
    }
    return o;
}

Relation armv8_ob(const Execution& x, const std::vector<const ThreadOrder*>& order) {
    const int n = static_cast<int>(x.events.size());
    Relation ob(n);
    add_thread_rows(x, order, &ThreadOrder::local, ob);
    add_com(x, kRfe | kCoe | kFre, ob); // obs
    // Exp-haz-ob = [R]; po-loc; [R]; (ca & ext); [W]: a read is before the writes that a
    // po-later read of its location is fr-external before.
    Relation fre(n);
    add_com(x, kFre, fre);
    for (size_t t = 0; t < order.size(); ++t) {
        const int base = x.first[t];
        for (size_t j = 0; j < order[t]->rr_loc.size(); ++j) {
            const uint64_t earlier = order[t]->rr_loc[j];
            if (!earlier)
                continue;
            for (int w = 0; w < n; ++w)
                if (fre.has(base + static_cast<int>(j), w))
                    for (uint64_t m = earlier; m; m &= m - 1)
                        ob.add(base + __builtin_ctzll(m), w);
        }
    }
    return ob;
}

bool armv8_allows(const Execution& x, const std::vector<const ThreadOrder*>& order) {
    // internal, then irreflexive ob (ob is transitive) as external
    return sc_per_location(x, order) && armv8_ob(x, order).acyclic();
}

} // namespace ringside::ordering
