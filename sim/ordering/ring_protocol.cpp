// The ring protocol's litmus programs, written out in herd's syntax and read back by the litmus
// parser, so that what the explorer checks is exactly a litmus test anyone can run.
#include "ring_protocol.hpp"

#include "dirty_ring.hpp"
#include "litmus_parser.hpp"

#include <algorithm>

namespace ringside::ordering {

const char* actor_name(Actor a) {
    switch (a) {
    case Actor::Vcpu:
        return "vCPU";
    case Actor::Harvester:
        return "harvester";
    case Actor::Reset:
        return "reset";
    }
    return "?";
}

std::string RingProgram::loc_name(int loc) const {
    for (int e = 0; e < setup.entries; ++e) {
        const std::string n = "entry" + std::to_string(e);
        if (flags_loc[e] == loc)
            return n + ".flags";
        if (slot_loc[e] == loc)
            return n + ".slot";
        if (offset_loc[e] == loc)
            return n + ".offset";
    }
    return "?";
}

std::string setup_text(const RingSetup& s) {
    std::string t = s.arch == Arch::AArch64 ? "arm64" : "x86_64";
    t += s.harvest == HarvestOrder::Plain ? ", harvest plain" : ", harvest acqrel";
    if (s.patches.no_wmb)
        t += ", patch no-wmb";
    if (s.patches.plain_reset)
        t += ", patch plain-reset";
    t += ", " + std::to_string(s.entries) + (s.entries == 1 ? " entry x " : " entries x ") +
         std::to_string(s.laps) + (s.laps == 1 ? " lap" : " laps");
    return t;
}

namespace {

constexpr int64_t kDirty = KVM_DIRTY_GFN_F_DIRTY;
constexpr int64_t kReset = KVM_DIRTY_GFN_F_RESET;
constexpr uint32_t kPushSlot = 1; // every page the guest dirties lies in memslot 1

// Writes the three columns, remembering which instruction each step is.
class Builder {
  public:
    Builder(const RingSetup& s, RingProgram& p) : s_(s), p_(p) {}

    void build(RingObserver asks) {
        for (int lap = 0; lap < s_.laps; ++lap)
            for (int e = 0; e < s_.entries; ++e)
                p_.pushes.push_back(
                    {e, lap, kPushSlot, static_cast<uint64_t>(p_.pushes.size() + 1)});
        int unit = 0;
        for (int lap = 0; lap < s_.laps; ++lap)
            for (int e = 0; e < s_.entries; ++e, ++unit) {
                push(lap, e, unit);
                harvest(lap, e, unit);
                reset(lap, e, unit);
            }
        for (int a = 0; a < kActors; ++a) {
            p_.units[a] = unit;
            cols_[a].push_back(stop_label(static_cast<Actor>(a)) + ":");
        }
        p_.litmus = text(asks);
    }

  private:
    bool arm() const { return s_.arch == Arch::AArch64; }
    static std::string stop_label(Actor a) { return "LS" + std::to_string(static_cast<int>(a)); }
    static std::string loc_text(Field f, int e) {
        return (f == Field::Flags  ? "flags"
                : f == Field::Slot ? "slot"
                                   : "offset") +
               std::to_string(e);
    }
    // AArch64: X(3e+1..3e+3) hold entry e's addresses in every thread.
    int addr_reg(Field f, int e) const { return 3 * e + 1 + static_cast<int>(f); }
    // The registers a harvest or reset of unit p reads into. Unit 0 keeps its own (the litmus
    // condition asks about them); later units share the rest.
    int data_reg(int unit, Field f) const {
        if (!arm())
            return (unit == 0 ? 0 : 3) + static_cast<int>(f); // EAX.. / EDX..
        const int base = 3 * s_.entries + 1, pool = (28 - (base + 3) + 1) / 3;
        const int triple = unit == 0 ? 0 : 1 + (unit - 1) % pool;
        return base + 3 * triple + static_cast<int>(f);
    }
    std::string reg_text(int r, bool wide) const {
        if (!arm()) {
            static const char* const kNames[] = {"EAX", "EBX", "ECX", "EDX",
                                                 "ESI", "EDI", "EBP", "ESP"};
            return kNames[r];
        }
        return (wide ? "X" : "W") + std::to_string(r);
    }
    std::string mem(Field f, int e) const {
        return arm() ? "[X" + std::to_string(addr_reg(f, e)) + "]" : "[" + loc_text(f, e) + "]";
    }

    void emit(Actor a, std::string text) {
        cols_[static_cast<int>(a)].push_back(std::move(text));
        p_.step_of[static_cast<int>(a)].push_back(-1);
    }
    void step(RingStep st, std::string text) {
        const int a = static_cast<int>(st.actor);
        st.instr = static_cast<int>(p_.step_of[a].size());
        emit(st.actor, std::move(text));
        p_.step_of[a].back() = static_cast<int>(p_.steps[a].size());
        p_.steps[a].push_back(st);
    }

