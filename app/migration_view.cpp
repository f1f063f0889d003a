// The migration view's worker, settings and export (migration_view.hpp).
#include "migration_view.hpp"

#include "scenario/command.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace ringside::app {

// ---- the worker

Comparison::Comparison(const migrate::GuestSetup& setup, std::vector<migrate::Mode> modes)
    : setup_(setup) {
    for (const migrate::Mode m : modes) {
        ModeRun r;
        r.mode = m;
        runs_.push_back(std::move(r));
    }
    worker_ = std::jthread([this](std::stop_token stop) { work(stop); });
}

Comparison::~Comparison() {
    worker_.request_stop();
    if (worker_.joinable())
        worker_.join();
}

void Comparison::cancel() {
    worker_.request_stop();
}

bool Comparison::running() const {
    std::lock_guard lock(mu_);
    return !finished_;
}

bool Comparison::wait_for(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return done_.wait_for(lock, timeout, [this] { return finished_; });
}

std::vector<ModeRun> Comparison::snapshot(bool* finished) const {
    std::lock_guard lock(mu_);
    if (finished)
        *finished = finished_;
    return runs_;
}

uint64_t Comparison::reports() const {
    std::lock_guard lock(mu_);
    return reports_;
}

void Comparison::work(std::stop_token stop) {
    for (size_t i = 0; i < runs_.size(); ++i) {
        migrate::Mode mode;
        {
            std::lock_guard lock(mu_);
            if (stop.stop_requested())
                break;
            runs_[i].state = ModeRun::State::Running;
            mode = runs_[i].mode;
        }
        // The engine reports every 1024 ticks of simulated time and at each round: cheap
        // enough to take the lock each time.
        auto progress = [&](const migrate::Progress& p) {
            std::lock_guard lock(mu_);
            runs_[i].progress = p;
            ++reports_;
            return !stop.stop_requested();
        };
        const auto start = std::chrono::steady_clock::now();
        migrate::MigrationResult r;
        try {
            r = migrate::run_mode(setup_, mode, progress);
        } catch (const std::exception& e) { // the engine's own bounds (bad_alloc, ...)
            r = migrate::MigrationResult();
            r.mode = mode;
            r.error = std::string("the simulation stopped: ") + e.what();
        }
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::lock_guard lock(mu_);
        runs_[i].wall_seconds = wall;
        if (stop.stop_requested() && r.error == "cancelled") {
            runs_[i].state = ModeRun::State::Cancelled;
        } else {
            runs_[i].result = std::make_shared<const migrate::MigrationResult>(std::move(r));
            runs_[i].state = ModeRun::State::Done;
        }
    }
    std::lock_guard lock(mu_);
    for (ModeRun& r : runs_)
        if (r.state == ModeRun::State::Waiting || r.state == ModeRun::State::Running)
            r.state = ModeRun::State::Cancelled;
    finished_ = true;
    done_.notify_all();
}

// ---- settings

std::string setup_key(const migrate::GuestSetup& g) {
    return migrate::setup_scenario(g, migrate::Mode::RingBitmap) + migrate::migrate_line(g.config);
}

namespace {

constexpr uint64_t kMaxGuestPages = 1ull << 22; // 16 GiB: the scale the engine is built for
constexpr uint32_t kMaxVcpus = 64;

} // namespace

