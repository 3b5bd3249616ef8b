#include "tests/support/postgres.hpp"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>

#include "common/postgres/connection.hpp"

namespace loyalty::test {

std::string postgres_server_url() {
    std::ifstream state(LOYALTY_PG_STATE);
    std::string url;
    if (!std::getline(state, url) || url.empty()) {
        FAIL("no test PostgreSQL server: " LOYALTY_PG_STATE
             " is missing (run the tests with ctest, which starts one, or scripts/pg-test-server.sh start "
             "that file)");
    }
    return url;
}

TestDatabase::TestDatabase() {
    static std::atomic<int> counter{0};
    name_ = "loyalty_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    const std::string server = postgres_server_url();
    pq::Connection admin(server);
    admin.exec("DROP DATABASE IF EXISTS " + name_);
    admin.exec("CREATE DATABASE " + name_);
    const auto at = server.find("/postgres?");
    REQUIRE(at != std::string::npos);
    url_ = server.substr(0, at) + "/" + name_ + server.substr(at + 9);
}

TestDatabase::~TestDatabase() {
    try {
        pq::Connection admin(postgres_server_url());
        admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
        // The server is gone already; the fixture's cleanup removes everything.
    }
}

}  // namespace loyalty::test
