// The loyaltyd binary as an installer and systemd use it: --check-config, --init-store, running
// until SIGTERM, and refusing bad command lines and configurations with a clear message.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "terminal/store/schema.hpp"
#include "tests/support/temp_dir.hpp"

using loyalty::test::run_process;
using loyalty::test::TempDir;

namespace {

const std::string k_loyaltyd = LOYALTYD_PATH;

std::filesystem::path example(const char* name) {
    return loyalty::test::source_dir() / "firmware-config/examples" / name;
}

// A copy of the development example in `dir`: its relative paths then all point inside `dir`.
std::filesystem::path dev_config_in(const TempDir& dir) {
    const auto path = dir / "terminal.toml";
    loyalty::test::write_file(path, loyalty::test::read_file(example("terminal-dev.toml")));
    return path;
}

}  // namespace

TEST_CASE("loyaltyd --check-config says OK for every shipped example") {
    for (const char* name : {"terminal-serial.toml", "terminal-wedge.toml", "terminal-dev.toml"}) {
        INFO(name);
        const auto result = run_process({k_loyaltyd, "--check-config", example(name).string()});
        INFO(result.output);
        CHECK(result.exit_code == 0);
        CHECK_THAT(result.output, Catch::Contains(": OK (terminal "));
    }
}

TEST_CASE("loyaltyd --check-config prints every error with file, line and key, and exits non-zero") {
    TempDir dir;
    std::string text = loyalty::test::read_file(example("terminal-serial.toml"));
    const std::string profiles = (loyalty::test::source_dir() / "firmware-config/reader-profiles/").string();
    text.replace(text.find("../reader-profiles/"), 19, profiles);
    text.replace(text.find("port = 7443"), 11, "port = 99999");
    text.replace(text.find("kind = \"serial\""), 15, "kind = \"usb\"");
    const auto file = dir / "broken.toml";
    loyalty::test::write_file(file, text);
    const auto result = run_process({k_loyaltyd, "--check-config", file.string()});
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output,
               Catch::Contains(file.string() + ":42: head_office.port: must be between 1 and 65535, got 99999"));
    CHECK_THAT(result.output, Catch::Contains(file.string() + ":25: reader.kind: must be one of"));
    CHECK_THAT(result.output, Catch::Contains("2 errors"));
}

TEST_CASE("loyaltyd --init-store prepares a private data dir and database, and is idempotent") {
    TempDir dir;
    const auto config = dev_config_in(dir);
    for (int i = 0; i < 2; ++i) {
        const auto result = run_process({k_loyaltyd, "--config", config.string(), "--init-store"});
        INFO(result.output);
        REQUIRE(result.exit_code == 0);
        CHECK_THAT(result.output,
                   Catch::Contains("schema version " + std::to_string(loyalty::terminal::terminal_schema_version())));
    }
    struct stat st {};
    REQUIRE(::stat((dir / "dev-terminal/data").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(::stat((dir / "dev-terminal/data/terminal.db").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("loyaltyd refuses a bad command line or an unusable data dir with a clear message") {
    auto result = run_process({k_loyaltyd, "--no-such-flag"});
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Catch::Contains("--no-such-flag"));

    result = run_process({k_loyaltyd});
    CHECK(result.exit_code != 0);

    result = run_process({k_loyaltyd, "--config", "/nonexistent/terminal.toml"});
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Catch::Contains("/nonexistent/terminal.toml: cannot read the file: it does not exist"));

    TempDir dir;
    const auto config = dev_config_in(dir);
    loyalty::test::write_file(dir / "dev-terminal/data", "a file where the data dir should be");
    result = run_process({k_loyaltyd, "--config", config.string(), "--init-store"});
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Catch::Contains("dev-terminal/data exists but is not a directory"));
}

TEST_CASE("loyaltyd runs until SIGTERM and then stops cleanly") {
    TempDir dir;
    const auto config = dev_config_in(dir);
    const auto log = dir / "loyaltyd.log";
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(fd, STDERR_FILENO);
        ::dup2(fd, STDOUT_FILENO);
        ::execl(k_loyaltyd.c_str(), k_loyaltyd.c_str(), "--config", config.c_str(), nullptr);
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (loyalty::test::read_file(log).find("ready") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    INFO(loyalty::test::read_file(log));
    REQUIRE(loyalty::test::read_file(log).find("ready") != std::string::npos);
    REQUIRE(::kill(child, SIGTERM) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_THAT(loyalty::test::read_file(log),
               Catch::Contains("received SIGTERM") && Catch::Contains("stopped cleanly"));
}