std::string compare_setting(const std::string& key, const std::string& value,
                            migrate::GuestSetup* g) {
    if (key == "arch") {
        // The guests are sized in 4 KiB pages, which LoongArch's VMs do not use.
        const auto a = parse_arch(value);
        if (!a || *a == Arch::LoongArch)
            return "arch \"" + value + "\" is not x86_64, arm64 or riscv (guests of 4 KiB pages)";
        g->arch = *a;
        return "";
    }
    if (key == "kernel") {
        // The scenario language reads the version, with its own checks.
        const scenario::ParsedLine p = scenario::parse_line("vm arch=x86_64 kernel=" + value);
        const auto* c = std::get_if<scenario::Command>(&p);
        if (!c || version_name(c->vm.version) != value || !version_exists(c->vm.version))
            return "kernel \"" + value + "\" is not a release Ringside models (" +
                   version_name(kOldestVersion) + " to " + version_name(kNewestVersion) + ")";
        g->version = c->vm.version;
        return "";
    }
    if (key == "memory") {
        uint64_t bytes = 0;
        if (!migrate::parse_size(value, &bytes) || bytes < 4096 || bytes % 4096 ||
            bytes / 4096 > kMaxGuestPages)
            return "memory \"" + value +
                   "\" is not a guest size such as 64M, 1G or 16G (4K to 16G, whole 4K pages)";
        g->pages = bytes / 4096;
        return "";
    }
    if (key == "vcpus") {
        uint64_t n = 0;
        if (scenario::parse_integer(value, &n) != scenario::IntegerError::None || n == 0 ||
            n > kMaxVcpus)
            return "vcpus \"" + value + "\" is not 1 to " + std::to_string(kMaxVcpus);
        g->vcpus = uint32_t(n);
        return "";
    }
    if (key == "ring") {
        // KVM takes a power of two of at least a page of 16-byte entries, and at most
        // KVM_DIRTY_RING_MAX_ENTRIES (65536).
        uint64_t n = 0;
        if (scenario::parse_integer(value, &n) != scenario::IntegerError::None || n < 256 ||
            n > 65536 || (n & (n - 1)))
            return "ring \"" + value + "\" is not a power of two from 256 to 65536 entries";
        g->ring_entries = uint32_t(n);
        return "";
    }
    if (key == "workload" || key == "migrate") {
        if (const auto e = key == "workload" ? migrate::read_workload(value, &g->workload)
                                             : migrate::read_migrate(value, &g->config))
            return key + " \"" + value + "\": column " + std::to_string(std::max(1, e->col)) +
                   ": " + e->message;
        return "";
    }
    std::string keys;
    for (const char* k : kCompareKeys)
        keys += (keys.empty() ? "" : ", ") + std::string(k);
    return "unknown setting '" + key + "' (known: " + keys + ")";
}

std::string check_setup(const migrate::GuestSetup& g) {
    VmSpec spec;
    spec.arch = g.arch;
    spec.version = g.version;
    spec.pml = g.pml;
    const ConfigOrError c = make_kernel_config(spec);
    if (!c.config)
        return "kernel " + version_name(g.version) + " on " + std::string(arch_name(g.arch)) +
               ": " + c.error;
    if (!g.config.its_save.empty() && g.arch != Arch::Arm64)
        return "migrate its-save= is arm64's (the vGIC ITS), but the guest is " +
               std::string(arch_name(g.arch));
    for (const PageRange& r : g.config.its_save)
        if (r.last >= g.pages)
            return "migrate its-save= names page " + std::to_string(r.last) +
                   ", beyond the guest's " + std::to_string(g.pages) + " pages";
    for (const auto& [ns, gfn] : g.config.kernel_writes)
        if (gfn >= g.pages)
            return "migrate kernel-write= names page " + std::to_string(gfn) +
                   ", beyond the guest's " + std::to_string(g.pages) + " pages";
    return "";
}

std::string compare_settings(const std::vector<std::string>& items, migrate::GuestSetup* g) {
    for (const std::string& item : items) {
        const size_t eq = item.find('=');
        if (eq == std::string::npos)
            return "'" + item + "' is not KEY=VALUE";
        const std::string err = compare_setting(item.substr(0, eq), item.substr(eq + 1), g);
        if (!err.empty())
            return err;
    }
    return check_setup(*g);
}

// ---- texts

std::string grouped(uint64_t v) {
    const std::string digits = std::to_string(v);
    std::string s;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            s += ',';
        s += digits[i];
    }
    return s;
}

std::string memory_text(uint64_t pages) {
    const uint64_t bytes = pages * 4096;
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    uint64_t scale = 1024;
    int u = 0;
    while (u < 3 && bytes >= scale * 1024) {
        scale *= 1024;
        ++u;
    }
    char buf[32];
    if (bytes % scale == 0)
        std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(bytes / scale),
                      units[u]);
    else
        std::snprintf(buf, sizeof buf, "%.1f %s", double(bytes) / double(scale), units[u]);
    return buf;
}

