#include "kret.hpp"

namespace ringside {

std::string ret_text(int64_t value) {
    if (value >= 0)
        return std::to_string(value);
    switch (static_cast<int>(-value)) {
    case kENOENT:
        return "-ENOENT";
    case kENXIO:
        return "-ENXIO";
    case kE2BIG:
        return "-E2BIG";
    case kENOMEM:
        return "-ENOMEM";
    case kEFAULT:
        return "-EFAULT";
    case kEEXIST:
        return "-EEXIST";
    case kEINVAL:
        return "-EINVAL";
    }
    return std::to_string(value);
}

} // namespace ringside
