// An idle loyaltyd: its resident memory, and the CPU time it spends doing nothing (no busy
// polling means 0). Starts the real daemon on a development configuration in a temporary folder.
// Usage: idle_bench [seconds=10]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

long field_kib(pid_t pid, const std::string& name) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(name + ":", 0) == 0) return std::strtol(line.c_str() + name.size() + 1, nullptr, 10);
    }
    return -1;
}

// utime + stime in clock ticks, from /proc/<pid>/stat.
long cpu_ticks(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i)
        rest >> skip;  // state .. cmajflt
    long utime = 0, stime = 0;
    rest >> utime >> stime;
    return utime + stime;
}

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 10;
    const auto dir = std::filesystem::temp_directory_path() / ("idle-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(std::filesystem::path(LOYALTY_SOURCE_DIR) / "firmware-config/examples/terminal-dev.toml",
                               dir / "terminal.toml");
    std::filesystem::create_directories(dir / "dev-terminal");
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::freopen((dir / "loyaltyd.log").c_str(), "w", stderr);
        ::execl(LOYALTYD_PATH, LOYALTYD_PATH, "--config", (dir / "terminal.toml").c_str(), nullptr);
        ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));  // started and settled
    const long ticks_before = cpu_ticks(pid);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const long ticks_after = cpu_ticks(pid);
    const long rss = field_kib(pid, "VmRSS");
    const long hwm = field_kib(pid, "VmHWM");
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::filesystem::remove_all(dir);
    const double cpu_ms =
        static_cast<double>(ticks_after - ticks_before) * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
    std::printf("idle loyaltyd: RSS %.1f MiB (peak %.1f MiB); CPU %.0f ms over %d s idle (%.3f%%); exit %s\n",
                static_cast<double>(rss) / 1024.0, static_cast<double>(hwm) / 1024.0, cpu_ms, seconds,
                cpu_ms / (seconds * 10.0), WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "clean" : "NOT clean");
    return 0;
}
