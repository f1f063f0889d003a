// Small programs written with the kernel's own primitives (WRITE_ONCE, smp_wmb,
// smp_load_acquire ...) and rendered as litmus tests for either architecture, mapping each
// primitive as the kernel does there: on arm64 smp_wmb is DMB ISHST and an acquire is LDAR; on
// x86 smp_wmb is only a compiler barrier and every plain access already has TSO's order. The
// same program can so be checked under both models, side by side.
#pragma once

#include "litmus_ast.hpp"

#include <string>
#include <vector>

namespace ringside::ordering {

struct Primitive {
    enum class Kind {
        WriteOnce,
        ReadOnce,
        LoadAcquire,
        StoreRelease,
        Wmb,
        Rmb,
        Mb,
        IfEqual,
        EndIf
    };
    Kind kind = Kind::WriteOnce;
    std::string loc; // memory accesses
    int value = 0;   // stores: the value; IfEqual: compared with register reg
    int reg = 0;     // loads: the register r0, r1 ... of this thread; IfEqual: which one
    std::string why; // what this line is in the kernel or QEMU, e.g. "entry->offset = offset"
};

struct KernelThread {
    std::string who; // "KVM: kvm_dirty_ring_push"
    std::vector<Primitive> code;
};

struct KernelProgram {
    std::string name;  // a litmus name
    std::string title; // for a menu
    std::string story; // what the bad outcome means, in a sentence or two
    std::vector<std::pair<std::string, int>> init; // memory's initial values (others are 0)
    std::vector<KernelThread> threads;
    // The bad outcome: each (thread, register, value) must hold.
    struct RegIs {
        int thread, reg, value;
    };
    std::vector<RegIs> bad;
};

// The litmus text of a program for an architecture, and the primitive each instruction came
// from (from[t][i]: the index into threads[t].code of instruction i of thread t, as the parser
// numbers them: labels are not instructions).
struct RenderedProgram {
    std::string litmus;
    std::vector<std::vector<int>> from;
};
RenderedProgram render(const KernelProgram& p, Arch arch);

// How the kernel spells a primitive, e.g. "smp_load_acquire(&flags)".
std::string primitive_text(const Primitive& p);

// The dirty ring's two handshakes and the classic shapes, as the kernel (or QEMU) writes them.
// harvest_acqrel: QEMU's harvester uses load-acquire / store-release (`harvest order=acqrel`)
// rather than plain accesses (`order=plain`); kernel_wmb: kvm_dirty_ring_push keeps its smp_wmb
// (false: `patch=no-wmb`).
KernelProgram ring_publish(bool harvest_acqrel, bool kernel_wmb);
KernelProgram ring_reset(bool harvest_acqrel);
std::vector<KernelProgram> classic_programs(); // MP, SB, SB with smp_mb, LB

} // namespace ringside::ordering
