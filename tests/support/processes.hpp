// Real processes for integration tests: a child started with fork/exec whose output goes to a
// log file, stopped with any signal (SIGKILL included); and a Unix-socket client that speaks the
// POS API's JSON lines with a deadline on every read.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace loyalty::test {

class ChildProcess {
public:
    // Starts argv[0] with `argv`, stdout and stderr appended to `log`.
    ChildProcess(std::vector<std::string> argv, std::filesystem::path log);
    ~ChildProcess();  // SIGKILLs the child if it still runs
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    const std::filesystem::path& log() const { return log_; }
    // Waits until the log contains `text`; false after `timeout` or if the child exited.
    bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(20));
    // Sends `signal` and waits for the child; returns its wait status.
    int stop(int signal);
    bool running();

private:
    pid_t pid_ = -1;
    std::filesystem::path log_;
};

class UnixClient {
public:
    explicit UnixClient(const std::filesystem::path& socket_path);
    ~UnixClient();
    UnixClient(const UnixClient&) = delete;
    UnixClient& operator=(const UnixClient&) = delete;

    bool connected() const { return fd_ >= 0; }
    void send(const std::string& bytes);
    // The next '\n'-terminated line (without it), or nullopt after the deadline or at end of stream.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Lines until one contains `text` (returned); the others are kept in `skipped`.
    std::optional<std::string> read_until(const std::string& text,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Whatever bytes arrive within `timeout` (binary protocols); empty at the deadline or at end of stream.
    std::string read_some(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Sends one JSON request line and returns the first response line (pushed events are skipped).
    std::string request(const std::string& json_line);
    void close();

    std::vector<std::string> skipped;

private:
    int fd_ = -1;
    std::string buffer_;
};

}  // namespace loyalty::test
