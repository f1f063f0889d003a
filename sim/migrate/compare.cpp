// One guest migrated per mode (compare.hpp).
#include "compare.hpp"

#include "../scenario/runner.hpp"

#include <sstream>

namespace ringside::migrate {

bool mode_from_name(std::string_view name, Mode* m) {
    for (Mode x : kModes)
        if (mode_name(x) == name) {
            *m = x;
            return true;
        }
    return false;
}

bool parse_size(std::string_view t, uint64_t* bytes) {
    uint64_t scale = 1;
    if (!t.empty()) {
        const char u = t.back();
        scale = (u == 'K' || u == 'k')   ? 1ull << 10
                : (u == 'M' || u == 'm') ? 1ull << 20
                : (u == 'G' || u == 'g') ? 1ull << 30
                : (u == 'T' || u == 't') ? 1ull << 40
                                         : 1;
        if (scale != 1)
            t.remove_suffix(1);
    }
    uint64_t v = 0;
    if (scenario::parse_integer(t, &v) != scenario::IntegerError::None || v > ~0ull / scale)
        return false;
    *bytes = v * scale;
    return true;
}

namespace {

// Parses prefix + words as one scenario line: the command, or the error placed within words.
std::variant<scenario::Command, scenario::ParseError> read_words(std::string_view prefix,
                                                                 std::string_view words) {
    scenario::ParsedLine p = scenario::parse_line(std::string(prefix) + std::string(words));
    if (auto* e = std::get_if<scenario::ParseError>(&p))
        return scenario::ParseError{e->col - int(prefix.size()), e->message};
    return std::get<scenario::Command>(std::move(p)); // the prefix makes it a command
}

} // namespace

std::optional<scenario::ParseError> read_workload(std::string_view words, WorkloadSpec* w) {
    auto r = read_words("workload all ", words);
    if (auto* e = std::get_if<scenario::ParseError>(&r))
        return *e;
    *w = std::get<scenario::Command>(r).workload;
    return std::nullopt;
}

std::optional<scenario::ParseError> read_migrate(std::string_view words, MigrationConfig* c) {
    auto r = read_words("migrate ", words);
    if (auto* e = std::get_if<scenario::ParseError>(&r))
        return *e;
    *c = std::get<scenario::Command>(r).migration;
    return std::nullopt;
}

std::string setup_scenario(const GuestSetup& g, Mode m) {
    std::string s =
        "vm arch=" + std::string(arch_name(g.arch)) + " kernel=" + version_name(g.version);
    if (g.arch == Arch::X86_64 && !g.pml)
        s += " pml=off";
    s += "\n";
    const uint64_t ring_bytes = uint64_t(g.ring_entries) * sizeof(DirtyGfn);
    switch (m) {
    case Mode::Ring:
    case Mode::RingBitmap:
        // QEMU asks for the plain ring first and falls back to ACQ_REL: x86 offers the plain
        // one, the weakly ordered arches only ACQ_REL.
        s += std::string("enable ") +
             (g.arch == Arch::X86_64 ? "DIRTY_LOG_RING" : "DIRTY_LOG_RING_ACQ_REL") +
             " args0=" + std::to_string(ring_bytes) + "\n";
        if (m == Mode::RingBitmap)
            s += "enable DIRTY_LOG_RING_WITH_BITMAP\n";
        break;
    case Mode::Clear: {
        // QEMU enables what the kernel offers of MANUAL_PROTECT_ENABLE | INITIALLY_SET (loongarch
        // offers INITIALLY_SET only from 6.11); 0 is the kernel's own answer when it has none.
        VmSpec spec;
        spec.arch = g.arch;
        spec.version = g.version;
        spec.pml = g.arch == Arch::X86_64 && g.pml;
        spec.page_size = g.page_size;
        uint64_t offered = 0;
        if (const ConfigOrError c = make_kernel_config(spec); c.config)
            offered = uint64_t(kvm_vm_ioctl_check_extension(Kvm(*c.config),
                                                            KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)) &
                      (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
        s += "enable MANUAL_DIRTY_LOG_PROTECT2 args0=" + std::to_string(offered) + "\n";
        break;
    }
    case Mode::Bitmap:
        break;
    }
    s += "memslot 0 gfn=0 pages=" + std::to_string(g.pages) + "\n";
    for (uint32_t i = 0; i < g.vcpus; ++i)
        s += "vcpu " + std::to_string(i) + "\n";
    s += "workload all " + workload_text(g.workload) + "\n";
    return s;
}

std::string migrate_line(const MigrationConfig& c) {
    const MigrationConfig d;
    std::string s = "migrate";
    if (c.bandwidth != d.bandwidth)
        s += " bandwidth=" + std::to_string(c.bandwidth);
    if (c.downtime_ns != d.downtime_ns)
        s += " downtime=" + std::to_string(c.downtime_ns / 1000000);
    if (c.max_rounds != d.max_rounds)
        s += " max-rounds=" + std::to_string(c.max_rounds);
    if (c.tick_ns != d.tick_ns)
        s += " tick=" + std::to_string(c.tick_ns / 1000000);
    if (c.reap_interval_ns != d.reap_interval_ns)
        s += " reap=" + std::to_string(c.reap_interval_ns / 1000000);
    if (c.clear_chunk_pages != d.clear_chunk_pages)
        s += " chunk=" + std::to_string(c.clear_chunk_pages);
    if (c.harvest == HarvestOrder::Plain)
        s += " harvest=plain";
    if (!c.its_save.empty()) {
        s += " its-save=";
        for (size_t i = 0; i < c.its_save.size(); ++i) {
            s += (i ? "," : "") + std::to_string(c.its_save[i].first);
            if (c.its_save[i].last != c.its_save[i].first)
                s += ".." + std::to_string(c.its_save[i].last);
        }
    }
    for (size_t i = 0; i < c.kernel_writes.size(); ++i)
        s += std::string(i ? "," : " kernel-write=") + std::to_string(c.kernel_writes[i].second) +
             "@" + std::to_string(c.kernel_writes[i].first / 1000000);
    return s;
}

MigrationResult run_mode(const GuestSetup& g, Mode m,
                         const std::function<bool(const Progress&)>& progress) {
    scenario::Session session;
    std::istringstream in(setup_scenario(g, m));
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        auto parsed = scenario::parse_line(line);
        MigrationResult fail;
        fail.mode = m;
        if (auto* e = std::get_if<scenario::ParseError>(&parsed)) {
            fail.error = "setup line " + std::to_string(n) + " '" + line + "': " + e->message;
            return fail;
        }
        const auto* c = std::get_if<scenario::Command>(&parsed);
        if (!c)
            continue;
        const auto r = session.execute(*c);
        if (auto* e = std::get_if<scenario::ParseError>(&r)) {
            fail.error = "setup line " + std::to_string(n) + " '" + line + "': " + e->message;
            return fail;
        }
        const std::string& text = std::get<std::string>(r);
        if (text != "0") {
            fail.error = "'" + line + "' returned " + text + " on " +
                         std::string(arch_name(g.arch)) + " " + version_name(g.version) +
                         ": this kernel cannot do " + std::string(mode_name(m)) + " mode";
            return fail;
        }
    }
    return *session.run_migration(g.config, progress);
}

} // namespace ringside::migrate
