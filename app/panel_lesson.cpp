// Lesson: the picker, then a lesson step by step — narration, a question to predict before
// the reveal, next/back (each step is the engine's exact state, by time travel), and "try it
// yourself" to explore a copy of the state at the step.
#include "lesson_player.hpp"
#include "notes_feed.hpp"
#include "panels.hpp"

namespace ringside::app {

// Narration's light markup, wrapped word by word: bold is drawn twice a pixel apart (one font
// is loaded), code in the code colour, kernel functions as links whose tooltip names the file.
void draw_markup(const std::string& text, Theme t) {
    const float right = ImGui::GetContentRegionAvail().x;
    float x = 0;
    const float space = ImGui::CalcTextSize(" ").x;
    bool line_start = true;
    bool glued = false; // the last word had no space after it: the next one sticks to it
    for (const Span& s : parse_markup(text)) {
        if (s.kind == Span::ParagraphBreak) {
            ImGui::NewLine();
            ImGui::Spacing();
            x = 0;
            line_start = true;
            continue;
        }
        size_t i = 0;
        while (i < s.text.size()) {
            size_t j = s.text.find(' ', i);
            if (j == std::string::npos)
                j = s.text.size();
            const std::string word = s.text.substr(i, j - i);
            const bool space_after = j < s.text.size();
            i = j + 1;
            if (word.empty()) { // a space where spans meet
                if (!line_start) {
                    ImGui::SameLine(0, 0);
                    ImGui::TextUnformatted(" ");
                    x += space;
                }
                glued = false;
                continue;
            }
            const float w = ImGui::CalcTextSize(word.c_str()).x;
            // A word glued to the one before (the "." after a bold span) never starts a line.
            if (!line_start && !glued && x + w > right) {
                x = 0;
                line_start = true;
            } else if (!line_start) {
                ImGui::SameLine(0, 0);
            }
            const ImVec2 p = ImGui::GetCursorScreenPos();
            switch (s.kind) {
            case Span::Bold:
                ImGui::TextUnformatted(word.c_str());
                ImGui::GetWindowDrawList()->AddText(
                    ImVec2(p.x + 1, p.y), ImGui::GetColorU32(ImGuiCol_Text), word.c_str());
                break;
            case Span::Code:
                ImGui::TextColored(ImColor(page_colour(PageState::Writable, t)), "%s",
                                   word.c_str());
                break;
            case Span::Link:
                ImGui::TextColored(ImColor(ok_colour(t)), "%s", word.c_str());
                if (ImGui::IsItemHovered())
                    if (const char* file = kernel_function_file(s.text))
                        ImGui::SetTooltip("%s — %s", s.text.c_str(), file);
                break;
            default:
                ImGui::TextUnformatted(word.c_str());
            }
            x += w;
            line_start = false;
            glued = !space_after;
            if (space_after) {
                ImGui::SameLine(0, 0);
                ImGui::TextUnformatted(" ");
                x += space;
            }
        }
    }
    ImGui::NewLine();
}

namespace {

void draw_picker(const Model& m, Actions& a, Ui& ui) {
    const LessonPlayer* p = m.lesson.get();
    ImGui::TextUnformatted("Lessons");
    if (!p || p->entries.empty()) {
        ImGui::TextDisabled("no lessons found");
        return;
    }
    for (size_t i = 0; i < p->entries.size(); ++i) {
        const LessonEntry& e = p->entries[i];
        if (e.lesson) {
            const std::string label = e.lesson->title + "##" + e.name;
            if (ImGui::Selectable(label.c_str(), int(i) == p->current)) {
                a.open_lesson = int(i);
                ui.show_picker = false;
            }
            if (ImGui::IsItemHovered())
                ImGui::SetTooltip("%s\n%s · %s · %zu steps", e.lesson->summary.c_str(),
                                  e.lesson->audience.c_str(), e.lesson->duration.c_str(),
                                  e.lesson->steps.size());
        } else { // a broken lesson says where; the others still load
            ImGui::TextColored(ImColor(error_colour(ui.theme)), "%s", e.name.c_str());
            ImGui::Indent();
            ImGui::PushTextWrapPos(0);
            ImGui::TextColored(ImColor(error_colour(ui.theme)), "%s", e.error.c_str());
            ImGui::PopTextWrapPos();
            ImGui::Unindent();
        }
    }
}

void draw_question(const Model& m, Actions& a, Ui& ui, const LessonPlayer& p, const Question& q) {
    const Theme t = ui.theme;
    ImGui::Separator();
    ImGui::PushStyleColor(ImGuiCol_Text, highlight_colour(t));
    draw_markup("**Predict:** " + q.prompt, t);
    ImGui::PopStyleColor();
    ImGui::TextDisabled("the command: %s", q.ask.text.c_str());
    if (!p.revealed()) {
        if (!q.choices.empty()) {
            // A choice may be a whole result line: its text wraps, and clicking it chooses it.
            for (size_t i = 0; i < q.choices.size(); ++i) {
                if (ImGui::RadioButton(("##choice" + std::to_string(i)).c_str(),
                                       ui.lesson_choice == int(i)))
                    ui.lesson_choice = int(i);
                ImGui::SameLine();
                ImGui::PushTextWrapPos(0.0f);
                ImGui::TextUnformatted(q.choices[i].c_str());
                ImGui::PopTextWrapPos();
                if (ImGui::IsItemClicked())
                    ui.lesson_choice = int(i);
            }
        } else {
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 14);
            ImGui::InputText("##answer", ui.lesson_answer, sizeof ui.lesson_answer);
        }
        const std::string chosen =
            !q.choices.empty() ? (ui.lesson_choice >= 0 && ui.lesson_choice < int(q.choices.size())
                                      ? q.choices[size_t(ui.lesson_choice)]
                                      : "")
                               : std::string(ui.lesson_answer);
        ImGui::BeginDisabled(chosen.empty());
        if (ImGui::Button("commit my answer and reveal")) {
            a.answer = chosen;
            ui.lesson_choice = -1;
            ui.lesson_answer[0] = 0;
        }
        ImGui::EndDisabled();
        return;
    }
    const std::string& mine = p.answers[size_t(p.step)];
    const std::string& real = p.run.steps[size_t(p.step)].ask_result;
    const bool right = mine == real;
    ImGui::TextColored(ImColor(right ? ok_colour(t) : error_colour(t)),
                       "%s you said %s; KVM returns %s",
                       right ? "Right:" : "Not quite:", mine.c_str(), real.c_str());
    draw_markup(q.reveal, t);
    (void)m;
}

} // namespace

