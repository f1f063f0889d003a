// ringside: the desktop app. Set-up is boring and visible: a GLFW window, an OpenGL 3.3 core
// context, Dear ImGui, then every frame the panels draw the model and apply() what they asked.
#include "frame.hpp"
#include "lesson_player.hpp"
#include "notes_feed.hpp"
#include "panels.hpp"
#include "record.hpp"
#include "record_frame.hpp"

#include <glad/gl.h>

#include <CLI/CLI.hpp>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

using namespace ringside;
using namespace ringside::app;

namespace {

float g_content_scale = 1;      // the window's content scale, as GLFW last reported it
std::vector<int> g_key_presses; // keys pressed (or repeating) since the last frame

// Installed before ImGui's own callbacks, which chain to it.
void on_key(GLFWwindow*, int key, int, int action, int) {
    if (action == GLFW_PRESS ||
        (action == GLFW_REPEAT && key != GLFW_KEY_SPACE && key != GLFW_KEY_F5))
        g_key_presses.push_back(key);
}

// The glyphs the UI uses beyond ASCII: Latin-1, dashes and quotes, arrows, ≥ and ×.
const ImWchar kGlyphs[] = {0x0020, 0x00FF, 0x2010, 0x206F, 0x2190, 0x21FF, 0x2200, 0x22FF, 0};

void build_fonts(float size) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    const std::string path = std::string(RINGSIDE_FONT_DIR) + "/DejaVuSans.ttf";
    if (!std::filesystem::exists(path) ||
        !io.Fonts->AddFontFromFileTTF(path.c_str(), size, nullptr, kGlyphs)) {
        ImFontConfig cfg;
        cfg.SizePixels = size;
        io.Fonts->AddFontDefault(&cfg);
    }
}

struct Options {
    std::string scenario;
    uint64_t steps = ~0ull;
    std::string screenshot;
    std::string layout;
    int width = 1600, height = 900;
    std::string theme = "dark";
    bool presenter = false;
    int bench_frames = 0;
    std::vector<std::string> commands;
    std::string view = "machine";
    std::string lesson;   // a lesson file, or "none"; default: the first of lessons/
    int lesson_step = 1;  // 1-based
    bool notes = false;   // be the presenter-notes window, fed on stdin
    RecordOptions record; // --record: a lesson or scenario to a video
    std::string record_format, record_captions;
    bool whole_frames = false; // --record draws each frame whole, not only what changed
    std::string ordering;      // program[,x86][,acqrel][,no-wmb][,bad]
    // The migration view's comparison: KEY=VALUE settings.
    std::vector<std::string> compare;
};

// What is on stdin now, without waiting (the presenter-notes window's feed); *closed once the
// main app has gone.
std::string read_stdin(bool* closed) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    *closed = n == 0;
    return out;
}

// The presenter-notes window: started on request as a second process of this program, fed the
// lesson and step through a pipe whenever they change.
void feed_notes_window(const Model& m, Ui& ui) {
    static int pipe_fd = -1;
    static std::string last;
    if (ui.want_notes_window) {
        ui.want_notes_window = false;
        int fds[2];
        if (pipe_fd < 0 && pipe(fds) == 0) {
            const pid_t pid = fork();
            if (pid == 0) {
                dup2(fds[0], 0);
                close(fds[0]);
                close(fds[1]);
                execl("/proc/self/exe", "ringside", "--presenter-notes", nullptr);
                _exit(127);
            }
            close(fds[0]);
            if (pid > 0) {
                pipe_fd = fds[1];
                signal(SIGPIPE, SIG_IGN); // the window may be closed first
                last.clear();
            } else {
                close(fds[1]);
            }
        }
    }
    if (pipe_fd < 0 || !m.lesson || !m.lesson->lesson())
        return;
    const std::string line = notes_line(m.lesson->lesson()->path, m.lesson->step);
    if (line == last)
        return;
    last = line;
    if (write(pipe_fd, line.data(), line.size()) < 0) { // the window was closed
        close(pipe_fd);
        pipe_fd = -1;
    }
}

