// Durability under SIGKILL: a child process records sales as fast as it can and is killed at an
// arbitrary instant. After reopening, the database passes quick_check, every sale the child was
// told is committed is there, and every sale present is whole (its lines, discounts, tenders and
// its outbox event), never partial.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>
#include <thread>

#include "terminal/store/local_store.hpp"
#include "tests/store/sample_sale.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace loyalty::terminal;
using loyalty::test::TempDir;

namespace {

constexpr int k_lines = 5;
constexpr int k_discounts = 2;

// The child: opens the store and, forever, fills a basket line by line and completes it,
// reporting each committed sequence on `report_fd`.
[[noreturn]] void record_sales_forever(const std::filesystem::path& data_dir, int round, int report_fd) {
    try {
        LocalStore store(LocalStoreOptions{.data_dir = data_dir});
        for (int i = 0;; ++i) {
            const std::string sale_id = "R" + std::to_string(round) + "-" + std::to_string(i);
            auto event = loyalty::test::make_purchase(sale_id, k_lines, k_discounts);
            store.begin_basket(sale_id, "C-1", "EUR", Clock::now());
            for (const auto& line : event.purchase().lines())
                store.put_basket_line(line);
            const std::uint64_t sequence = store.record_purchase(event);
            if (::write(report_fd, &sequence, sizeof sequence) != sizeof sequence) ::_exit(3);
        }
    } catch (...) {
        ::_exit(2);
    }
}

}  // namespace

TEST_CASE("sales survive SIGKILL of the recording process: committed ones whole, none partial") {
    TempDir dir;
    const auto data_dir = dir / "data";
    std::mt19937 random(20261122);
    std::uint64_t confirmed_total = 0;

    for (int round = 0; round < 3; ++round) {
        INFO("round " << round);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            record_sales_forever(data_dir, round, fds[1]);
        }
        ::close(fds[1]);

        // Let it commit a varying number of sales, then kill it mid-flight, without warning.
        const std::uint64_t wanted = 50 + random() % 150;
        std::uint64_t confirmed = 0;
        std::uint64_t last_sequence = 0;
        while (confirmed < wanted) {
            std::uint64_t sequence = 0;
            REQUIRE(::read(fds[0], &sequence, sizeof sequence) == sizeof sequence);
            CHECK(sequence == (last_sequence == 0 ? sequence : last_sequence + 1));
            last_sequence = sequence;
            ++confirmed;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 3000));
        REQUIRE(::kill(child, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
        ::close(fds[0]);
        confirmed_total += confirmed;

        LocalStore store(LocalStoreOptions{.data_dir = data_dir});  // runs quick_check
        auto& db = store.database();
        CHECK(db.query_text("PRAGMA integrity_check") == "ok");

        // Every sale the child was told is committed is there (maybe a few more it had no time to report).
        const auto sales = db.query_int64("SELECT count(*) FROM sales").value();
        CHECK(static_cast<std::uint64_t>(sales) >= confirmed_total);
        CHECK(db.query_int64("SELECT max(sequence) FROM sales").value() >= static_cast<std::int64_t>(last_sequence));
        // Sequences have no gaps and the counter agrees with the outbox.
        CHECK(db.query_int64("SELECT count(*) FROM outbox") == sales);
        CHECK(db.query_int64("SELECT max(sequence) FROM outbox") == sales);
        CHECK(store.outbox_stats().last_sequence == static_cast<std::uint64_t>(sales));
        // No sale is partial.
        CHECK(db.query_int64("SELECT count(*) FROM sales s WHERE (SELECT count(*) FROM sale_lines l WHERE "
                             "l.sale_id = s.sale_id) <> " +
                             std::to_string(k_lines)) == 0);
        CHECK(db.query_int64("SELECT count(*) FROM sales s WHERE (SELECT count(*) FROM sale_discounts d WHERE "
                             "d.sale_id = s.sale_id) <> " +
                             std::to_string(k_discounts)) == 0);
        CHECK(db.query_int64("SELECT count(*) FROM sales s WHERE (SELECT count(*) FROM sale_tenders t WHERE "
                             "t.sale_id = s.sale_id) <> 1") == 0);
        CHECK(db.query_int64("SELECT count(*) FROM sales s LEFT JOIN outbox o ON o.sequence = s.sequence "
                             "WHERE o.sequence IS NULL OR o.kind <> 'purchase'") == 0);
        // Each outbox event is the sale it claims to be.
        for (const auto& entry : store.unacked_events(0, 1'000'000)) {
            loyalty::v1::Event event;
            REQUIRE(event.ParseFromString(entry.body));
            CHECK(event.header().sequence() == entry.sequence);
            CHECK(db.query_int64("SELECT sequence FROM sales WHERE sale_id = '" + event.purchase().sale_id() + "'") ==
                  static_cast<std::int64_t>(entry.sequence));
        }
        // A basket caught half-filled is still there, line by line, and is not a recorded sale.
        if (auto basket = store.open_basket()) {
            CHECK(basket->lines.size() <= static_cast<std::size_t>(k_lines));
            CHECK(db.query_int64("SELECT count(*) FROM sales WHERE sale_id = '" + basket->sale_id + "'") == 0);
        }
        confirmed_total = static_cast<std::uint64_t>(sales);
    }
}
