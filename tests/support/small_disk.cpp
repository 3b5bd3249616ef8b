#include "tests/support/small_disk.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace loyalty::test {

SmallDisk::SmallDisk(std::size_t bytes) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/loyalty-disk-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    REQUIRE(::mkdtemp(name.data()) != nullptr);
    path_ = name.data();
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
        const int error = errno;
        std::filesystem::remove(path_);
        FAIL("cannot mount a " << bytes << "-byte tmpfs at " << path_.string() << ": " << std::strerror(error)
                               << " (this test needs root with CAP_SYS_ADMIN)");
    }
    mounted_ = true;
}

SmallDisk::~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
}

std::size_t SmallDisk::fill() {
    const std::filesystem::path filler = path_ / "filler";
    const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    std::size_t taken = 0;
    const std::vector<char> block(64 * 1024, 'x');
    // Big blocks while they fit, then single bytes up to the last one.
    for (std::size_t size : {block.size(), std::size_t{4096}, std::size_t{1}}) {
        for (;;) {
            const ssize_t n = ::write(fd, block.data(), size);
            if (n <= 0) break;
            taken += static_cast<std::size_t>(n);
        }
    }
    const int error = errno;
    ::close(fd);
    REQUIRE(error == ENOSPC);
    return taken;
}

void SmallDisk::free() {
    std::filesystem::remove(path_ / "filler");
}

}  // namespace loyalty::test