void draw_lesson(const Model& m, Actions& a, Ui& ui) {
    record_panel("lesson");
    const LessonPlayer* p = m.lesson.get();
    const Lesson* l = p ? p->lesson() : nullptr;
    if (!l || ui.show_picker) {
        draw_picker(m, a, ui);
        if (p && !p->error.empty())
            ImGui::TextColored(ImColor(error_colour(ui.theme)), "%s", p->error.c_str());
        return;
    }
    const LessonStep* s = p->current_step();
    const int n = int(p->run.steps.size());
    // Where we are, and the way on.
    if (ImGui::SmallButton("lessons"))
        ui.show_picker = true;
    ImGui::SameLine();
    ImGui::Text("%s — step %d of %zu", l->title.c_str(), p->step + 1, l->steps.size());
    ImGui::ProgressBar(float(p->step + 1) / float(l->steps.size()), ImVec2(-1, 4), "");
    ImGui::BeginDisabled(p->step <= 0);
    if (ImGui::Button("< back"))
        a.lesson_step = p->step - 1;
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(p->step + 1 >= n);
    if (ImGui::Button("next >"))
        a.lesson_step = p->step + 1;
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (p->exploring) {
        if (ImGui::Button("back to the lesson"))
            a.back_to_lesson = true;
        ImGui::SameLine();
        ImGui::TextDisabled("exploring a copy: type commands in the console");
    } else if (ImGui::Button("try it yourself")) {
        a.try_it_yourself = true;
    }
    if (!m.presenter) {
        ImGui::SameLine();
        if (ImGui::Button("notes window"))
            ui.want_notes_window = true;
        record_item("notes window button");
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("the presenter notes in a window of their own, for the speaker's "
                              "screen; it follows the lesson");
    }
    if (!p->error.empty())
        ImGui::TextColored(ImColor(error_colour(ui.theme)), "%s", p->error.c_str());
    if (!s)
        return;
    ImGui::BeginChild("narration");
    ImGui::TextColored(ImColor(highlight_colour(ui.theme)), "%s", s->title.c_str());
    draw_markup(s->narration, ui.theme);
    if (s->question)
        draw_question(m, a, ui, *p, *s->question);
    if (!s->notes.empty() && !m.presenter && ImGui::CollapsingHeader("presenter notes"))
        draw_markup(s->notes, ui.theme);
    ImGui::EndChild();
}

void draw_presenter_notes(const NotesFeed& feed, Ui& ui, double seconds, int w, int h) {
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(float(w), float(h)));
    ImGui::Begin("Presenter notes", nullptr,
                 ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
    record_panel("notes");
    const int minutes = int(seconds) / 60, secs = int(seconds) % 60;
    ImGui::TextDisabled("%02d:%02d since the notes opened", minutes, secs);
    const Lesson* l = feed.lesson();
    if (!l) {
        if (!feed.error().empty())
            ImGui::TextColored(ImColor(error_colour(ui.theme)), "%s", feed.error().c_str());
        else
            ImGui::TextDisabled("waiting for the lesson on the main screen");
        ImGui::End();
        return;
    }
    const int i = std::clamp(feed.step(), 0, int(l->steps.size()) - 1);
    const LessonStep& s = l->steps[size_t(i)];
    ImGui::Text("%s — step %d of %zu", l->title.c_str(), i + 1, l->steps.size());
    ImGui::TextColored(ImColor(highlight_colour(ui.theme)), "%s", s.title.c_str());
    ImGui::Separator();
    if (!s.notes.empty())
        draw_markup(s.notes, ui.theme);
    else
        ImGui::TextDisabled("no notes for this step");
    if (s.question) {
        ImGui::Separator();
        ImGui::TextWrapped("The room predicts: %s", s.question->prompt.c_str());
        ImGui::TextColored(ImColor(ok_colour(ui.theme)), "Answer: %s", s.question->answer.c_str());
    }
    ImGui::Separator();
    if (i + 1 < int(l->steps.size()))
        ImGui::TextDisabled("next: %s", l->steps[size_t(i + 1)].title.c_str());
    else
        ImGui::TextDisabled("the last step");
    ImGui::End();
}

} // namespace ringside::app
