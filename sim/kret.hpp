// The return value of a modelled ioctl: the kernel's number (negative errno on failure) and,
// for front ends, the reason in a plain sentence naming the kernel function that decided it.
#pragma once

#include <cstdint>
#include <string>

namespace ringside {

// Linux errno values (asm-generic/errno-base.h).
enum Errno : int {
    kENOENT = 2,
    kENXIO = 6,
    kE2BIG = 7,
    kENOMEM = 12,
    kEFAULT = 14,
    kEEXIST = 17,
    kEINVAL = 22,
};

struct KRet {
    int64_t value = 0;
    std::string why; // "<reason, with its values> — <kernel function>, <file>"

    bool ok() const { return value >= 0; }
};

inline KRet fail(int err, std::string why) {
    return {-static_cast<int64_t>(err), std::move(why)};
}
inline KRet success(int64_t v = 0, std::string why = {}) {
    return {v, std::move(why)};
}

// "-EINVAL", "0", "1048576": a result the way the kernel's caller sees it.
std::string ret_text(int64_t value);

} // namespace ringside