    RingStep base(Actor a, int lap, int e, int unit) const {
        RingStep st;
        st.actor = a;
        st.lap = lap;
        st.entry = e;
        st.unit = unit;
        return st;
    }
    // A load of a field; a guard load also compares and leaves the thread unless it read
    // `expect`.
    void load(RingStep st, Field f, int reg, Access acc, const char* function,
              const char* primitive) {
        st.kind = Event::Kind::Read;
        st.field = f;
        st.access = acc;
        st.function = function;
        st.primitive = primitive;
        const bool wide = f == Field::Offset;
        std::string op =
            acc == Access::Acquire ? (arm() ? "LDAR " : "MOV ") : (arm() ? "LDR " : "MOV ");
        const std::string r = reg_text(reg, wide);
        step(st, op + r + "," + mem(f, st.entry));
        if (st.guard) {
            const std::string n = std::to_string(st.value);
            emit(st.actor, arm() ? "CMP " + r + ",#" + n : "CMP " + r + ",$" + n);
            emit(st.actor, (arm() ? "B.NE " : "JNE ") + stop_label(st.actor));
        }
    }
    void store(RingStep st, Field f, int64_t value, Access acc, const char* function,
               const char* primitive) {
        st.kind = Event::Kind::Write;
        st.field = f;
        st.value = value;
        st.access = acc;
        st.function = function;
        st.primitive = primitive;
        const std::string n = std::to_string(value);
        if (!arm()) {
            step(st, "MOV " + mem(f, st.entry) + ",$" + n);
            return;
        }
        const bool wide = f == Field::Offset;
        std::string src;
        if (value == 0) {
            src = wide ? "XZR" : "WZR";
        } else {
            src = reg_text(0, wide);
            emit(st.actor, "MOV " + src + ",#" + n);
        }
        step(st, (acc == Access::Release ? "STLR " : "STR ") + src + "," + mem(f, st.entry));
    }

    // kvm_dirty_ring_push: slot and offset, smp_wmb(), then DIRTY publishes them.
    void push(int lap, int e, int unit) {
        RingStep st = base(Actor::Vcpu, lap, e, unit);
        if (lap > 0) {
            RingStep wait = st;
            wait.guard = true;
            wait.value = 0;
            load(wait, Field::Flags, 0, Access::Plain, "kvm_dirty_ring_check_request",
                 "READ_ONCE(entry->flags) == 0: the entry is free again (the soft-full wait)");
        }
        const RingPush& p = p_.push(lap, e);
        store(st, Field::Slot, p.slot, Access::Plain, "kvm_dirty_ring_push", "entry->slot = slot");
        store(st, Field::Offset, static_cast<int64_t>(p.offset), Access::Plain,
              "kvm_dirty_ring_push", "entry->offset = offset");
        if (!s_.patches.no_wmb && arm()) { // x86: smp_wmb() is only a compiler barrier
            st.kind = Event::Kind::Fence;
            st.barrier = Barrier::DmbSt;
            st.function = "kvm_dirty_ring_push";
            st.primitive = "smp_wmb()";
            step(st, "DMB ISHST");
        }
        store(st, Field::Flags, kDirty, Access::Plain, "kvm_dirty_gfn_set_dirtied",
              "gfn->flags = KVM_DIRTY_GFN_F_DIRTY");
    }

    // QEMU's kvm_dirty_ring_reap_one, one entry: DIRTY? record slot and offset, mark RESET.
    void harvest(int lap, int e, int unit) {
        const bool acqrel = s_.harvest == HarvestOrder::AcqRel;
        RingStep st = base(Actor::Harvester, lap, e, unit);
        RingStep guard = st;
        guard.guard = true;
        guard.value = kDirty;
        load(guard, Field::Flags, data_reg(unit, Field::Flags),
             acqrel ? Access::Acquire : Access::Plain, "dirty_gfn_is_dirtied",
             acqrel ? "qatomic_load_acquire(&gfn->flags) == KVM_DIRTY_GFN_F_DIRTY"
                    : "gfn->flags == KVM_DIRTY_GFN_F_DIRTY");
        load(st, Field::Slot, data_reg(unit, Field::Slot), Access::Plain, "kvm_dirty_ring_reap_one",
             "cur->slot");
        load(st, Field::Offset, data_reg(unit, Field::Offset), Access::Plain,
             "kvm_dirty_ring_reap_one", "cur->offset");
        store(st, Field::Flags, kReset, acqrel ? Access::Release : Access::Plain,
              "dirty_gfn_set_collected",
              acqrel ? "qatomic_store_release(&gfn->flags, KVM_DIRTY_GFN_F_RESET)"
                     : "gfn->flags = KVM_DIRTY_GFN_F_RESET");
    }

