#!/bin/bash
# Recorded demos (ringside --record), small: lesson 4 at 640x360, half a second a step.
# usage: record_test.sh path/to/ringside repo-dir
set -euo pipefail
app=$1
repo=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 # Mesa leaks
export XDG_STATE_HOME=$out/state
lesson=$repo/lessons/04-dirty-ring.toml
record() { xvfb-run -a -s "-screen 0 1920x1080x24" "$app" --record "$lesson" --size 640x360 \
    --seconds-per-step 0.5 "$@" 2>/dev/null; }
fail() { echo "FAIL: $*"; exit 1; }
probe() { ffprobe -v error -select_streams v:0 -show_entries "$1" -of default=nw=1:nk=1 "$2"; }

# Lesson 4 has 8 steps, 3 with a question (shown twice as long): 11 half-seconds of 15 frames.
record --out "$out/a.mp4" --captions srt
[ "$(probe stream=codec_name "$out/a.mp4")" = h264 ] || fail "MP4 is not H.264"
[ "$(probe stream=pix_fmt "$out/a.mp4")" = yuv420p ] || fail "MP4 is not yuv420p"
[ "$(probe stream=width,height "$out/a.mp4" | tr '\n' x)" = 640x360x ] || fail "MP4 size"
[ "$(probe stream=nb_frames "$out/a.mp4")" = 165 ] || fail "MP4 has $(probe stream=nb_frames "$out/a.mp4") frames, not 165"
dur=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$out/a.mp4")
awk -v d="$dur" 'BEGIN { exit !(d > 5.45 && d < 5.55) }' || fail "MP4 lasts $dur s, not 5.5"
# faststart: the index (moov) comes before the frames (mdat).
head -c 4096 "$out/a.mp4" | grep -q moov || fail "MP4 is not faststart"
# Captions line up with the steps: 8 cues, the first from 0 to 0.5 s, the second (a question,
# shown twice as long) from 0.5 to 1.5 s.
[ "$(grep -c -- '-->' "$out/a.srt")" = 8 ] || fail "not 8 captions"
grep -qx '00:00:00,000 --> 00:00:00,500' "$out/a.srt" || fail "first caption timing"
# Same inputs, same file, byte for byte.
record --out "$out/b.mp4"
cmp -s "$out/a.mp4" "$out/b.mp4" || fail "two recordings of the same lesson differ"

# PNG frames: identical across runs, and a frame matches the app's screenshot of the same step.
mkdir "$out/p1" "$out/p2"
record --out "$out/p1/f.png"
record --out "$out/p2/f.png"
[ "$(ls "$out/p1" | wc -l)" = 165 ] || fail "PNG sequence is not 165 frames"
(cd "$out/p1" && sha256sum ./*.png) >"$out/h1"
(cd "$out/p2" && sha256sum ./*.png) >"$out/h2"
cmp -s "$out/h1" "$out/h2" || fail "PNG frames differ between runs"
# A recording redraws only where a frame changed: the very frames a whole redraw gives.
mkdir "$out/p3"
record --out "$out/p3/f.png" --whole-frames
(cd "$out/p3" && sha256sum ./*.png) >"$out/h3"
cmp -s "$out/h1" "$out/h3" || fail "frames redrawn where they changed differ from frames drawn whole"
# Step 1 shows frames 1-15 (no question); its last frame is the settled state of step 1.
xvfb-run -a -s "-screen 0 1920x1080x24" "$app" --lesson "$lesson" --lesson-step 1 --size 640x360 \
    --screenshot "$out/step1.png"
python3 "$repo/tests/record/compare.py" "$out/p1/f-00015.png" "$out/step1.png" ||
    fail "the video's frame differs from the screenshot of the same step"

# GIF and WebM play too.
record --out "$out/c.gif"
[ "$(probe stream=codec_name "$out/c.gif")" = gif ] || fail "GIF"
record --out "$out/d.webm"
[ "$(probe stream=codec_name "$out/d.webm")" = vp9 ] || fail "WebM is not VP9"

# Errors: no ffmpeg, an unwritable output, a broken lesson.
set +e
env PATH=/nonexistent "$app" --record "$lesson" --out "$out/x.mp4" 2>"$out/err1"; rc1=$?
"$app" --record "$lesson" --out /nonexistent-dir/x.mp4 2>"$out/err2"; rc2=$?
set -e
[ $rc1 = 2 ] && grep -q "ffmpeg is not installed" "$out/err1" || fail "missing ffmpeg: $(cat "$out/err1")"
[ $rc2 = 2 ] && grep -q "cannot write" "$out/err2" || fail "unwritable output: $(cat "$out/err2")"
echo "record checks: all passed"
