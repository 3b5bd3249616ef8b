// Test fixtures shared by every part: a private temporary folder removed at the end of the test,
// file helpers, and where the source tree and the built binaries are.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace loyalty::test {

// A fresh folder under $TMPDIR (or /tmp), deleted with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

void write_file(const std::filesystem::path& file, std::string_view content);
std::string read_file(const std::filesystem::path& file);

// The repository root, for example configurations and profiles.
std::filesystem::path source_dir();

// The result of running a program to completion.
struct ProcessResult {
    int exit_code = -1;  // -1 when it did not exit normally
    std::string output;  // stdout and stderr together
};

// Runs `argv` (no shell), capturing its output.
ProcessResult run_process(const std::vector<std::string>& argv);

}  // namespace loyalty::test