bool write_png(const std::string& path, int w, int h) {
    std::vector<unsigned char> px(size_t(w) * size_t(h) * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
    stbi_flip_vertically_on_write(1);
    return stbi_write_png(path.c_str(), w, h, 4, px.data(), w * 4) != 0;
}

} // namespace

int main(int argc, char** argv) {
    const auto process_start = std::chrono::steady_clock::now();
    double first_frame_ms = 0;
    Options o;
    CLI::App cli{"ringside — Linux KVM's dirty-page tracking, live and animated"};
    std::string size;
    cli.add_option("--scenario", o.scenario, "a scenario file (.scn) to open");
    cli.add_option("--steps", o.steps, "run only the scenario's first N commands");
    cli.add_option("--screenshot", o.screenshot, "render once, write this PNG and exit");
    cli.add_option("--layout", o.layout, "with --screenshot: also write where things were drawn");
    cli.add_option("--size", size, "window size WxH (default 1600x900)");
    cli.add_option("--theme", o.theme, "dark, light or contrast");
    cli.add_flag("--presenter", o.presenter, "presenter mode: large fonts, no chrome");
    cli.add_option("--command", o.commands,
                   "run this command after the scenario, as if typed in the console (repeatable)");
    cli.add_option("--lesson", o.lesson,
                   "open this lesson (a .toml file; default: the first in lessons/, unless "
                   "--scenario is given), or none");
    cli.add_option("--lesson-step", o.lesson_step, "show this step of the lesson (from 1)");
    cli.add_option("--record", o.record.input,
                   "record this lesson (.toml) or scenario (.scn) as a video, headless, and exit");
    cli.add_option("--out", o.record.out, "with --record: the file to write");
    cli.add_option("--fps", o.record.fps, "with --record: 30 (default) or 60");
    cli.add_option("--format", o.record_format,
                   "with --record: mp4, webm, gif or png (default: from --out's extension)");
    cli.add_option("--captions", o.record_captions,
                   "with --record: burn, srt, vtt or none (default) — from the narration");
    cli.add_option("--seconds-per-step", o.record.seconds_per_step,
                   "with --record: how long each step shows (default 3; a question twice)");
    cli.add_flag("--whole-frames", o.whole_frames,
                 "with --record: draw every frame whole, not only where it changed (slower; the "
                 "same frames)");
    cli.add_flag("--presenter-notes", o.notes,
                 "be the presenter-notes window (the app starts it from its Lesson panel); "
                 "reads LESSON<TAB>STEP lines on stdin");
    cli.add_option("--view", o.view, "machine (default), memory-order or migration");
    cli.add_option("--compare", o.compare,
                   "migrate a guest in every mode at start, in the migration view: KEY=VALUE with "
                   "arch, kernel, memory, vcpus, ring, workload, migrate as a lesson's "
                   "[step.compare] (repeatable; a screenshot waits for the result)");
    cli.add_option("--ordering", o.ordering,
                   "memory-order view: publish|reset|mp|sb|sb-mb|lb, then any of ,x86 ,acqrel "
                   ",no-wmb ,bad (show a bad execution, all steps taken)");
    cli.add_option("--bench-frames", o.bench_frames,
                   "render N frames, stepping one event a frame, and print the median and p99 "
                   "frame time");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = cli.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (!size.empty() && std::sscanf(size.c_str(), "%dx%d", &o.width, &o.height) != 2) {
        std::cerr << "ringside: error: --size must be WxH, like 1920x1080\n";
        return 2;
    }
    const bool recording = !o.record.input.empty();
    if (recording) {
        if (size.empty())
            o.width = 1920, o.height = 1080;
        o.record.width = o.width;
        o.record.height = o.height;
        std::string bad = o.record.out.empty()
                              ? "--record needs --out FILE"
                              : finish_record_options(o.record, o.record_format, o.record_captions);
        if (bad.empty() && std::system("command -v ffmpeg >/dev/null 2>&1") != 0)
            bad = "ffmpeg is not installed (Debian: apt-get install ffmpeg)";
        if (bad.empty()) {
            const auto dir = std::filesystem::absolute(o.record.out).parent_path();
            if (!std::filesystem::is_directory(dir) || access(dir.c_str(), W_OK) != 0)
                bad = "cannot write " + o.record.out + ": " + dir.string() +
                      " is not a writable folder";
        }
        if (!bad.empty()) {
            std::cerr << "ringside: error: " << bad << '\n';
            return 2;
        }
        if (std::filesystem::path(o.record.input).extension() == ".toml")
            o.lesson = o.record.input;
        else
            o.scenario = o.record.input;
    }
    Ui ui;
    if (!parse_theme(o.theme, &ui.theme)) {
        std::cerr << "ringside: error: --theme must be dark, light or contrast\n";
        return 2;
    }

    Model m;
    load_history(m);
    load_scenario_text(m, kDefaultScenario, "default scenario");
    if (!o.scenario.empty() && !load_scenario_file(m, o.scenario, o.steps)) {
        std::cerr << "ringside: " << m.load_error
                  << (recording ? "\n" : " (showing the default scenario)\n");
        if (recording)
            return 2;
    }
    m.presenter = o.presenter;
    // The lessons folder fills the picker; with no scenario the app opens on a lesson.
    scan_lesson_folder(m, RINGSIDE_LESSON_DIR);
    if (o.lesson != "none" && (o.scenario.empty() || !o.lesson.empty())) {
        int index = o.lesson.empty() ? 0 : -1;
        for (size_t i = 0; i < m.lesson->entries.size() && index < 0; ++i)
            if (std::filesystem::path(m.lesson->entries[i].path).filename() ==
                std::filesystem::path(o.lesson).filename())
                index = int(i);
        if (index < 0 && !o.lesson.empty()) { // a lesson from elsewhere: its folder instead
            scan_lesson_folder(m, std::filesystem::path(o.lesson).parent_path().string());
            for (size_t i = 0; i < m.lesson->entries.size() && index < 0; ++i)
                if (m.lesson->entries[i].path == o.lesson ||
                    std::filesystem::path(m.lesson->entries[i].path).filename() ==
                        std::filesystem::path(o.lesson).filename())
                    index = int(i);
        }
        if (index >= 0 && index < int(m.lesson->entries.size())) {
            open_lesson(m, index);
            if (!m.lesson->error.empty())
                std::cerr << "ringside: " << m.lesson->error << '\n';
            go_to_step(m, o.lesson_step - 1);
        } else if (!o.lesson.empty()) {
            std::cerr << "ringside: " << o.lesson << ": no such lesson (showing the default "
                      << "scenario)\n";
        }
        if (recording && !o.lesson.empty() && (!m.lesson->lesson() || !m.lesson->error.empty())) {
            if (m.lesson->error.empty())
                std::cerr << "ringside: error: " << o.lesson << ": cannot open the lesson\n";
            return 2;
        }
    }
    if (o.view != "machine" && o.view != "memory-order" && o.view != "migration") {
        std::cerr << "ringside: error: --view must be machine, memory-order or migration\n";
        return 2;
    }
    if (o.view == "migration")
        m.migration.shown = true;
    if (!o.compare.empty()) {
        migrate::GuestSetup g = m.migration.setup;
        if (const std::string bad = compare_settings(o.compare, &g); !bad.empty()) {
            std::cerr << "ringside: error: --compare: " << bad << '\n';
            return 2;
        }
        Actions go;
        go.compare_setup = g;
        go.start_compare = true;
        go.migration_view = o.view != "memory-order";
        apply(m, go);
    }
    if (o.view == "memory-order" || !o.ordering.empty()) // else as the lesson's step says
        m.ordering.shown = true;
    if (!o.ordering.empty() && !parse_ordering(o.ordering, &m.ordering)) {
        std::cerr << "ringside: error: --ordering: unknown program or option in '" << o.ordering
                  << "'\n";
        return 2;
    }
    if (!o.commands.empty()) {
        Actions typed;
        typed.commands = o.commands;
        apply(m, typed);
        save_history(m);
    }

    if (!glfwInit()) {
        std::cerr << "ringside: error: cannot initialise GLFW (is there a display?)\n";
        return 1;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    if (o.notes && size.empty()) {
        o.width = 1000;
        o.height = 700;
    }
    GLFWwindow* win = glfwCreateWindow(
        o.width, o.height, o.notes ? "Ringside — presenter notes" : "Ringside", nullptr, nullptr);
    if (!win) {
        std::cerr << "ringside: error: cannot open an OpenGL 3.3 window\n";
        glfwTerminate();
        return 1;
    }
    glfwMakeContextCurrent(win);
    glfwSwapInterval(o.screenshot.empty() && !o.bench_frames ? 1 : 0);
    if (!gladLoadGL(glfwGetProcAddress)) {
        std::cerr << "ringside: error: cannot load OpenGL 3.3\n";
        return 1;
    }

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr; // the layout is fixed; nothing to save next to the binary
    float xscale = 1, yscale = 1;
    glfwGetWindowContentScale(win, &xscale, &yscale);
    float dpi = std::max(1.0f, xscale);
    // Moved to a screen of another density: the fonts are rebuilt at the new scale.
    glfwSetWindowContentScaleCallback(
        win, [](GLFWwindow*, float x, float) { g_content_scale = std::max(1.0f, x); });
    g_content_scale = dpi;
    // The notes window is read from a step or two away: a larger font.
    float font_size = (m.presenter ? 30.0f : o.notes ? 22.0f : 16.0f) * dpi;
    build_fonts(font_size);
    apply_theme(m.presenter ? Theme::Contrast : ui.theme);
    set_ui_scale(dpi);
    glfwSetKeyCallback(win, on_key);
    ImGui_ImplGlfw_InitForOpenGL(win, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    int frames = 0;
    bool presenter_was = m.presenter;
    NotesFeed notes;
    if (o.notes) // stdin is the main app's pipe: read it without blocking the window
        fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    // A screenshot shows the state settled: its step's transition has finished.
    if (!o.screenshot.empty())
        m.frame += kTransitionFrames;
    std::vector<double> frame_ms;
    if (o.bench_frames > 0)
        seek(m, 0);
    // When nothing moves the app sleeps until the next input: no redraws at 60 fps on a
    // presenter's laptop. After any input a few frames let ImGui settle its layout.
    const bool headless = !o.screenshot.empty() || o.bench_frames > 0 || recording;
    // Recording: the plan of frames, and ffmpeg reading them from a pipe as they come.
    std::vector<RecordStep> plan;
    FILE* encoder = nullptr;
    uint64_t rec_frame = 0, rec_total = 0;
    size_t rec_step = 0;
    std::unique_ptr<FramePipe> to_encoder;
    std::unique_ptr<RecordFrame> rec_target; // drawn, and read, only where a frame changes
    if (recording) {
        plan = plan_recording(m, o.record);
        if (o.record.captions == Captions::Burn)
            for (const RecordStep& st : plan)
                ui.captions.push_back(st.caption);
        rec_total = plan.empty() ? 0 : plan.back().first + plan.back().frames;
        if (rec_total == 0) {
            std::cerr << "ringside: error: " << o.record.input << ": nothing to record\n";
            return 2;
        }
        signal(SIGPIPE, SIG_IGN); // ffmpeg failing is reported by pclose
        encoder = popen(ffmpeg_command(o.record).c_str(), "w");
        if (!encoder) {
            std::cerr << "ringside: error: cannot start ffmpeg\n";
            return 1;
        }
        // A bigger pipe: a frame crosses in fewer write/read round trips (best effort).
        fcntl(fileno(encoder), F_SETPIPE_SZ, 1 << 20);
        to_encoder = std::make_unique<FramePipe>(encoder);
    }
    const auto record_start = std::chrono::steady_clock::now();
    int settle = 3;
    bool fonts_rebuilt = false;
    while (!glfwWindowShouldClose(win)) {
        const bool moving =
            m.playing || transition(m) < 1 || change_glow(m) > 0 || comparison_running(m);
        if (o.notes && !headless) {
            glfwWaitEventsTimeout(0.25); // the feed and the clock move without input
        } else if (!headless && !moving && settle <= 0) {
            glfwWaitEvents();
            settle = 3;
        }
        --settle;
        const auto frame_start = std::chrono::steady_clock::now();
        glfwPollEvents();
        if (m.presenter != presenter_was || g_content_scale != dpi) {
            // Font sizes are rebuilt between frames.
            presenter_was = m.presenter;
            dpi = g_content_scale;
            font_size = (m.presenter ? 30.0f : 16.0f) * dpi;
            build_fonts(font_size);
            ImGui_ImplOpenGL3_DestroyFontsTexture();
            ImGui_ImplOpenGL3_CreateFontsTexture();
            fonts_rebuilt = true;
            apply_theme(m.presenter ? Theme::Contrast : ui.theme);
            set_ui_scale(dpi);
        }
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        if (!o.screenshot.empty() || o.bench_frames) // the state, not wherever the pointer is
            io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        ImGui::NewFrame();
        int fw, fh;
        glfwGetFramebufferSize(win, &fw, &fh);
        if (o.notes) {
            bool closed = false;
            notes.take(read_stdin(&closed));
            if (closed && !headless) // the main window has gone: so do its notes
                glfwSetWindowShouldClose(win, 1);
            draw_presenter_notes(
                notes, ui,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - process_start)
                    .count(),
                fw, fh);
        } else {
            if (recording) { // the plan says what this frame shows
                while (rec_step + 1 < plan.size() && plan[rec_step + 1].first <= rec_frame)
                    ++rec_step;
                const RecordStep& st = plan[rec_step];
                if (rec_frame == st.first) {
                    if (st.lesson_step >= 0) {
                        go_to_step(m, st.lesson_step);
                    } else {
                        m.limit = ~0ull;
                        seek(m, st.seek);
                    }
                    ui.caption = o.record.captions == Captions::Burn ? st.caption : "";
                }
                if (st.reveal_at && rec_frame == st.reveal_at)
                    commit_answer(m, st.answer);
                // A step that starts a comparison is recorded with its results: how fast the
                // worker ran must not show in the video (same inputs, same frames).
                if (m.migration.comparison)
                    while (!m.migration.comparison->wait_for(std::chrono::milliseconds(50))) {
                    }
            }
            tick(m, 1.0 / (recording ? o.record.fps : 60.0));
            draw_frame(m, ui, fw, fh, g_key_presses);
            feed_notes_window(m, ui);
        }
        ImGui::Render();
        const ImVec4 bg = ImGui::GetStyleColorVec4(ImGuiCol_WindowBg);
        if (recording) {
            // Nothing is shown (the back buffer is never swapped): only what changed is drawn,
            // and read back; a frame that did not change is sent again as it is.
            if (!rec_target)
                rec_target = std::make_unique<RecordFrame>(fw, fh);
            const PixelRect drawn =
                rec_target->draw(ImGui::GetDrawData(), bg, o.whole_frames || fonts_rebuilt);
            bool sent;
            if (drawn.empty()) {
                sent = to_encoder->repeat();
            } else {
                std::vector<unsigned char> px = to_encoder->buffer();
                px.resize(size_t(fw) * size_t(fh) * 4);
                rec_target->read(px.data());
                sent = to_encoder->push(std::move(px));
            }
            fonts_rebuilt = false;
            if (!sent) {
                std::cerr << "\nringside: error: ffmpeg stopped taking frames\n";
                glfwSetWindowShouldClose(win, 1);
                frames = -1000;
            }
            ++rec_frame;
            if (rec_frame % 10 == 0 || rec_frame == rec_total) { // progress on the terminal
                const double spent =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - record_start)
                        .count();
                const int done = int(40 * rec_frame / rec_total);
                std::fprintf(stderr, "\rrecording [%s%s] %llu/%llu frames %3d%% ETA %.0f s ",
                             std::string(size_t(done), '#').c_str(),
                             std::string(size_t(40 - done), '-').c_str(),
                             static_cast<unsigned long long>(rec_frame),
                             static_cast<unsigned long long>(rec_total),
                             int(100 * rec_frame / rec_total),
                             spent / double(rec_frame) * double(rec_total - rec_frame));
            }
            if (rec_frame >= rec_total)
                glfwSetWindowShouldClose(win, 1);
        } else {
            glViewport(0, 0, fw, fh);
            glClearColor(bg.x, bg.y, bg.z, 1);
            glClear(GL_COLOR_BUFFER_BIT);
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        }
        // A screenshot waits for the migration view's worker: the picture shows its results.
        const bool comparing = !o.screenshot.empty() && m.migration.comparison &&
                               !m.migration.comparison->wait_for(std::chrono::milliseconds(20));
        // A few frames let ImGui settle its layout (sizes measured in the previous frame).
        if (!o.screenshot.empty() && !comparing && ++frames == 4) {
            glFinish();
            const bool ok = write_png(o.screenshot, fw, fh);
            if (!o.layout.empty()) {
                layout()["size"] = {{"w", fw}, {"h", fh}};
                std::ofstream(o.layout) << layout().dump(2) << '\n';
            }
            if (!ok)
                std::cerr << "ringside: error: cannot write " << o.screenshot << '\n';
            glfwSetWindowShouldClose(win, 1);
            if (!ok)
                frames = -1000;
        }
        if (!recording)
            glfwSwapBuffers(win);
        if (first_frame_ms == 0) {
            glFinish();
            first_frame_ms = std::chrono::duration<double, std::milli>(
                                 std::chrono::steady_clock::now() - process_start)
                                 .count();
        }
        if (o.bench_frames > 0) {
            // Every frame shows a new state (one event on), so textures are rebuilt as when
            // a lesson plays: the frame time a presenter sees, not an idle redraw.
            glFinish();
            frame_ms.push_back(std::chrono::duration<double, std::milli>(
                                   std::chrono::steady_clock::now() - frame_start)
                                   .count());
            seek(m, m.cursor + 1 > m.timeline.event_count() ? 0 : m.cursor + 1);
            if (int(frame_ms.size()) >= o.bench_frames)
                glfwSetWindowShouldClose(win, 1);
        }
    }
    if (!frame_ms.empty()) {
        std::sort(frame_ms.begin(), frame_ms.end());
        std::printf("median %.2f ms p99 %.2f ms (%zu frames at %dx%d)\n",
                    frame_ms[frame_ms.size() / 2], frame_ms[frame_ms.size() * 99 / 100],
                    frame_ms.size(), o.width, o.height);
        std::printf("first frame %.0f ms after start\n", first_frame_ms);
    }
    if (encoder) {
        const bool written = to_encoder->finish();
        const int status = pclose(encoder);
        std::fprintf(stderr, "\n");
        if (status != 0 || frames < 0 || !written) {
            std::cerr << "ringside: error: ffmpeg could not write " << o.record.out << '\n';
            frames = -1000;
        } else if (o.record.captions == Captions::Srt || o.record.captions == Captions::Vtt) {
            const std::string ext = o.record.captions == Captions::Srt ? ".srt" : ".vtt";
            std::filesystem::path side(o.record.out);
            side.replace_extension(ext);
            std::ofstream(side) << caption_file(plan, o.record.fps, o.record.captions);
        }
    }
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(win);
    glfwTerminate();
    return frames < 0 ? 1 : 0;
}
