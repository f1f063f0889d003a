#include "notes_feed.hpp"

namespace ringside::app {

std::string notes_line(const std::string& lesson_path, int step) {
    return lesson_path + "\t" + std::to_string(step) + "\n";
}

bool NotesFeed::take(const std::string& bytes) {
    partial_ += bytes;
    bool changed = false;
    for (size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
        const std::string line = partial_.substr(0, nl);
        partial_.erase(0, nl + 1);
        const size_t tab = line.rfind('\t');
        if (tab == std::string::npos)
            continue; // not ours: ignore
        const std::string path = line.substr(0, tab);
        int step = -1;
        try {
            step = std::stoi(line.substr(tab + 1));
        } catch (const std::exception&) {
            continue;
        }
        if (path != path_) {
            path_ = path;
            auto loaded = load_lesson(path);
            if (auto* l = std::get_if<Lesson>(&loaded)) {
                lesson_ = std::move(*l);
                error_.clear();
            } else {
                lesson_.reset();
                error_ = std::get<std::string>(loaded);
            }
        }
        step_ = step;
        changed = true;
    }
    if (partial_.size() > 65536) // a runaway line is dropped
        partial_.clear();
    return changed;
}

} // namespace ringside::app
