// The throw-away PostgreSQL server CTest starts for the tests that need one (the "postgres"
// fixture: scripts/pg-test-server.sh), and a database of a test's own on it, dropped after the
// test, so tests running side by side never see each other's tables.
#pragma once

#include <string>

namespace loyalty::test {

// The server's URL (its "postgres" database); FAILs when no server was started for this run.
std::string postgres_server_url();

class TestDatabase {
public:
    TestDatabase();
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    const std::string& name() const { return name_; }
    const std::string& url() const { return url_; }

private:
    std::string name_;
    std::string url_;
};

}  // namespace loyalty::test
