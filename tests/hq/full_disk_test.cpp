// Head office's disk fills up under real processes (loyalty-hq serve on a tmpfs of its own,
// loyaltyd over mutual TLS): the till is told to try later (SYNC_ERROR_CODE_TRY_LATER, not a
// refusal of its batch), sells on, keeps every sale, and once there is room again every sale
// reaches head office exactly once.
#include <catch2/catch.hpp>

#include "tests/support/fleet.hpp"
#include "tests/support/small_disk.hpp"

using loyalty::test::eventually;
using loyalty::test::HeadOffice;
using loyalty::test::Sales;
using loyalty::test::SmallDisk;
using loyalty::test::TempDir;
using loyalty::test::Till;
using namespace std::chrono_literals;

TEST_CASE(
    "head office's full disk: the till is told to try later, keeps its sales, and they arrive once there is room") {
    TempDir dir;
    SmallDisk disk(16 << 20);
    HeadOffice hq(dir);
    hq.database = disk.path() / "hq.db";
    hq.write_config();
    Till till(dir, "S0001", "S0001-T01", hq.port);
    hq.start();
    till.start();
    Sales sales(hq, till);
    sales.sell(2);
    REQUIRE(eventually([&] { return sales.all_arrived(); }, 20s));

    const std::size_t hq_from = hq.log().size(), till_from = till.log().size();
    CHECK(disk.fill() > 0);
    sales.sell(5);  // the cashier notices nothing
    CHECK(hq.wait_for_log("(told to try later)", hq_from, 30s));
    CHECK(till.wait_for_log("head office cannot take events now (try later", till_from, 30s));
    CHECK(till.acked_through() == 2);  // nothing acknowledged that was not stored
    CHECK(hq.process->running());

    disk.free();
    CHECK(eventually([&] { return sales.all_arrived(); }, 90s));
    CHECK(hq.query("SELECT count(*) FROM events") == till.last_sequence());
    CHECK(hq.query("SELECT count(DISTINCT sale_id) FROM sales") == 7);
}
