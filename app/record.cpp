#include "record.hpp"

#include "lesson_player.hpp"

#include <cerrno>
#include <cstdio>

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

namespace ringside::app {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Single quotes for the shell, whatever the path holds.
std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string timestamp(double seconds, char comma) {
    const long ms = long(seconds * 1000 + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld%c%03ld", ms / 3600000, ms / 60000 % 60,
                  ms / 1000 % 60, comma, ms % 1000);
    return buf;
}

// A caption is read in the few seconds a step shows: its first sentence.
std::string first_sentence(const std::string& text) {
    for (size_t i = 40; i + 1 < text.size(); ++i)
        if ((text[i] == '.' || text[i] == ':' || text[i] == '?') && text[i + 1] == ' ')
            return text.substr(0, i + 1);
    return text;
}

} // namespace

std::string finish_record_options(RecordOptions& o, const std::string& format,
                                  const std::string& captions) {
    const std::string f = !format.empty()             ? format
                          : ends_with(o.out, ".mp4")  ? "mp4"
                          : ends_with(o.out, ".webm") ? "webm"
                          : ends_with(o.out, ".gif")  ? "gif"
                          : ends_with(o.out, ".png")  ? "png"
                                                      : "";
    if (f == "mp4")
        o.format = VideoFormat::Mp4;
    else if (f == "webm")
        o.format = VideoFormat::Webm;
    else if (f == "gif")
        o.format = VideoFormat::Gif;
    else if (f == "png")
        o.format = VideoFormat::Png;
    else
        return "--format must be mp4, webm, gif or png (or --out end in one of them)";
    if (o.format == VideoFormat::Png && o.out.find('%') == std::string::npos)
        o.out = o.out.substr(0, o.out.size() - (ends_with(o.out, ".png") ? 4 : 0)) + "-%05d.png";
    if (captions == "none" || captions.empty())
        o.captions = Captions::None;
    else if (captions == "burn")
        o.captions = Captions::Burn;
    else if (captions == "srt")
        o.captions = Captions::Srt;
    else if (captions == "vtt")
        o.captions = Captions::Vtt;
    else
        return "--captions must be burn, srt, vtt or none";
    if (o.fps != 30 && o.fps != 60)
        return "--fps must be 30 or 60";
    if (!(o.seconds_per_step >= 0.5 && o.seconds_per_step <= 60))
        return "--seconds-per-step must be between 0.5 and 60";
    if (o.width < 64 || o.height < 64 || o.width > 7680 || o.height > 4320 || o.width % 2 ||
        o.height % 2)
        return "--size must be even, from 64x64 to 7680x4320";
    return "";
}

std::string plain_text(const std::string& markup) {
    std::string out;
    for (const Span& s : parse_markup(markup)) {
        if (s.kind == Span::ParagraphBreak)
            out += " ";
        else
            out += s.text;
    }
    return out;
}

std::vector<RecordStep> plan_recording(const Model& m, const RecordOptions& o) {
    std::vector<RecordStep> out;
    const uint64_t per = uint64_t(o.seconds_per_step * o.fps + 0.5);
    uint64_t frame = 0;
    const LessonPlayer* p = m.lesson.get();
    if (p && p->lesson() && !p->run.steps.empty()) {
        const Lesson& l = *p->lesson();
        for (size_t i = 0; i < p->run.steps.size(); ++i) {
            RecordStep s;
            s.first = frame;
            s.lesson_step = int(i);
            s.caption = l.steps[i].title + ": " + first_sentence(plain_text(l.steps[i].narration));
            s.frames = per;
            if (l.steps[i].question) {
                // The question shows for a step's time; then the answer and its animation.
                s.frames = 2 * per;
                s.reveal_at = frame + per;
                s.answer = p->run.steps[i].ask_result;
            }
            frame += s.frames;
            out.push_back(s);
        }
        return out;
    }
    for (size_t c = 0; c < m.timeline.command_count(); ++c) {
        RecordStep s;
        s.first = frame;
        s.frames = per;
        s.seek = m.timeline.end_event(c);
        s.caption = m.timeline.command(c).text;
        frame += per;
        out.push_back(s);
    }
    return out;
}

