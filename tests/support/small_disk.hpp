// A small file system of its own (tmpfs, mounted for the test and unmounted after it) that a test
// can fill to the last byte: the real ENOSPC a database meets on a full disk, for head office's
// "try later" path. Needs CAP_SYS_ADMIN (root in the test machines' sandbox); a test that cannot
// mount one fails, saying so, rather than passing without having checked anything.
#pragma once

#include <cstddef>
#include <filesystem>

namespace loyalty::test {

class SmallDisk {
public:
    explicit SmallDisk(std::size_t bytes);
    ~SmallDisk();
    SmallDisk(const SmallDisk&) = delete;
    SmallDisk& operator=(const SmallDisk&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Takes every free byte with a filler file; returns how many it took.
    std::size_t fill();
    // Gives them back.
    void free();

private:
    std::filesystem::path path_;
    bool mounted_ = false;
};

}  // namespace loyalty::test
