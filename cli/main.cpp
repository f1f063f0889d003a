// ringside-sim: the headless front end to Ringside's engine.
#include "dry_run.hpp"
#include "migrate/compare.hpp"
#include "ordering/explorer.hpp"
#include "ordering/litmus_check.hpp"
#include "ordering/litmus_parser.hpp"
#include "ordering/litmus_print.hpp"
#include "scenario/runner.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

using namespace ringside;

namespace {

// FILE:LINE: COMMAND => RESULT, one line per command (scenario-language.md).
class TextReporter : public scenario::Reporter {
  public:
    explicit TextReporter(std::string file) : file_(std::move(file)) {}
    void result(int line, const std::string& command, const std::string& result) override {
        std::cout << file_ << ':' << line << ": " << command << " => " << result << '\n';
    }
    void expectation_failed(int line, const std::string& expected,
                            const std::string& got) override {
        std::cout << file_ << ':' << line << ": expected '" << expected << "', got '" << got
                  << "'\n";
    }
    void error(int line, int col, const std::string& message) override {
        std::cout << file_ << ':' << line << ':' << col << ": error: " << message << '\n';
    }
    void event(int, uint64_t index, const Event& e, std::string_view why,
               const KernelConfig& config) override {
        std::cout << "    #" << index << ' ' << event_kind_name(e.kind) << ": "
                  << describe(e, config, why);
        if (why.empty()) {
            const KernelSite site = kernel_site(e, config);
            std::cout << " — " << site.function << ", " << site.file;
        }
        std::cout << '\n';
    }

  private:
    std::string file_;
};

// The same as JSON Lines.
class JsonReporter : public scenario::Reporter {
  public:
    explicit JsonReporter(std::string file) : file_(std::move(file)) {}
    void result(int line, const std::string& command, const std::string& result) override {
        emit({{"file", file_}, {"line", line}, {"command", command}, {"result", result}});
    }
    void expectation_failed(int line, const std::string& expected,
                            const std::string& got) override {
        emit({{"file", file_}, {"line", line}, {"expected", expected}, {"got", got}});
    }
    void error(int line, int col, const std::string& message) override {
        emit({{"file", file_}, {"line", line}, {"col", col}, {"error", message}});
    }
    void event(int line, uint64_t index, const Event& e, std::string_view why,
               const KernelConfig& config) override {
        const KernelSite site = kernel_site(e, config);
        nlohmann::ordered_json j = {{"file", file_},
                                    {"line", line},
                                    {"event", index},
                                    {"kind", event_kind_name(e.kind)},
                                    {"function", site.function},
                                    {"source", site.file}};
        j["vcpu"] =
            e.vcpu == kNoVcpu ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.vcpu);
        j["slot"] = e.slot;
        j["n"] = e.n;
        j["a"] = e.a;
        j["b"] = e.b;
        j["aux"] = e.aux;
        j["text"] = describe(e, config, why);
        emit(j);
    }

