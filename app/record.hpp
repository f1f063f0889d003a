// Recorded demos: a lesson or a scenario played step by step, headless, each frame handed to an
// ffmpeg process through a pipe while the next one renders. Animation time is the frame counter,
// never the wall clock, so the same inputs give the same frames. GUI-free: the plan of frames,
// ffmpeg's arguments and the caption files; main.cpp renders and pipes.
#pragma once

#include "model.hpp"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ringside::app {

enum class VideoFormat { Mp4, Webm, Gif, Png };
enum class Captions { None, Burn, Srt, Vtt };

struct RecordOptions {
    std::string input; // a lesson (.toml) or a scenario (.scn)
    std::string out;
    VideoFormat format = VideoFormat::Mp4;
    Captions captions = Captions::None;
    int fps = 30;
    double seconds_per_step = 3;
    int width = 1920, height = 1080;
};

// Fills format from the output's extension when not given; "" or what is wrong.
std::string finish_record_options(RecordOptions& o, const std::string& format,
                                  const std::string& captions);

// One step of the recording: what the screen shows from frame `first` on.
struct RecordStep {
    uint64_t first = 0, frames = 0;
    std::string caption;    // the step's title and narration, as plain text
    int lesson_step = -1;   // a lesson's step, or
    uint64_t seek = 0;      // a scenario's state after this many events
    uint64_t reveal_at = 0; // a question's answer is committed at this frame (0: none)
    std::string answer;
};

// Plain text of lesson markup (no **, `, [[ ]]).
std::string plain_text(const std::string& markup);

// The steps of a lesson already opened in m (lesson player), or of the scenario loaded in m
// (one step a command).
std::vector<RecordStep> plan_recording(const Model& m, const RecordOptions& o);

// ffmpeg's command line: raw RGBA frames on stdin (bottom row first, as OpenGL reads them),
// out to the file; bit-exact, single-threaded encoding so the same frames give the same file.
std::string ffmpeg_command(const RecordOptions& o);

// SubRip or WebVTT captions for the steps.
std::string caption_file(const std::vector<RecordStep>& steps, int fps, Captions kind);

// Hands frames to ffmpeg from a thread of its own, so the next frame renders while the pipe
// takes this one; at most `depth` frames wait (a slow encoder slows the renderer, no more).
// Buffers go round: the ones written come back from buffer(), and a frame that did not change
// is sent again with repeat(), without a copy. Into a pipe, frames are spliced, not copied
// (vmsplice): ffmpeg reads our pages themselves, so a buffer comes back only once a pipe's
// worth of bytes has followed it in, when none of its pages can still be waiting there; and
// none is freed before this object is.
class FramePipe {
  public:
    FramePipe(FILE* out, size_t depth = 3);
    FramePipe(const FramePipe&) = delete;
    FramePipe& operator=(const FramePipe&) = delete;
    ~FramePipe();
    std::vector<unsigned char> buffer();         // a written one to reuse, or an empty one
    bool push(std::vector<unsigned char> frame); // false once a write has failed
    bool repeat();                               // the frame pushed last, once more
    bool finish();                               // every frame written, or false

  private:
    void run();
    bool send(const std::vector<unsigned char>& frame);
    FILE* out_;
    size_t depth_;
    size_t pipe_bytes_ = 0; // the pipe's capacity (0: not a pipe, so written by copy)
    uint64_t sent_ = 0;     // bytes sent so far
    std::deque<std::vector<unsigned char>> queue_; // an empty frame: the one before, again
    // The frame written last and those before it: the pipe may still hold their pages, so
    // they live as long as this object (destroy it once ffmpeg has exited).
    std::vector<unsigned char> last_;
    std::deque<std::pair<std::vector<unsigned char>, uint64_t>> retired_; // sent_ when retired
    std::vector<std::vector<unsigned char>> spare_;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool closing_ = false, failed_ = false;
    std::thread writer_;
};

} // namespace ringside::app
