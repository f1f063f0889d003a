#include "lesson_player.hpp"

#include <algorithm>

namespace ringside::app {

const Lesson* LessonPlayer::lesson() const {
    if (current < 0 || current >= int(entries.size()) || !entries[size_t(current)].lesson)
        return nullptr;
    return &*entries[size_t(current)].lesson;
}

const LessonStep* LessonPlayer::current_step() const {
    const Lesson* l = lesson();
    if (!l || step < 0 || step >= int(l->steps.size()))
        return nullptr;
    return &l->steps[size_t(step)];
}

bool LessonPlayer::revealed() const {
    return step >= 0 && step < int(answers.size()) && !answers[size_t(step)].empty();
}

namespace {

LessonPlayer& player(Model& m) {
    if (!m.lesson)
        m.lesson = std::make_shared<LessonPlayer>();
    return *m.lesson;
}

} // namespace

void scan_lesson_folder(Model& m, const std::string& dir) {
    LessonPlayer& p = player(m);
    const std::string playing = p.lesson() ? p.lesson()->path : "";
    p.entries = scan_lessons(dir);
    p.current = -1;
    for (size_t i = 0; i < p.entries.size(); ++i)
        if (!playing.empty() && p.entries[i].path == playing)
            p.current = int(i);
}

void open_lesson(Model& m, int index) {
    LessonPlayer& p = player(m);
    if (p.exploring)
        back_to_lesson(m);
    if (index < 0 || index >= int(p.entries.size()) || !p.entries[size_t(index)].lesson) {
        p.error = index >= 0 && index < int(p.entries.size()) ? p.entries[size_t(index)].error
                                                              : "no such lesson";
        return;
    }
    p.error.clear();
    p.current = index;
    const Lesson& l = *p.entries[size_t(index)].lesson;
    m.limit = ~0ull;
    p.run = play_lesson(l, m);
    p.error = p.run.error;
    m.title = l.title;
    p.answers.assign(l.steps.size(), "");
    go_to_step(m, 0);
}

void go_to_step(Model& m, int i) {
    LessonPlayer& p = player(m);
    if (p.run.steps.empty())
        return;
    if (p.exploring)
        back_to_lesson(m);
    p.step = std::clamp(i, 0, int(p.run.steps.size()) - 1);
    const StepMarks& marks = p.run.steps[size_t(p.step)];
    const uint64_t end = p.revealed() ? marks.after_ask : marks.after_commands;
    m.playing = false;
    m.limit = end;
    seek(m, end);
    // The step's focus and highlight steer the views.
    if (const LessonStep* s = p.current_step()) {
        m.ordering.shown = s->focus == Focus::Ordering;
        // The migration view: asked for, or a comparison to show or a migration the step's
        // commands ran, unless the step points at a panel of another view.
        bool migrated = false;
        for (const LessonCommand& c : s->commands) {
            const scenario::ParsedLine pl = scenario::parse_line(c.text);
            const auto* cmd = std::get_if<scenario::Command>(&pl);
            migrated |= cmd && cmd->op == scenario::Op::Migrate;
        }
        const bool other_view = s->ordering || s->focus == Focus::Memory ||
                                s->focus == Focus::Rings || s->focus == Focus::Capabilities ||
                                s->focus == Focus::Bitmaps || s->focus == Focus::Ordering;
        m.migration.shown =
            s->focus == Focus::Migration || (!other_view && (s->compare || migrated));
        if (s->compare) {
            m.migration.setup = *s->compare;
            start_comparison(m);
        }
        if (s->ordering) {
            m.ordering = *s->ordering;
            m.ordering.shown = true;
        }
        if (s->highlight.kind == Highlight::Vcpu || s->highlight.kind == Highlight::Entry)
            m.focused_vcpu = uint32_t(s->highlight.a);
    }
}

void commit_answer(Model& m, const std::string& answer) {
    LessonPlayer& p = player(m);
    if (p.run.steps.empty() || answer.empty() || p.revealed() || p.exploring)
        return;
    p.answers[size_t(p.step)] = answer;
    const StepMarks& marks = p.run.steps[size_t(p.step)];
    m.limit = marks.after_ask;
    // The ask's events play out (a few at a time); a long one jumps to its end.
    if (marks.after_ask - marks.after_commands <= 60) {
        seek(m, marks.after_commands);
        m.events_per_second = std::max(m.events_per_second, 12.0f);
        m.playing = true;
    } else {
        seek(m, marks.after_ask);
    }
}

void try_it_yourself(Model& m) {
    LessonPlayer& p = player(m);
    if (p.exploring || !p.lesson())
        return;
    const uint64_t cursor = m.cursor;
    p.saved_timeline = std::move(m.timeline);
    p.saved_console = std::move(m.console);
    p.saved_title = m.title;
    m.timeline = scenario::Timeline();
    m.console.clear();
    m.limit = ~0ull;
    m.cursor = 0;
    // A copy of the state at the step: the commands that ran before it, run again.
    for (const ConsoleEntry& e : p.saved_console)
        if (e.event < cursor && !e.error)
            run_command(m, e.command);
    m.cursor = ~0ull; // the view is of the new timeline
    seek(m, m.timeline.event_count());
    m.title = "exploring: " + p.saved_title;
    p.exploring = true;
}

void back_to_lesson(Model& m) {
    LessonPlayer& p = player(m);
    if (!p.exploring)
        return;
    m.timeline = std::move(p.saved_timeline);
    m.console = std::move(p.saved_console);
    m.title = p.saved_title;
    p.saved_timeline = scenario::Timeline();
    p.exploring = false;
    m.cursor = ~0ull; // the view is of the lesson's timeline again
    go_to_step(m, p.step);
}

} // namespace ringside::app
