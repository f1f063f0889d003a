#include "kernel_programs.hpp"

#include <algorithm>
#include <map>

namespace ringside::ordering {

namespace {

const char* kX86Regs[] = {"EAX", "EBX", "ECX", "EDX"};

std::string reg_of(Arch arch, int r) {
    return arch == Arch::X86 ? kX86Regs[r] : "X" + std::to_string(r);
}

using P = Primitive;
using K = Primitive::Kind;

} // namespace

std::string primitive_text(const Primitive& p) {
    const std::string r = "r" + std::to_string(p.reg);
    switch (p.kind) {
    case K::WriteOnce:
        return "WRITE_ONCE(" + p.loc + ", " + std::to_string(p.value) + ")";
    case K::ReadOnce:
        return r + " = READ_ONCE(" + p.loc + ")";
    case K::LoadAcquire:
        return r + " = smp_load_acquire(&" + p.loc + ")";
    case K::StoreRelease:
        return "smp_store_release(&" + p.loc + ", " + std::to_string(p.value) + ")";
    case K::Wmb:
        return "smp_wmb()";
    case K::Rmb:
        return "smp_rmb()";
    case K::Mb:
        return "smp_mb()";
    case K::IfEqual:
        return "if (" + r + " == " + std::to_string(p.value) + ") {";
    case K::EndIf:
        return "}";
    }
    return "";
}

RenderedProgram render(const KernelProgram& p, Arch arch) {
    RenderedProgram out;
    const bool arm = arch == Arch::AArch64;
    // Every location, in order of first mention; arm64 threads hold their addresses in X8...
    std::vector<std::string> locs;
    auto note = [&](const std::string& l) {
        if (!l.empty() && std::find(locs.begin(), locs.end(), l) == locs.end())
            locs.push_back(l);
    };
    for (const auto& [l, v] : p.init)
        note(l);
    for (const KernelThread& t : p.threads)
        for (const Primitive& q : t.code)
            note(q.loc);
    auto addr = [&](const std::string& l) {
        return "X" + std::to_string(8 + (std::find(locs.begin(), locs.end(), l) - locs.begin()));
    };
    std::vector<std::vector<std::string>> rows(p.threads.size());
    out.from.resize(p.threads.size());
    for (size_t t = 0; t < p.threads.size(); ++t) {
        int labels = 0;
        std::vector<int> open; // labels of the ifs not yet closed
        auto emit = [&](const std::string& s, int from) {
            rows[t].push_back(s);
            out.from[t].push_back(from);
        };
        const std::vector<Primitive>& code = p.threads[t].code;
        for (int i = 0; i < int(code.size()); ++i) {
            const Primitive& q = code[size_t(i)];
            const std::string w = "W" + std::to_string(q.reg);
            switch (q.kind) {
            case K::WriteOnce:
            case K::StoreRelease:
                if (arm) {
                    emit("MOV W20,#" + std::to_string(q.value), i);
                    emit(std::string(q.kind == K::StoreRelease ? "STLR" : "STR") + " W20,[" +
                             addr(q.loc) + "]",
                         i);
                } else {
                    emit("MOV [" + q.loc + "],$" + std::to_string(q.value), i);
                }
                break;
            case K::ReadOnce:
            case K::LoadAcquire:
                if (arm)
                    emit(std::string(q.kind == K::LoadAcquire ? "LDAR " : "LDR ") + w + ",[" +
                             addr(q.loc) + "]",
                         i);
                else
                    emit("MOV " + reg_of(arch, q.reg) + ",[" + q.loc + "]", i);
                break;
            case K::Wmb: // x86: a compiler barrier, nothing for the CPU
                if (arm)
                    emit("DMB ISHST", i);
                break;
            case K::Rmb:
                if (arm)
                    emit("DMB ISHLD", i);
                break;
            case K::Mb:
                emit(arm ? "DMB ISH" : "MFENCE", i);
                break;
            case K::IfEqual: // x86-TSO keeps a read before later writes anyway
                if (arm) {
                    open.push_back(labels++);
                    emit("CMP " + w + ",#" + std::to_string(q.value), i);
                    emit("B.NE LC" + std::to_string(t) + std::to_string(open.back()), i);
                }
                break;
            case K::EndIf:
                if (arm && !open.empty()) {
                    // A label is no instruction: it has no entry in `from`.
                    rows[t].push_back("LC" + std::to_string(t) + std::to_string(open.back()) + ":");
                    open.pop_back();
                }
                break;
            }
        }
    }
    // The litmus text: header, initial state, the threads side by side, the condition.
    std::string s = std::string(arm ? "AArch64 " : "X86 ") + p.name + "\n{\n";
    for (const std::string& l : locs) {
        int v = 0;
        for (const auto& [name, value] : p.init)
            if (name == l)
                v = value;
        s += l + "=" + std::to_string(v) + ";\n";
    }
    if (arm)
        for (size_t t = 0; t < p.threads.size(); ++t) {
            for (const std::string& l : locs)
                s += std::to_string(t) + ":" + addr(l) + "=" + l + "; ";
            s += "\n";
        }
    s += "}\n";
    size_t height = 0;
    for (const auto& r : rows)
        height = std::max(height, r.size());
    for (size_t t = 0; t < rows.size(); ++t)
        s += std::string(t ? " | " : " ") + "P" + std::to_string(t);
    s += " ;\n";
    for (size_t i = 0; i < height; ++i) {
        for (size_t t = 0; t < rows.size(); ++t)
            s += std::string(t ? " | " : " ") + (i < rows[t].size() ? rows[t][i] : "");
        s += " ;\n";
    }
    s += "exists (";
    for (size_t i = 0; i < p.bad.size(); ++i)
        s += std::string(i ? " /\\ " : "") + std::to_string(p.bad[i].thread) + ":" +
             reg_of(arch, p.bad[i].reg) + "=" + std::to_string(p.bad[i].value);
    s += ")\n";
    out.litmus = s;
    return out;
}

KernelProgram ring_publish(bool harvest_acqrel, bool kernel_wmb) {
    KernelProgram p;
    p.name = std::string("ring-publish") + (harvest_acqrel ? "+acqrel" : "+plain") +
             (kernel_wmb ? "" : "+no-wmb");
    p.title = "Publish: KVM pushes an entry, QEMU harvests it";
    p.story = "QEMU sees the entry DIRTY but reads the offset left from the entry's previous lap: "
              "it sends the wrong page, and the page the guest wrote is lost.";
    p.init = {{"offset", 1}, {"flags", 0}}; // the entry still holds lap 1's offset
    KernelThread kvm{"KVM: kvm_dirty_ring_push", {}};
    kvm.code.push_back({K::WriteOnce, "offset", 2, 0, "entry->offset = offset (this lap's page)"});
    if (kernel_wmb)
        kvm.code.push_back({K::Wmb, "", 0, 0, "make slot and offset visible before the flag"});
    kvm.code.push_back({K::WriteOnce, "flags", 1, 0, "kvm_dirty_gfn_set_dirtied: flags = DIRTY"});
    KernelThread qemu{"QEMU: the harvester (dirty_gfn_is_dirtied, then collect)", {}};
    qemu.code.push_back(
        {harvest_acqrel ? K::LoadAcquire : K::ReadOnce, "flags", 0, 0, "is the entry DIRTY?"});
    qemu.code.push_back({K::ReadOnce, "offset", 0, 1, "which page: read the offset"});
    p.threads = {kvm, qemu};
    p.bad = {{1, 0, 1}, {1, 1, 1}}; // DIRTY seen, old offset read
    return p;
}

KernelProgram ring_reset(bool harvest_acqrel) {
    KernelProgram p;
    p.name = std::string("ring-reset") + (harvest_acqrel ? "+acqrel" : "+plain");
    p.title = "Reset: QEMU marks an entry harvested, KVM reuses it";
    p.story = "QEMU's read of the offset is satisfied after KVM has reset the entry and pushed the "
              "next page into it: QEMU records the new page twice and the old one never.";
    p.init = {{"offset", 2}, {"flags", 1}}; // a DIRTY entry holding page 2
    KernelThread qemu{"QEMU: collect the entry, then mark it RESET", {}};
    qemu.code.push_back({K::ReadOnce, "offset", 0, 0, "which page: read the offset"});
    qemu.code.push_back({harvest_acqrel ? K::StoreRelease : K::WriteOnce, "flags", 2, 0,
                         "dirty_gfn_set_collected: flags = RESET"});
    KernelThread kvm{"KVM: kvm_dirty_ring_reset, then the next kvm_dirty_ring_push", {}};
    kvm.code.push_back({K::LoadAcquire, "flags", 0, 0, "kvm_dirty_gfn_harvested: RESET yet?"});
    kvm.code.push_back({K::IfEqual, "", 2, 0, "only a harvested entry is reset"});
    kvm.code.push_back({K::WriteOnce, "flags", 0, 0, "kvm_dirty_gfn_set_invalid: flags = 0"});
    kvm.code.push_back({K::WriteOnce, "offset", 3, 0, "the next push: entry->offset = 3"});
    kvm.code.push_back({K::EndIf, "", 0, 0, ""});
    p.threads = {qemu, kvm};
    p.bad = {{0, 0, 3}, {1, 0, 2}}; // QEMU read the next lap's page; KVM saw RESET
    return p;
}

std::vector<KernelProgram> classic_programs() {
    std::vector<KernelProgram> out;
    {
        KernelProgram p;
        p.name = "MP";
        p.title = "MP: message passing, plain accesses";
        p.story = "The reader sees the flag but the old data.";
        p.threads = {
            {"P0: writer",
             {{K::WriteOnce, "data", 1, 0, "data = 1"}, {K::WriteOnce, "flag", 1, 0, "flag = 1"}}},
            {"P1: reader",
             {{K::ReadOnce, "flag", 0, 0, "read the flag"},
              {K::ReadOnce, "data", 0, 1, "read the data"}}}};
        p.bad = {{1, 0, 1}, {1, 1, 0}};
        out.push_back(p);
    }
    for (const bool mb : {false, true}) {
        KernelProgram p;
        p.name = mb ? "SB+mbs" : "SB";
        p.title = mb ? "SB with smp_mb on both sides" : "SB: store buffering";
        p.story = "Each CPU reads the other's location before the other's store reaches it.";
        for (int t = 0; t < 2; ++t) {
            KernelThread th{"P" + std::to_string(t), {}};
            th.code.push_back({K::WriteOnce, t ? "y" : "x", 1, 0, ""});
            if (mb)
                th.code.push_back({K::Mb, "", 0, 0, "a full barrier"});
            th.code.push_back({K::ReadOnce, t ? "x" : "y", 0, 0, ""});
            p.threads.push_back(th);
        }
        p.bad = {{0, 0, 0}, {1, 0, 0}};
        out.push_back(p);
    }
    {
        KernelProgram p;
        p.name = "LB";
        p.title = "LB: load buffering, plain accesses";
        p.story = "Each CPU reads the value the other writes after its own read.";
        for (int t = 0; t < 2; ++t)
            p.threads.push_back({"P" + std::to_string(t),
                                 {{K::ReadOnce, t ? "y" : "x", 0, 0, ""},
                                  {K::WriteOnce, t ? "x" : "y", 1, 0, ""}}});
        p.bad = {{0, 0, 1}, {1, 0, 1}};
        out.push_back(p);
    }
    return out;
}

} // namespace ringside::ordering