std::string guest_text(const migrate::GuestSetup& g) {
    std::string s = std::string(arch_name(g.arch)) + " Linux " + version_name(g.version);
    if (g.arch == Arch::X86_64 && !g.pml)
        s += " (PML off)";
    return s + " · " + memory_text(g.pages) + " (" + grouped(g.pages) + " pages) · " +
           std::to_string(g.vcpus) + (g.vcpus == 1 ? " vCPU" : " vCPUs") + " · " +
           std::to_string(g.ring_entries) + "-entry rings";
}

// ---- export

std::string data_dir() {
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
        return (std::filesystem::path(x) / "ringside").string();
    if (const char* h = std::getenv("HOME"); h && *h)
        return (std::filesystem::path(h) / ".local/share/ringside").string();
    return "";
}

std::string export_csv(const ExportRuns& runs) {
    std::string out = "run," + migrate::costs_csv_header() + "\n";
    for (const migrate::MigrationResult* r : runs.compared)
        out += migrate::costs_csv_rows(*r, "compare,");
    if (runs.this_vm)
        out += migrate::costs_csv_rows(*runs.this_vm, "this-vm,");
    return out;
}

std::string export_json(const ExportRuns& runs) {
    nlohmann::ordered_json doc;
    if (runs.setup) {
        const migrate::GuestSetup& g = *runs.setup;
        doc["guest"] = {{"arch", std::string(arch_name(g.arch))},
                        {"kernel", version_name(g.version)},
                        {"pml", g.pml},
                        {"pages", g.pages},
                        {"vcpus", g.vcpus},
                        {"ring_entries", g.ring_entries},
                        {"workload", migrate::workload_text(g.workload)},
                        {"migrate", migrate::migrate_line(g.config)}};
    }
    doc["compared"] = nlohmann::ordered_json::array();
    for (const migrate::MigrationResult* r : runs.compared)
        doc["compared"].push_back(migrate::result_to_json(*r));
    doc["this_vm"] =
        runs.this_vm ? migrate::result_to_json(*runs.this_vm) : nlohmann::ordered_json();
    return doc.dump(2) + "\n";
}

ExportResult export_runs(const ExportRuns& runs, bool json, const std::string& path, int64_t now) {
    namespace fs = std::filesystem;
    ExportResult res;
    if (runs.empty()) {
        res.message = "nothing to export yet: migrate first";
        return res;
    }
    fs::path target;
    std::error_code ec;
    if (path.empty()) {
        const std::string dir = data_dir();
        if (dir.empty()) {
            res.message = "cannot export: neither XDG_DATA_HOME nor HOME is set; type a path";
            return res;
        }
        fs::create_directories(dir, ec);
        if (ec) {
            res.path = dir;
            res.message = "cannot create " + dir + ": " + ec.message();
            return res;
        }
        const std::time_t t = std::time_t(now);
        std::tm tm{};
        localtime_r(&t, &tm);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        const std::string ext = json ? ".json" : ".csv";
        target = fs::path(dir) / ("migration-" + std::string(stamp) + ext);
        for (int n = 2; fs::exists(target, ec); ++n) // two exports in one second
            target =
                fs::path(dir) / ("migration-" + std::string(stamp) + "-" + std::to_string(n) + ext);
    } else {
        target = fs::absolute(path, ec);
        if (ec)
            target = path;
    }
    res.path = target.string();
    const std::string text = json ? export_json(runs) : export_csv(runs);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) {
        const int err = errno;
        res.message = "cannot write " + res.path + ": " + std::strerror(err);
        return res;
    }
    out << text;
    out.close();
    if (!out) {
        res.message = "cannot write " + res.path + ": the write failed (disk full?)";
        return res;
    }
    res.ok = true;
    res.message = "wrote " + res.path + " (" + grouped(text.size()) + " bytes)";
    return res;
}

} // namespace ringside::app