  private:
    static void emit(const nlohmann::ordered_json& j) {
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
    std::string file_;
};

int run_files(const std::vector<std::string>& files, bool json, bool trace) {
    int status = 0;
    for (const std::string& f : files) {
        std::unique_ptr<scenario::Reporter> rep;
        if (json)
            rep = std::make_unique<JsonReporter>(f);
        else
            rep = std::make_unique<TextReporter>(f);
        std::error_code ec;
        std::ifstream in;
        if (std::filesystem::is_directory(f, ec)) {
            errno = EISDIR;
        } else {
            in.open(f, std::ios::binary);
        }
        if (!in.is_open()) {
            const std::string why = std::strerror(errno ? errno : ENOENT);
            if (json)
                rep->error(0, 0, "cannot open file: " + why);
            else
                std::cout << f << ": error: cannot open file: " << why << '\n';
            status = 2;
            continue;
        }
        const auto s = scenario::run_scenario(in, *rep, nullptr, trace);
        status = std::max(status, static_cast<int>(s));
        std::cout.flush();
    }
    return status;
}

// ringside-sim caps: the capability matrix of one architecture and kernel version.
int print_caps(const std::string& arch, const std::string& kernel, const std::string& pml,
               const std::string& page, bool json) {
    std::string line = "vm arch=" + arch + " kernel=" + kernel;
    if (!pml.empty())
        line += " pml=" + pml;
    if (!page.empty())
        line += " page=" + page;
    auto parsed = scenario::parse_line(line);
    if (auto* err = std::get_if<scenario::ParseError>(&parsed)) {
        std::cerr << "ringside-sim caps: error: " << err->message << '\n';
        return 2;
    }
    const VmSpec spec = std::get<scenario::Command>(parsed).vm;
    const KernelConfig config = *make_kernel_config(spec).config;
    const CapMatrix m = capability_matrix(config);
    if (json) {
        auto rows = [](const std::vector<CapRow>& v) {
            nlohmann::ordered_json a = nlohmann::ordered_json::array();
            for (const CapRow& r : v)
                a.push_back({{"capability", r.name},
                             {"number", r.number},
                             {"check", r.check.value},
                             {"check_why", r.check.why},
                             {"args0", r.args0},
                             {"enable", ret_text(r.enable.value)},
                             {"enable_why", r.enable.why}});
            return a;
        };
        nlohmann::ordered_json j = {
            {"arch", arch_name(spec.arch)}, {"kernel", version_name(spec.version)},
            {"page_size", spec.page_size},  {"pml", config.cpu_dirty_log_size > 0},
            {"fresh_vm", rows(m.fresh)},    {"qemu_order", rows(m.qemu_order)}};
        std::cout << j.dump(2) << '\n';
        return 0;
    }
    std::cout << "Linux " << version_name(spec.version) << " on " << arch_name(spec.arch) << ", "
              << spec.page_size / 1024 << "K pages"
              << (spec.arch == Arch::X86_64 ? (config.cpu_dirty_log_size ? ", PML on" : ", no PML")
                                            : "")
              << "\n\nOn a new VM:\n";
    auto print = [](const CapRow& r) {
        char head[160];
        std::snprintf(head, sizeof head, "  %-27s check %-8lld enable(args0=%llu) = %s\n",
                      r.name.c_str(), static_cast<long long>(r.check.value),
                      static_cast<unsigned long long>(r.args0), ret_text(r.enable.value).c_str());
        std::cout << head << "      check:  " << r.check.why << "\n      enable: " << r.enable.why
                  << '\n';
    };
    for (const CapRow& r : m.fresh)
        print(r);
    std::cout << "\nIn QEMU's order (the ring it finds first, then the bitmap):\n";
    for (const CapRow& r : m.qemu_order)
        print(r);
    return 0;
}

// ringside-sim litmus: herd7's verdict on each litmus test, or its whole output block.
int check_litmus_files(const std::vector<std::string>& files, bool herd,
                       const std::string& model_name) {
    int status = 0;
    for (const std::string& f : files) {
        try {
            const ordering::Test test = ordering::load_litmus(f);
            ordering::Model model = ordering::default_model(test);
            if (model_name == "tso")
                model = ordering::Model::Tso;
            else if (model_name == "armv8")
                model = ordering::Model::Armv8;
            const ordering::CheckResult r = ordering::check_litmus(test, model);
            if (herd)
                std::cout << ordering::herd_report(test, r);
            else
                std::cout << ordering::observation_line(test, r) << '\n';
        } catch (const ordering::LitmusError& e) {
            std::cout << f;
            if (e.line > 0)
                std::cout << ':' << e.line;
            std::cout << ": error: " << e.what() << '\n';
            status = 2;
        }
        std::cout.flush();
    }
    return status;
}

// ringside-sim explore: every execution of the ring protocol the model allows, judged.
int explore_ring(const std::string& arch, const std::string& harvest,
                 const std::vector<std::string>& patches, int entries, int laps,
                 const std::string& witness, bool litmus) {
    ordering::RingSetup s;
    s.arch = arch == "arm64" ? ordering::Arch::AArch64 : ordering::Arch::X86;
    s.harvest = harvest == "plain" ? HarvestOrder::Plain : HarvestOrder::AcqRel;
    for (const std::string& p : patches) {
        if (p == "no-wmb")
            s.patches.no_wmb = true;
        else if (p == "plain-reset")
            s.patches.plain_reset = true;
    }
    s.entries = entries;
    s.laps = laps;
    try {
        const ordering::RingProgram program = ordering::ring_program(s);
        if (litmus) {
            std::cout << program.litmus;
            return 0;
        }
        const ordering::ExploreResult r = ordering::explore(program);
        std::optional<ordering::RingRace> show;
        for (int k = 0; k < ordering::kRingRaces; ++k)
            if (witness == ordering::race_name(static_cast<ordering::RingRace>(k)))
                show = static_cast<ordering::RingRace>(k);
        std::cout << ordering::explore_report(program, r, show ? &*show : nullptr);
    } catch (const std::exception& e) {
        std::cout << "ringside-sim explore: error: " << e.what() << '\n';
        return 2;
    }
    return 0;
}

std::string fixed(uint64_t num, uint64_t den, int decimals) {
    // num/den with `decimals` decimals, rounded down, integer arithmetic only.
    uint64_t scale = 1;
    for (int i = 0; i < decimals; ++i)
        scale *= 10;
    const unsigned __int128 v = (unsigned __int128)num * scale / den;
    std::string frac = std::to_string(uint64_t(v % scale));
    while (int(frac.size()) < decimals)
        frac = "0" + frac;
    return std::to_string(uint64_t(v / scale)) + (decimals ? "." + frac : "");
}

struct MigrateArgs {
    std::string mode = "all", arch = "arm64", kernel = "6.6", pml, memory = "1G";
    uint32_t vcpus = 4, ring = 4096;
    std::string workload, migrate, csv, json;
    bool scenario = false;
};

// ringside-sim migrate: one guest, one workload, pre-copy migrated in each mode.
int migrate_modes(const MigrateArgs& a) {
    auto fail = [](const std::string& m) {
        std::cout << "ringside-sim migrate: error: " << m << '\n';
        return 2;
    };
    migrate::GuestSetup g;
    {
        // The VM the way the scenario language reads one, with its own checks and messages.
        std::string line = "vm arch=" + a.arch + " kernel=" + a.kernel;
        if (!a.pml.empty())
            line += " pml=" + a.pml;
        auto parsed = scenario::parse_line(line);
        if (auto* e = std::get_if<scenario::ParseError>(&parsed))
            return fail(e->message);
        const VmSpec spec = std::get<scenario::Command>(parsed).vm;
        g.arch = spec.arch;
        g.version = spec.version;
        g.pml = spec.pml;
        g.page_size = spec.page_size;
    }
    uint64_t bytes = 0;
    if (!migrate::parse_size(a.memory, &bytes) || bytes < 4096 || bytes > (64ull << 30))
        return fail("--memory '" + a.memory + "': a size such as 1G, 512M or 64K (4K to 64G)");
    g.pages = bytes / g.page_size;
    if (a.vcpus == 0 || a.vcpus > 1024)
        return fail("--vcpus must be 1 to 1024");
    g.vcpus = a.vcpus;
    g.ring_entries = a.ring;
    if (!a.workload.empty()) {
        if (const auto e = migrate::read_workload(a.workload, &g.workload))
            return fail("--workload '" + a.workload + "': column " + std::to_string(e->col) + ": " +
                        e->message);
    }
    if (!a.migrate.empty()) {
        if (const auto e = migrate::read_migrate(a.migrate, &g.config))
            return fail("--migrate '" + a.migrate + "': column " + std::to_string(e->col) + ": " +
                        e->message);
    }
    std::vector<migrate::Mode> modes;
    if (a.mode == "all") {
        modes.assign(std::begin(migrate::kModes), std::end(migrate::kModes));
    } else {
        size_t pos = 0;
        while (pos <= a.mode.size()) {
            const size_t comma = std::min(a.mode.find(',', pos), a.mode.size());
            migrate::Mode m;
            if (!migrate::mode_from_name(a.mode.substr(pos, comma - pos), &m))
                return fail("unknown --mode '" + a.mode.substr(pos, comma - pos) +
                            "' (bitmap, clear, ring, ring+bitmap, or all)");
            modes.push_back(m);
            pos = comma + 1;
        }
    }
    if (a.scenario) {
        for (migrate::Mode m : modes)
            std::cout << "# " << migrate::mode_name(m) << "\n"
                      << migrate::setup_scenario(g, m) << migrate::migrate_line(g.config) << "\n";
        return 0;
    }
    std::cout << "guest: " << arch_name(g.arch) << " " << version_name(g.version) << ", " << g.pages
              << " pages (" << fixed(g.pages * g.page_size, 1 << 20, 0) << " MiB), " << g.vcpus
              << " vCPUs, " << g.ring_entries
              << "-entry rings; workload on each vCPU: " << migrate::workload_text(g.workload)
              << "\n"
              << "migration: " << fixed(g.config.bandwidth, 1 << 20, 1) << " MiB/s, downtime "
              << "limit " << g.config.downtime_ns / 1000000 << " ms, at most "
              << g.config.max_rounds << " rounds\n";
    std::vector<migrate::MigrationResult> runs;
    for (migrate::Mode m : modes) {
        migrate::MigrationResult r = migrate::run_mode(g, m);
        const std::string name(migrate::mode_name(m));
        if (!r.error.empty()) {
            std::cout << "\n" << name << ": unavailable: " << r.error << "\n";
            continue;
        }
        std::cout << "\n"
                  << name << ": " << r.summary() << ", " << fixed(r.total_ns, 1000000000, 2)
                  << " s in all\n";
        if (!r.ordering_note.empty())
            std::cout << "  " << r.ordering_note << "\n";
        std::printf("  %-5s %9s %9s %9s %10s %6s %10s %9s %9s %8s %8s %7s %9s\n", "round", "dirty",
                    "sent", "time ms", "writes", "ioctls", "bitmap B", "entries", "ring-full",
                    "pml-full", "faults", "flushes", "stall ms");
        for (const migrate::Round& x : r.per_round) {
            const migrate::Costs& c = x.costs;
            std::fflush(stdout);
            std::printf("  %-5s %9llu %9llu %9s %10llu %6llu %10s %9llu %9llu %8llu %8llu %7llu "
                        "%9s\n",
                        x.stop ? "stop" : std::to_string(x.index).c_str(),
                        (unsigned long long)x.dirty, (unsigned long long)x.sent,
                        fixed(x.end_ns - x.start_ns, 1000000, 1).c_str(),
                        (unsigned long long)c.guest_writes, (unsigned long long)c.ioctls,
                        std::to_string(c.bitmap_bytes).c_str(), (unsigned long long)c.ring_entries,
                        (unsigned long long)c.ring_full_exits, (unsigned long long)c.pml_full_exits,
                        (unsigned long long)c.faults, (unsigned long long)c.tlb_flushes,
                        fixed(c.stalled_ns, 1000000, 1).c_str());
        }
        std::fflush(stdout);
        for (size_t i = 0; i < r.lost.size(); ++i)
            std::cout << "  LOST " << r.lost_text(i) << "\n";
        runs.push_back(std::move(r));
    }
    if (runs.size() > 1) { // the modes side by side: what the whole migration cost each
        std::printf("\n%-12s %6s %9s %10s %7s %12s %9s %9s %8s %8s %7s %9s %5s\n", "totals",
                    "rounds", "sent", "downtime", "ioctls", "bitmap B", "entries", "ring-full",
                    "pml-full", "faults", "flushes", "stall ms", "lost");
        for (const migrate::MigrationResult& r : runs) {
            const migrate::Costs& c = r.total;
            std::printf("%-12s %6u %9llu %10s %7llu %12llu %9llu %9llu %8llu %8llu %7llu %9s "
                        "%5zu\n",
                        std::string(migrate::mode_name(r.mode)).c_str(), r.rounds,
                        (unsigned long long)r.pages_sent, migrate::ms_text(r.downtime_ns).c_str(),
                        (unsigned long long)c.ioctls, (unsigned long long)c.bitmap_bytes,
                        (unsigned long long)c.ring_entries, (unsigned long long)c.ring_full_exits,
                        (unsigned long long)c.pml_full_exits, (unsigned long long)c.faults,
                        (unsigned long long)c.tlb_flushes, fixed(c.stalled_ns, 1000000, 1).c_str(),
                        r.lost.size());
        }
    }
    auto write_file = [&](const std::string& path, const std::string& text) {
        std::ofstream f(path, std::ios::binary);
        f << text;
        f.close();
        if (!f)
            return fail("cannot write '" + path + "': " + std::strerror(errno));
        return 0;
    };
    if (!a.csv.empty())
        if (int e = write_file(a.csv, migrate::costs_csv(runs)))
            return e;
    if (!a.json.empty()) {
        std::string j = "[";
        for (size_t i = 0; i < runs.size(); ++i)
            j += (i ? ",\n" : "\n") + migrate::result_json(runs[i]);
        if (int e = write_file(a.json, j + "\n]\n"))
            return e;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"ringside-sim — Linux KVM dirty-page tracking, simulated exactly, headless.\n"
                 "Runs scenario files (.scn) against a model of KVM's memslots, dirty bitmap and "
                 "dirty rings\nfor x86_64, arm64, loongarch and riscv, kernels 5.10 to " +
                 version_name(kNewestVersion) + "."};
    app.require_subcommand(1);
    app.set_version_flag("--version", "ringside-sim 0.1");

    auto* run = app.add_subcommand(
        "run", "Run scenario files; print FILE:LINE: COMMAND => RESULT per command.\n"
               "Exit status: 0 all expectations hold, 1 an expectation failed, 2 an error.");
    std::vector<std::string> files;
    bool json = false;
    run->add_option("FILE", files, "scenario files (.scn)")->required();
    bool trace = false;
    run->add_flag("--json", json, "print JSON Lines instead of text");
    run->add_flag("--trace", trace,
                  "after each command, print the events it caused, each naming the kernel "
                  "function it mirrors");
    run->footer(R"(The scenario language, one command a line (# starts a comment):
  vm arch=x86_64|arm64|loongarch|riscv kernel=X.Y [pml=on|off] [page=4K|16K|64K]
     [patch=no-cap-check,no-wmb,plain-reset]        KVM_CREATE_VM (starts over)
  check CAP                                         KVM_CHECK_EXTENSION
  enable CAP [args0=N] [flags=N]                    KVM_ENABLE_CAP
  memslot ID [as=N] gfn=G pages=N [log] [readonly]  KVM_SET_USER_MEMORY_REGION
  vcpu ID [start-index=N]                           KVM_CREATE_VCPU
  run ID write|read PAGES [times=N]                 KVM_RUN: the guest accesses PAGES
  host-write PAGES                                  the VMM writes guest memory
  kernel-write PAGES [vcpu=ID] [during=its-save|its-restore|pending-table-save]
  harvest ID [max=N] [order=acqrel|plain]           collect a vCPU's ring entries
  reset                                             KVM_RESET_DIRTY_RINGS
  getlog ID [as=N]                                  KVM_GET_DIRTY_LOG
  clearlog ID first=F num=N [bits=LIST|all] [as=N]  KVM_CLEAR_DIRTY_LOG
  show ring ID | entry ID I | bitmap ID | wp ID | harvested
  workload ID|all seq|uniform|zipf|burst|idle [pages=LIST] [rate=N] [hot=N] [s=X.Y]
     [on=MS] [off=MS] [seed=N]                      what a vCPU writes while migrating
  migrate [bandwidth=BYTES/S] [downtime=MS] [max-rounds=N] [tick=MS] [reap=MS] [chunk=PAGES]
     [harvest=acqrel|plain] [its-save=PAGES] [kernel-write=GFN@MS,...]
                                                    pre-copy live migration (see below)
  show round N | lost | migration FIELD           the last migration's round N, its lost pages,
                                                    one of converged|mode|rounds|sent|downtime|lost
  expect TEXT                                       the previous result must be TEXT
CAP: DIRTY_LOG_RING, DIRTY_LOG_RING_ACQ_REL, DIRTY_LOG_RING_WITH_BITMAP,
  MANUAL_DIRTY_LOG_PROTECT2, NR_MEMSLOTS, MULTI_ADDRESS_SPACE, MAX_VCPUS, MAX_VCPU_ID,
  USER_MEMORY, or a number. PAGES: 5, 3..9 or 0..3,7,12..13. Numbers: decimal or 0x hex,
  with K/M suffixes.)");

    auto* mig = app.add_subcommand(
        "migrate",
        "Migrate one guest with QEMU-style pre-copy in each dirty-tracking mode (bitmap, clear, "
        "ring, ring+bitmap), on a simulated clock, and print each round's costs.\n"
        "Exit status: 0 migrated (lost pages and non-convergence are results), 2 an error.");
    MigrateArgs ma;
    mig->add_option("--mode", ma.mode, "bitmap, clear, ring, ring+bitmap, a comma list, or all")
        ->capture_default_str();
    mig->add_option("--arch", ma.arch, "x86_64, arm64, loongarch or riscv")->capture_default_str();
    mig->add_option("--kernel", ma.kernel, "X.Y")->capture_default_str();
    mig->add_option("--pml", ma.pml, "on or off (x86_64; default on)");
    mig->add_option("--memory", ma.memory, "guest RAM, one memslot: 64M, 1G, 16G ...")
        ->capture_default_str();
    mig->add_option("--vcpus", ma.vcpus, "vCPUs, each running the workload")->capture_default_str();
    mig->add_option("--ring", ma.ring, "dirty ring entries per vCPU (ring modes)")
        ->capture_default_str();
    mig->add_option("--workload", ma.workload,
                    "each vCPU's writes, as the workload command's words after `all` "
                    "(default: zipf rate=20000 hot=65536 seed=1)");
    mig->add_option("--migrate", ma.migrate,
                    "options of the migrate command: bandwidth=128M downtime=300 max-rounds=30 "
                    "its-save=PAGES kernel-write=GFN@MS harvest=plain ...");
    mig->add_option("--csv", ma.csv, "write every round's costs, every mode, as CSV");
    mig->add_option("--json", ma.json, "write the results as JSON");
    mig->add_flag("--scenario", ma.scenario,
                  "print each mode's setup as a scenario file instead of running it");
    mig->footer(R"(Each mode's VM is set up as QEMU sets one up: the ring caps first, WITH_BITMAP
before any memslot, MANUAL_DIRTY_LOG_PROTECT2 only without the ring (see --scenario). A mode
this kernel cannot do is reported unavailable, with the call that failed.
Rounds: round 0 sends every page; each later round sends what the last sync collected; when
that fits in the downtime limit at the bandwidth the vCPUs stop and the rest is sent (stop).
LOST lines name each page whose destination copy differs from the source at the end.)");

    auto* caps = app.add_subcommand(
        "caps", "Print what checking and enabling each dirty-tracking capability returns on one "
                "architecture and kernel version, and why.");
    std::string caps_arch, caps_kernel, caps_pml, caps_page;
    bool caps_json = false;
    caps->add_option("--arch", caps_arch, "x86_64, arm64, loongarch or riscv")->required();
    caps->add_option("--kernel", caps_kernel, "X.Y, 5.10 to " + version_name(kNewestVersion))
        ->required();
    caps->add_option("--pml", caps_pml, "on or off (x86_64; default on)");
    caps->add_option("--page", caps_page, "4K, 16K or 64K (arm64, loongarch)");
    caps->add_flag("--json", caps_json, "print JSON");

    auto* litmus = app.add_subcommand(
        "litmus", "Check litmus tests (herd's AArch64 and X86 syntax) exhaustively against "
                  "x86-TSO or ARMv8;\nprint herd7's verdict line, "
                  "Observation NAME Always|Sometimes|Never P N, per file.\n"
                  "Exit status: 0 all files checked, 2 an error (FILE:LINE: error: ...).");
    std::vector<std::string> litmus_files;
    bool litmus_herd = false;
    std::string litmus_model;
    litmus->add_option("FILE", litmus_files, "litmus files (.litmus)")->required();
    litmus->add_flag("--herd", litmus_herd,
                     "print herd7's whole output block (without its Time and Hash lines)");
    litmus
        ->add_option("--model", litmus_model,
                     "tso (x86tso.cat) or armv8 (aarch64.cat); default: X86 tests tso, "
                     "AArch64 tests armv8")
        ->check(CLI::IsMember({"tso", "armv8"}));
    litmus->footer(R"(P counts the allowed executions whose final state satisfies the condition's
proposition, N those whose does not (herd7 counts executions, not states). Checked
as the other model, an AArch64 test's full DMB is an MFENCE and its other barriers and
acquire/release add nothing to TSO; an X86 test's MFENCE is a full DMB.
Instructions: AArch64 LDR, STR (W and X), LDAR, LDAPR, STLR, DMB ISH|ISHST|ISHLD|SY|ST|LD
(and OSH*), ISB, MOV, EOR, ADD, CMP, B.EQ, B.NE, CBZ, CBNZ, B, labels; addressing [Xn],
[Xn,Xm], [Xn,Wm,SXTW], [Xn,#imm]. X86 MOV to and from [x], MOV of $N and registers,
MFENCE, CMP with JE/JNE, JMP, labels. Anything else is an error.)");

    auto* explore = app.add_subcommand(
        "explore",
        "Explore the dirty ring protocol exhaustively: KVM's push (the vCPU), the VMM's "
        "harvester and\nKVM_RESET_DIRTY_RINGS as litmus programs over N entries and L laps; "
        "count the executions the\narchitecture's model allows, those that lose or misattribute "
        "a dirty page, and print one witness.\nExit status: 0 explored, 2 an error.");
    std::string ex_arch, ex_harvest, ex_witness;
    std::vector<std::string> ex_patches;
    int ex_entries = 2, ex_laps = 2;
    bool ex_litmus = false;
    explore->add_option("--arch", ex_arch, "arm64 (ARMv8, aarch64.cat) or x86_64 (x86-TSO)")
        ->required()
        ->check(CLI::IsMember({"arm64", "x86_64"}));
    explore
        ->add_option("--harvest", ex_harvest,
                     "acqrel or plain: how the harvester reads flags and writes RESET, as the "
                     "scenario language's harvest order=")
        ->required()
        ->check(CLI::IsMember({"plain", "acqrel"}));
    explore
        ->add_option("--patch", ex_patches,
                     "no-wmb (drop push's smp_wmb) and/or plain-reset (the reset's flags read "
                     "and clear without acquire/release, as before 6.1); as the scenario "
                     "language's patch=")
        ->delimiter(',')
        ->check(CLI::IsMember({"no-wmb", "plain-reset"}));
    explore
        ->add_option("--entries", ex_entries,
                     "ring entries, 1 to " + std::to_string(ordering::kMaxRingEntries) +
                         " (default 2)")
        ->check(CLI::Range(1, ordering::kMaxRingEntries));
    explore
        ->add_option("--laps", ex_laps,
                     "laps of the ring, 1 to " + std::to_string(ordering::kMaxRingLaps) +
                         " (default 2)")
        ->check(CLI::Range(1, ordering::kMaxRingLaps));
    explore
        ->add_option("--witness", ex_witness,
                     "which race's witness to print: stale-read, early-reuse, reset-stale, "
                     "reset-early (default: the first found, in that order)")
        ->check(CLI::IsMember({"stale-read", "early-reuse", "reset-stale", "reset-early"}));
    explore->add_flag("--litmus", ex_litmus,
                      "print the generated program in herd's litmus syntax instead (P0 the "
                      "vCPU, P1 the harvester, P2 the reset)");
    explore->footer(R"(Output:
  explore SETUP                   what was explored; then the model and kernel barriers
  executions: N                   executions the model allows (as herd7 counts them for the
                                  --litmus program)
  lose a dirty page: N            executions where a pushed page is neither recorded by the
                                  harvester nor still DIRTY in the ring, or where KVM's reset
                                  re-armed another page than the entry's (its next write is
                                  then never logged)
  misattribute a dirty page: N    executions where the harvester recorded a page its entry did
                                  not hold at that lap
  bad: N                          either
  RACE COUNT SUMMARY              per race: stale-read, early-reuse (ordering.md's two races),
                                  reset-stale, reset-early (the kernel's reset side)
  witness: RACE                   then what went wrong, then the execution as numbered steps:
  N.  THREAD  FUNCTION  INSTRUCTION  LOCATION  writes V | reads V from step J | reads V (initial)
Steps are in an order the model allows: a write is the moment it becomes visible to the other
CPUs, a read the moment it is satisfied, from the latest write to its location before it
unless marked as its own store, forwarded. THREAD is vCPU (KVM's push), harvester (QEMU's
kvm_dirty_ring_reap_one) or reset (KVM's kvm_dirty_ring_reset); laps reuse each entry in turn.)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e); // prints the help; 0
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e); // prints the message
        return 2;    // never the library's own codes
    }
    if (*run)
        return run_files(files, json, trace);
    if (*litmus)
        return check_litmus_files(litmus_files, litmus_herd, litmus_model);
    if (*explore)
        return explore_ring(ex_arch, ex_harvest, ex_patches, ex_entries, ex_laps, ex_witness,
                            ex_litmus);
    if (*mig)
        return migrate_modes(ma);
    if (*caps)
        return print_caps(caps_arch, caps_kernel, caps_pml, caps_page, caps_json);
    return 2;
}
