// ReaderService with a fake reader: reads reach the lane; a device that is absent at first, fails
// later and comes back is reopened with backoff while the state is pushed to the POS.
#include "terminal/reader/reader_service.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include "terminal/lane/lane.hpp"
#include "terminal/reader/fake_card_reader.hpp"
#include "tests/support/temp_dir.hpp"

using namespace loyalty;
using namespace loyalty::terminal;

namespace {

// Runs the io_context until `done` holds (or 5 s pass).
template <typename Predicate>
bool run_until(boost::asio::io_context& io, Predicate done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        io.restart();
        io.run_for(std::chrono::milliseconds(5));
    }
    return done();
}

}  // namespace

TEST_CASE("reads reach the lane, an absent, failing, returning reader is reopened with backoff") {
    test::TempDir dir;
    TerminalConfig config;
    config.store_id = "S0042";
    config.terminal_id = "S0042-T03";
    config.currency = "EUR";
    config.card_ranges = {{"reward card", "6036", 16, CheckDigit::luhn}};
    config.reader.kind = ReaderKind::fifo;
    config.reader.device = "fake";
    LocalStore store(LocalStoreOptions{.data_dir = dir / "data"});
    domain::NoOffers offers;
    Lane lane(config, store, offers);
    std::vector<v1::PosEvent> events;
    lane.set_publisher([&](const v1::PosEvent& e) { events.push_back(e); });

    boost::asio::io_context io;
    int opened = 0;
    bool present = false;
    std::shared_ptr<FakeCardReader::Feed> feed;
    ReaderService service(
        io, config, lane,
        [&]() -> std::unique_ptr<CardReader> {
            if (!present) throw boost::system::system_error(ENOENT, boost::system::system_category(), "fake");
            ++opened;
            feed = std::make_shared<FakeCardReader::Feed>();
            return std::make_unique<FakeCardReader>(io.get_executor(), feed);
        },
        ReaderBackoff{std::chrono::milliseconds(5), std::chrono::milliseconds(20)});
    auto states = [&] {
        std::vector<v1::ReaderState> out;
        for (const auto& e : events) {
            if (e.has_reader_state()) out.push_back(e.reader_state().reader());
        }
        return out;
    };

    service.start();  // absent: not an error, waited for
    CHECK(lane.status().reader() == v1::READER_STATE_DISCONNECTED);
    present = true;
    REQUIRE(run_until(io, [&] { return opened == 1; }));
    CHECK(lane.status().reader() == v1::READER_STATE_READY);

    feed->push(";6036000000000013=4912101?");
    feed->push(";6036000000000013=49", true);  // stopped before its terminator
    REQUIRE(run_until(io, [&] { return events.size() >= 4; }));
    CHECK(events[2].card_identified().customer().loyalty_card() == "6036000000000013");
    CHECK(events[3].card_refused().reason() == v1::CARD_REFUSAL_REASON_UNREADABLE);

    present = false;
    feed->fail(boost::system::error_code(EIO, boost::system::system_category()));  // unplugged
    REQUIRE(run_until(io, [&] { return lane.status().reader() == v1::READER_STATE_DISCONNECTED; }));
    present = true;  // plugged back
    REQUIRE(run_until(io, [&] { return opened == 2; }));
    CHECK(lane.status().reader() == v1::READER_STATE_READY);
    CHECK(states() == std::vector{v1::READER_STATE_DISCONNECTED, v1::READER_STATE_READY, v1::READER_STATE_DISCONNECTED,
                                  v1::READER_STATE_READY});
    service.stop();
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
}

TEST_CASE("a reader that is there but unusable stops the start-up with the reason") {
    test::TempDir dir;
    TerminalConfig config;
    config.terminal_id = "S0042-T03";
    config.reader.device = "/dev/ttyS99";
    LocalStore store(LocalStoreOptions{.data_dir = dir / "data"});
    domain::NoOffers offers;
    Lane lane(config, store, offers);
    boost::asio::io_context io;
    ReaderService service(io, config, lane, []() -> std::unique_ptr<CardReader> {
        throw boost::system::system_error(EACCES, boost::system::system_category(), "serial reader /dev/ttyS99");
    });
    CHECK_THROWS_WITH(service.start(), Catch::Contains("/dev/ttyS99") && Catch::Contains("Permission denied") &&
                                           Catch::Contains("check reader.device"));
}