    // kvm_dirty_ring_reset, one entry: RESET? read slot and offset (to re-arm), clear flags.
    void reset(int lap, int e, int unit) {
        const bool ordered = !s_.patches.plain_reset;
        RingStep st = base(Actor::Reset, lap, e, unit);
        RingStep guard = st;
        guard.guard = true;
        guard.value = kReset;
        load(guard, Field::Flags, data_reg(unit, Field::Flags),
             ordered ? Access::Acquire : Access::Plain, "kvm_dirty_gfn_harvested",
             ordered ? "smp_load_acquire(&gfn->flags) & KVM_DIRTY_GFN_F_RESET"
                     : "gfn->flags & KVM_DIRTY_GFN_F_RESET");
        load(st, Field::Slot, data_reg(unit, Field::Slot), Access::Plain, "kvm_dirty_ring_reset",
             "READ_ONCE(entry->slot)");
        load(st, Field::Offset, data_reg(unit, Field::Offset), Access::Plain,
             "kvm_dirty_ring_reset", "READ_ONCE(entry->offset)");
        store(st, Field::Flags, 0, ordered ? Access::Release : Access::Plain,
              "kvm_dirty_gfn_set_invalid",
              ordered ? "smp_store_release(&gfn->flags, 0)" : "gfn->flags = 0");
    }

    std::string text(RingObserver asks) const {
        std::string name =
            std::string("DirtyRing+") + (arm() ? "arm64" : "x86_64") +
            (s_.harvest == HarvestOrder::Plain ? "+harvest-plain" : "+harvest-acqrel");
        if (s_.patches.no_wmb)
            name += "+no-wmb";
        if (s_.patches.plain_reset)
            name += "+plain-reset";
        name += "+" + std::to_string(s_.entries) + "x" + std::to_string(s_.laps);
        std::string t = std::string(arm() ? "AArch64 " : "X86 ") + name + "\n";
        t += "\"Ringside: KVM's dirty ring, P0 the vCPU pushing, P1 the VMM harvesting, P2 "
             "KVM_RESET_DIRTY_RINGS (" +
             setup_text(s_) + ")\"\n{\n";
        for (int a = 0; a < (arm() ? kActors : 1); ++a) {
            for (int e = 0; e < s_.entries; ++e)
                for (Field f : {Field::Flags, Field::Slot, Field::Offset})
                    t += arm() ? std::to_string(a) + ":X" + std::to_string(addr_reg(f, e)) + "=" +
                                     loc_text(f, e) + "; "
                               : loc_text(f, e) + "=0; ";
            t += "\n";
        }
        t += "}\n";
        std::array<size_t, kActors> width{};
        size_t rows = 0;
        for (int a = 0; a < kActors; ++a) {
            width[a] = 2;
            for (const std::string& c : cols_[a])
                width[a] = std::max(width[a], c.size());
            rows = std::max(rows, cols_[a].size());
        }
        auto row = [&](auto cell) {
            std::string r;
            for (int a = 0; a < kActors; ++a) {
                std::string c = cell(a);
                c.resize(width[a], ' ');
                r += " " + c + (a + 1 < kActors ? " |" : " ;\n");
            }
            return r;
        };
        t += row([](int a) { return "P" + std::to_string(a); });
        for (size_t i = 0; i < rows; ++i)
            t += row([&](int a) { return i < cols_[a].size() ? cols_[a][i] : std::string(); });
        // Unit 0's view: entry 0's first push, its harvest, its reset.
        const int who = asks == RingObserver::Harvester ? 1 : 2;
        const int64_t saw = asks == RingObserver::Harvester ? kDirty : kReset;
        const RingPush& p = p_.push(0, 0);
        auto reg = [&](Field f) {
            return std::to_string(who) + ":" + reg_text(data_reg(0, f), true) + "=";
        };
        t += "exists (" + reg(Field::Flags) + std::to_string(saw) + " /\\ ~(" + reg(Field::Slot) +
             std::to_string(p.slot) + " /\\ " + reg(Field::Offset) + std::to_string(p.offset) +
             "))\n";
        return t;
    }

    const RingSetup& s_;
    RingProgram& p_;
    std::array<std::vector<std::string>, kActors> cols_;
};

} // namespace

RingProgram ring_program(const RingSetup& setup, RingObserver asks) {
    if (setup.arch != Arch::AArch64 && setup.arch != Arch::X86)
        throw std::invalid_argument("the ring is explored on arm64 and x86_64");
    if (setup.entries < 1 || setup.entries > kMaxRingEntries)
        throw std::invalid_argument("entries must be 1 to " + std::to_string(kMaxRingEntries));
    if (setup.laps < 1 || setup.laps > kMaxRingLaps)
        throw std::invalid_argument("laps must be 1 to " + std::to_string(kMaxRingLaps));
    RingProgram p;
    p.setup = setup;
    Builder(setup, p).build(asks);
    p.test = parse_litmus(p.litmus, "ring.litmus");
    auto find = [&](const std::string& name) {
        for (size_t l = 0; l < p.test.locations.size(); ++l)
            if (p.test.locations[l].name == name)
                return static_cast<int>(l);
        throw std::logic_error("ring program without " + name);
    };
    for (int e = 0; e < setup.entries; ++e) {
        p.flags_loc.push_back(find("flags" + std::to_string(e)));
        p.slot_loc.push_back(find("slot" + std::to_string(e)));
        p.offset_loc.push_back(find("offset" + std::to_string(e)));
    }
    return p;
}

} // namespace ringside::ordering