std::string ffmpeg_command(const RecordOptions& o) {
    const std::string size = std::to_string(o.width) + "x" + std::to_string(o.height);
    std::string c = "ffmpeg -hide_banner -loglevel error -y -f rawvideo -pix_fmt rgba -s " + size +
                    " -r " + std::to_string(o.fps) + " -i - -threads 1 -fflags +bitexact ";
    switch (o.format) {
    case VideoFormat::Mp4:
        c += "-vf vflip -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p "
             "-movflags +faststart -flags:v +bitexact -map_metadata -1 ";
        break;
    case VideoFormat::Webm: // realtime: finishes on two cores
        c += "-vf vflip -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -row-mt 0 -crf 34 "
             "-b:v 0 -pix_fmt yuv420p -flags:v +bitexact ";
        break;
    case VideoFormat::Gif: // a palette made for these frames
        c += "-filter_complex \"vflip,split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]"
             "paletteuse=dither=none\" ";
        break;
    case VideoFormat::Png: // a numbered sequence: OUT is a pattern like demo-%05d.png
        c += "-vf vflip ";
        break;
    }
    return c + quoted(o.out);
}

std::string caption_file(const std::vector<RecordStep>& steps, int fps, Captions kind) {
    std::string out = kind == Captions::Vtt ? "WEBVTT\n\n" : "";
    const char comma = kind == Captions::Vtt ? '.' : ',';
    for (size_t i = 0; i < steps.size(); ++i) {
        if (kind == Captions::Srt)
            out += std::to_string(i + 1) + "\n";
        out += timestamp(double(steps[i].first) / fps, comma) + " --> " +
               timestamp(double(steps[i].first + steps[i].frames) / fps, comma) + "\n" +
               steps[i].caption + "\n\n";
    }
    return out;
}

FramePipe::FramePipe(FILE* out, size_t depth)
    : out_(out), depth_(depth), pipe_bytes_([out] {
          const int n = fcntl(fileno(out), F_GETPIPE_SZ);
          return n > 0 ? size_t(n) : 0;
      }()),
      writer_([this] { run(); }) {}

FramePipe::~FramePipe() {
    finish();
}

bool FramePipe::send(const std::vector<unsigned char>& frame) {
    const int fd = fileno(out_);
    const unsigned char* p = frame.data();
    size_t left = frame.size();
    while (left > 0) {
        ssize_t n;
        if (pipe_bytes_) {
            iovec v{const_cast<unsigned char*>(p), left};
            n = vmsplice(fd, &v, 1, 0);
            if (n < 0 && (errno == EINVAL || errno == ENOSYS)) { // no splicing here: copy
                pipe_bytes_ = 0;
                continue;
            }
        } else {
            n = write(fd, p, left);
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        left -= size_t(n);
        sent_ += uint64_t(n);
    }
    return true;
}

void FramePipe::run() {
    for (;;) {
        std::vector<unsigned char> frame;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return closing_ || !queue_.empty(); });
            if (queue_.empty())
                return;
            frame = std::move(queue_.front());
            queue_.pop_front();
            if (!frame.empty()) { // a new picture: the one before retires
                if (!last_.empty())
                    retired_.emplace_back(std::move(last_), sent_);
                last_ = std::move(frame);
            }
        }
        changed_.notify_all();
        const bool ok = send(last_);
        std::lock_guard lock(mutex_);
        if (!ok) {
            failed_ = true;
            queue_.clear();
            closing_ = true;
            changed_.notify_all();
            return;
        }
        // A pipe's worth of bytes after a frame: ffmpeg has read all of it.
        while (!retired_.empty() && sent_ - retired_.front().second >= pipe_bytes_) {
            spare_.push_back(std::move(retired_.front().first));
            retired_.pop_front();
        }
    }
}

std::vector<unsigned char> FramePipe::buffer() {
    std::lock_guard lock(mutex_);
    if (spare_.empty())
        return {};
    std::vector<unsigned char> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
}

bool FramePipe::push(std::vector<unsigned char> frame) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return failed_ || queue_.size() < depth_; });
    if (failed_)
        return false;
    queue_.push_back(std::move(frame));
    changed_.notify_all();
    return true;
}

bool FramePipe::repeat() {
    return push({});
}

bool FramePipe::finish() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    changed_.notify_all();
    if (writer_.joinable())
        writer_.join();
    return !failed_;
}

} // namespace ringside::app
