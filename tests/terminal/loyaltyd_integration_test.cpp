// loyaltyd as a real process: a serial reader on a socat pty pair, POS clients on its Unix
// sockets, SIGKILL in the middle of a basket and right after a completed sale.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <thread>

#include "common/sqlite/database.hpp"
#include "loyalty/v1/pos_api.pb.h"
#include "terminal/card/track_parser.hpp"
#include "terminal/pos/frame_decoder.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

using loyalty::test::ChildProcess;
using loyalty::test::TempDir;
using loyalty::test::UnixClient;

namespace {

const std::string k_loyaltyd = LOYALTYD_PATH;

std::string reader_profile(const char* name) {
    return (loyalty::test::source_dir() / "firmware-config/reader-profiles" / name).string();
}

// A terminal living entirely inside `dir`.
std::filesystem::path write_config(const TempDir& dir, const std::string& reader_block) {
    const auto path = dir / "terminal.toml";
    loyalty::test::write_file(path, R"([terminal]
store_id = "S0042"
terminal_id = "S0042-T03"
currency = "EUR"
minor_unit_exponent = 2
time_zone = "Europe/Berlin"

[[card_ranges]]
name = "reward card"
prefix = "6036"
length = 16
check_digit = "luhn"

)" + reader_block + R"(
[pos]
socket = "pos.sock"
json_socket = "pos-json.sock"
socket_mode = "0660"

[storage]
data_dir = "data"
disk_budget_mb = 64
retention_days = 30

[head_office]
host = "127.0.0.1"
port = 7443
ca_file = "tls/ca.pem"
cert_file = "tls/terminal.pem"
key_file = "tls/terminal.key"
)");
    return path;
}

std::string fifo_reader(const TempDir& dir) {
    ::mkfifo((dir / "reader.fifo").c_str(), 0600);
    return "[reader]\nkind = \"fifo\"\ndevice = \"reader.fifo\"\ndebounce_ms = 1500\n";
}

std::unique_ptr<ChildProcess> start_daemon(const TempDir& dir, const std::filesystem::path& config) {
    auto daemon = std::make_unique<ChildProcess>(std::vector<std::string>{k_loyaltyd, "--config", config.string()},
                                                 dir / "loyaltyd.log");
    INFO(loyalty::test::read_file(dir / "loyaltyd.log"));
    REQUIRE(daemon->wait_for_log("ready"));
    return daemon;
}

std::unique_ptr<ChildProcess> restart_daemon(const TempDir& dir, const std::filesystem::path& config) {
    const auto before = loyalty::test::read_file(dir / "loyaltyd.log").size();
    auto daemon = std::make_unique<ChildProcess>(std::vector<std::string>{k_loyaltyd, "--config", config.string()},
                                                 dir / "loyaltyd.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (loyalty::test::read_file(dir / "loyaltyd.log").substr(before).find("ready") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(loyalty::test::read_file(dir / "loyaltyd.log").substr(before).find("ready") != std::string::npos);
    return daemon;
}

// "S0042-T03-<the database's id tag>-": how the ids of the till in `dir` begin.
std::string id_prefix(const TempDir& dir) {
    loyalty::sqlite::Database db(dir / "data/terminal.db", loyalty::sqlite::OpenMode::read_only);
    return "S0042-T03-" + db.query_text("SELECT id_tag FROM identity").value_or("?") + "-";
}

std::string with_lrc(const std::string& track) {
    return track + loyalty::terminal::card::track2_lrc(track) + "\r";
}

const char* k_milk =
    R"({"addItem":{"gtin":"4006381333931","description":"Milk 1l","department":"dairy","quantity":{"units":"2"},"unitPrice":{"minorUnits":"119"}}})";

}  // namespace

TEST_CASE(
    "a serial reader on a pty: a loyalty card is identified, a payment card is refused and its digits appear nowhere") {
    TempDir dir;
    const auto reader_tty = dir / "reader-tty";
    const auto device_side = dir / "device-side";
    ChildProcess socat(
        {"/usr/bin/socat", "pty,raw,echo=0,link=" + reader_tty.string(), "pty,raw,echo=0,link=" + device_side.string()},
        dir / "socat.log");
    for (int i = 0; i < 500 && !(std::filesystem::exists(reader_tty) && std::filesystem::exists(device_side)); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(std::filesystem::exists(device_side));
    const auto config =
        write_config(dir, "[reader]\nkind = \"serial\"\ndevice = \"" + reader_tty.string() + "\"\nprofile = \"" +
                              reader_profile("usb-serial-magstripe.toml") + "\"\ndebounce_ms = 1500\n");
    auto daemon = start_daemon(dir, config);
    UnixClient pos(dir / "pos-json.sock");
    REQUIRE(pos.connected());
    REQUIRE_THAT(pos.request(R"({"subscribe":{}})"), Catch::Contains("subscribed"));
    std::string seen_on_socket;

    const int device = ::open(device_side.c_str(), O_WRONLY | O_NOCTTY);
    REQUIRE(device >= 0);
    const std::string swipe = with_lrc(";6036000000000013=4912101?");
    REQUIRE(::write(device, swipe.data(), swipe.size()) == static_cast<ssize_t>(swipe.size()));
    auto event = pos.read_until("cardIdentified");
    REQUIRE(event.has_value());
    CHECK_THAT(*event, Catch::Contains("6036000000000013"));
    seen_on_socket += *event;

    const std::string pan = "4111111111111111";
    const std::string bank = with_lrc(";" + pan + "=2812201123400000?");
    REQUIRE(::write(device, bank.data(), bank.size()) == static_cast<ssize_t>(bank.size()));
    event = pos.read_until("cardRefused");
    REQUIRE(event.has_value());
    CHECK_THAT(*event, Catch::Contains("CARD_REFUSAL_REASON_PAYMENT_CARD"));
    seen_on_socket += *event;

    // Garbage from the reader, then a truncated track: "swipe again", and the daemon keeps serving.
    const std::string garbage(200, '\x07');
    REQUIRE(::write(device, garbage.data(), garbage.size()) == 200);
    event = pos.read_until("CARD_REFUSAL_REASON_UNREADABLE");
    REQUIRE(event.has_value());
    const std::string truncated = ";6036000000000013=49\r";
    REQUIRE(::write(device, truncated.data(), truncated.size()) == static_cast<ssize_t>(truncated.size()));
    REQUIRE(pos.read_until("CARD_REFUSAL_REASON_UNREADABLE").has_value());
    ::close(device);
    for (const auto& line : pos.skipped)
        seen_on_socket += line;
    CHECK_THAT(pos.request(R"({"getStatus":{}})"), Catch::Contains("READER_STATE_READY"));

    daemon->stop(SIGTERM);
    // Nowhere: not the socket output, not the log, not the database or its WAL.
    std::string everything = seen_on_socket + loyalty::test::read_file(dir / "loyaltyd.log");
    for (const auto& entry : std::filesystem::directory_iterator(dir / "data")) {
        everything += loyalty::test::read_file(entry.path());
    }
    CHECK(everything.find(pan) == std::string::npos);
    CHECK(everything.find("41111111") == std::string::npos);
    CHECK(everything.find("6036000000000013") != std::string::npos);  // the loyalty card is there, as it should be
}

TEST_CASE("a whole basket over the JSON socket, and bad requests that change nothing") {
    TempDir dir;
    const auto config = write_config(dir, fifo_reader(dir));
    auto daemon = start_daemon(dir, config);
    UnixClient pos(dir / "pos-json.sock");
    REQUIRE(pos.connected());

    CHECK_THAT(pos.request(R"({"requestId":"1","beginBasket":{"cashierId":"C-108"}})"),
               Catch::Contains(id_prefix(dir) + "000001"));
    CHECK_THAT(pos.request(k_milk), Catch::Contains(R"("payable":{"minorUnits":"238")"));
    CHECK_THAT(pos.request(R"({"frobnicate":{}})"), Catch::Contains("POS_ERROR_CODE_MALFORMED"));
    CHECK_THAT(pos.request(R"({})"), Catch::Contains("POS_ERROR_CODE_UNKNOWN_REQUEST"));
    CHECK_THAT(pos.request(R"({"addItem":{"gtin":42}})"), Catch::Contains("POS_ERROR_CODE_MALFORMED"));
    CHECK_THAT(
        pos.request(
            R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"-1"},"unitPrice":{"minorUnits":"5"}}})"),
        Catch::Contains("POS_ERROR_CODE_INVALID_QUANTITY"));
    CHECK_THAT(
        pos.request(
            R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"3"},"unitPrice":{"minorUnits":"9223372036854775807"}}})"),
        Catch::Contains("POS_ERROR_CODE_AMOUNT_OVERFLOW"));
    CHECK_THAT(pos.request("this is not json"), Catch::Contains("POS_ERROR_CODE_MALFORMED"));
    CHECK_THAT(pos.request(R"({"identifyCard":{"cardText":"6036000000000013"}})"),
               Catch::Contains("\"anonymous\":true"));
    const std::string receipt =
        pos.request(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"500"}}]}})");
    CHECK_THAT(receipt, Catch::Contains("saleCompleted") && Catch::Contains(R"("changeDue":{"minorUnits":"262")") &&
                            Catch::Contains(R"("sequence":"1")"));
}

TEST_CASE(
    "the protobuf socket: a 10 MB frame is refused and skipped, a client leaving mid-frame harms nobody, 1,000 clients "
    "at once") {
    TempDir dir;
    const auto config = write_config(dir, fifo_reader(dir));
    auto daemon = start_daemon(dir, config);

    loyalty::v1::PosRequest status;
    status.set_request_id(5);
    status.mutable_get_status();
    std::string frame;
    loyalty::terminal::pos::append_delimited(frame, status.SerializeAsString());

    // Reads delimited PosServerMessages until `count` arrived or the deadline passed.
    auto read_messages = [](UnixClient& client, std::size_t count) {
        loyalty::terminal::pos::DelimitedFrameDecoder decoder(1 << 20);
        std::vector<loyalty::v1::PosServerMessage> messages;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (messages.size() < count && std::chrono::steady_clock::now() < deadline) {
            decoder.feed(client.read_some(std::chrono::milliseconds(200)));
            for (auto r = decoder.next(); r.status == loyalty::terminal::pos::FrameStatus::frame; r = decoder.next()) {
                REQUIRE(messages.emplace_back().ParseFromArray(r.frame.data(), static_cast<int>(r.frame.size())));
            }
        }
        return messages;
    };

    {
        UnixClient client(dir / "pos.sock");
        REQUIRE(client.connected());
        std::string huge;
        loyalty::terminal::pos::append_delimited(huge, std::string(10 * 1024 * 1024, 'x'));
        client.send(huge + frame);
        const auto replies = read_messages(client, 2);
        REQUIRE(replies.size() == 2);
        CHECK(replies[0].response().error().code() == loyalty::v1::POS_ERROR_CODE_FRAME_TOO_LARGE);
        CHECK_THAT(replies[0].response().error().message(), Catch::Contains("10485760 bytes"));
        CHECK(replies[1].response().request_id() == 5);
        CHECK(replies[1].response().has_status());
    }
    {
        UnixClient leaving(dir / "pos.sock");
        leaving.send(std::string("\x64") + "only ten b");  // announces 100 bytes, sends 10, goes away
    }
    {
        // Far more file descriptors than the default 1,024 are needed on this side too.
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        std::vector<std::unique_ptr<UnixClient>> clients;
        for (int i = 0; i < 1000; ++i)
            clients.push_back(std::make_unique<UnixClient>(dir / "pos.sock"));
        for (auto& c : clients)
            REQUIRE(c->connected());
        for (auto& c : clients)
            c->send(frame);
        std::size_t answered = 0;
        for (auto& c : clients) {
            const auto replies = read_messages(*c, 1);
            answered += replies.size() == 1 && replies[0].response().has_status();
        }
        CHECK(answered == 1000);
    }
    CHECK(daemon->running());
    UnixClient after(dir / "pos-json.sock");
    CHECK_THAT(after.request(R"({"getStatus":{}})"), Catch::Contains("S0042-T03"));
}

TEST_CASE("SIGKILL mid-basket and right after a completed sale: the basket comes back, the sale is stored once") {
    TempDir dir;
    const auto config = write_config(dir, fifo_reader(dir));
    auto daemon = start_daemon(dir, config);
    {
        UnixClient pos(dir / "pos-json.sock");
        pos.request(R"({"beginBasket":{"cashierId":"C-1"}})");
        pos.request(k_milk);
        CHECK_THAT(pos.request(R"({"identifyCard":{"cardText":"6036000000000013"}})"), Catch::Contains("anonymous"));
        CHECK_THAT(pos.request(k_milk), Catch::Contains(R"("lineNo":2)"));
    }
    daemon->stop(SIGKILL);
    daemon = restart_daemon(dir, config);
    UnixClient pos(dir / "pos-json.sock");
    const std::string totals = pos.request(R"({"getTotals":{}})");
    CHECK_THAT(totals, Catch::Contains(R"("lineNo":2)") && Catch::Contains(R"("payable":{"minorUnits":"476")") &&
                           Catch::Contains("6036000000000013"));

    const std::string complete = R"({"completeSale":{"saleId":")" + id_prefix(dir) +
                                 R"(000001","tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"500"}}]}})";
    const std::string receipt = pos.request(complete);
    REQUIRE_THAT(receipt, Catch::Contains("saleCompleted"));
    daemon->stop(SIGKILL);  // the instant the POS heard "done"
    pos.close();
    daemon = restart_daemon(dir, config);
    UnixClient again(dir / "pos-json.sock");
    const std::string retried = again.request(complete);  // the POS retries, not knowing whether it landed
    CHECK_THAT(retried, Catch::Contains("saleCompleted") && Catch::Contains(R"("sequence":"1")"));
    CHECK_THAT(again.request(R"({"getStatus":{}})"), Catch::Contains(R"("outboxDepth":"1")"));
    CHECK_THAT(again.request(R"({"getTotals":{}})"), Catch::Contains("POS_ERROR_CODE_NO_OPEN_BASKET"));
    daemon->stop(SIGTERM);

    loyalty::sqlite::Database db(dir / "data/terminal.db");
    CHECK(db.query_int64("SELECT count(*) FROM sales") == 1);
    CHECK(db.query_int64("SELECT count(*) FROM sale_lines") == 2);
    CHECK(db.query_int64("SELECT count(*) FROM outbox WHERE kind = 'purchase'") == 1);
}

TEST_CASE("loyaltyd refuses to start on a socket another loyaltyd serves, and on an unusable reader device") {
    TempDir dir;
    const auto config = write_config(dir, fifo_reader(dir));
    auto first = start_daemon(dir, config);
    const auto second = loyalty::test::run_process({k_loyaltyd, "--config", config.string()});
    CHECK(second.exit_code == 1);
    CHECK_THAT(second.output, Catch::Contains("is in use: is another loyaltyd running?"));
    first->stop(SIGTERM);

    TempDir other;
    loyalty::test::write_file(other / "not-a-tty", "plain file");
    const auto bad = write_config(other, "[reader]\nkind = \"serial\"\ndevice = \"not-a-tty\"\nprofile = \"" +
                                             reader_profile("usb-serial-magstripe.toml") + "\"\ndebounce_ms = 1500\n");
    const auto result = loyalty::test::run_process({k_loyaltyd, "--config", bad.string()});
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Catch::Contains("not-a-tty") && Catch::Contains("check reader.device"));
}

TEST_CASE("loyaltyctl: status, a swipe, a scripted basket with its receipt, a customer") {
    TempDir dir;
    const auto config = write_config(dir, fifo_reader(dir));
    auto daemon = start_daemon(dir, config);
    const std::string ctl = LOYALTYCTL_PATH;
    const std::string with_config = "--config=" + config.string();

    auto result = loyalty::test::run_process({ctl, with_config, "status"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output,
               Catch::Contains("Terminal  S0042-T03 of store S0042") && Catch::Contains("Reader    READY"));

    result = loyalty::test::run_process({ctl, with_config, "swipe", ";6036000000000013=4912101?"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, Catch::Contains("************0013") && Catch::Contains("not enrolled yet"));
    result = loyalty::test::run_process({ctl, with_config, "swipe", ";4111111111111111=2812201?"});
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.output, Catch::Contains("card refused (PAYMENT_CARD)"));
    CHECK(result.output.find("4111") == std::string::npos);

    loyalty::test::write_file(dir / "basket.jsonl", std::string(R"(# bananas and milk, cash
{"beginBasket":{"cashierId":"C-108"}}
{"enrollCustomer":{"cardText":"6036000000123450","contact":{"givenName":"Jane","familyName":"Doe"},"consents":[{"purpose":"CONSENT_PURPOSE_PROGRAM_TERMS","granted":true}]}}
{"addItem":{"gtin":"2000000012345","description":"Bananas loose","department":"produce","quantity":{"weightGrams":"1255"},"unitPrice":{"minorUnits":"199"}}}
)") + k_milk + R"(
{"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"1000"}}]}}
)");
    result = loyalty::test::run_process({ctl, with_config, "basket", "run", (dir / "basket.jsonl").string()});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, Catch::Matches(R"([\s\S]*Sale +)" + id_prefix(dir) + R"(000001\n[\s\S]*)") &&
                                  Catch::Contains("Bananas loose") && Catch::Contains("1.255 kg x 1.99/kg") &&
                                  Catch::Contains("TOTAL EUR") && Catch::Contains("4.88") &&
                                  Catch::Contains("Change") && Catch::Contains("5.12") &&
                                  Catch::Contains("************3450"));

    result = loyalty::test::run_process({ctl, with_config, "customer", "show", "6036000000123450"});
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, Catch::Contains(id_prefix(dir) + "C000001") && Catch::Contains("Jane D."));
    result = loyalty::test::run_process({ctl, with_config, "customer", "show", "6036000000000013"});
    CHECK(result.exit_code == 3);

    loyalty::test::write_file(
        dir / "bad.jsonl",
        R"({"addItem":{"gtin":"1","description":"x","department":"d","quantity":{"units":"0"},"unitPrice":{"minorUnits":"1"}}})"
        "\n");
    result = loyalty::test::run_process({ctl, with_config, "basket", "run", (dir / "bad.jsonl").string()});
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Catch::Contains("error NO_OPEN_BASKET") && Catch::Contains("bad.jsonl:1"));
    daemon->stop(SIGTERM);
    result = loyalty::test::run_process({ctl, with_config, "status"});
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Catch::Contains("is loyaltyd running?"));
}

TEST_CASE("a serial reader unplugged and plugged back is reopened, the status shows it meanwhile") {
    TempDir dir;
    const auto reader_tty = dir / "reader-tty";
    const auto device_side = dir / "device-side";
    auto plug_in = [&] {
        auto socat = std::make_unique<ChildProcess>(
            std::vector<std::string>{"/usr/bin/socat", "pty,raw,echo=0,link=" + reader_tty.string(),
                                     "pty,raw,echo=0,link=" + device_side.string()},
            dir / "socat.log");
        for (int i = 0; i < 500 && !std::filesystem::exists(device_side); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return socat;
    };
    auto socat = plug_in();
    const auto config =
        write_config(dir, "[reader]\nkind = \"serial\"\ndevice = \"" + reader_tty.string() + "\"\nprofile = \"" +
                              reader_profile("usb-serial-magstripe.toml") + "\"\ndebounce_ms = 1500\n");
    auto daemon = start_daemon(dir, config);
    UnixClient pos(dir / "pos-json.sock");
    REQUIRE_THAT(pos.request(R"({"subscribe":{}})"), Catch::Contains("subscribed"));

    socat->stop(SIGKILL);  // the reader is unplugged
    REQUIRE(pos.read_until("READER_STATE_DISCONNECTED").has_value());
    CHECK_THAT(pos.request(R"({"getStatus":{}})"), Catch::Contains("READER_STATE_DISCONNECTED"));
    CHECK_THAT(pos.request(R"({"beginBasket":{"cashierId":"C-1"}})"), Catch::Contains("saleId"));  // still serving

    std::filesystem::remove(reader_tty);
    std::filesystem::remove(device_side);
    socat = plug_in();  // plugged back
    REQUIRE(pos.read_until("READER_STATE_READY", std::chrono::seconds(30)).has_value());
    const int device = ::open(device_side.c_str(), O_WRONLY | O_NOCTTY);
    REQUIRE(device >= 0);
    const std::string swipe = with_lrc(";6036000000000013=4912101?");
    REQUIRE(::write(device, swipe.data(), swipe.size()) == static_cast<ssize_t>(swipe.size()));
    ::close(device);
    CHECK(pos.read_until("cardIdentified").has_value());
}

TEST_CASE("offers imported with loyaltyctl apply at once, a malformed import changes nothing") {
    TempDir dir;
    const auto config = write_config(dir, fifo_reader(dir));
    auto daemon = start_daemon(dir, config);
    const std::string ctl = LOYALTYCTL_PATH;
    const std::string with_config = "--config=" + config.string();
    const auto offers = loyalty::test::source_dir() / "firmware-config/examples/offers-demo.json";

    auto result = loyalty::test::run_process({ctl, with_config, "offers", "import", offers.string()});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK_THAT(result.output, Catch::Contains("imported 5 offer(s), removed 0; 5 live; points rules updated"));

    UnixClient pos(dir / "pos-json.sock");
    pos.request(R"({"beginBasket":{"cashierId":"C-1"}})");
    pos.request(R"({"identifyCard":{"cardText":"6036000000000013"}})");
    pos.request(k_milk);  // 2 x 1.19: "2 for 2.00" saves 0.38
    const std::string view = pos.request(
        R"({"addItem":{"gtin":"4056489123456","description":"Sourdough","department":"bakery","quantity":{"units":"1"},"unitPrice":{"minorUnits":"349"}}})");
    // bakery 10% for members: round(34.9) = 35; payable 2.38 + 3.49 - 0.38 - 0.35 = 5.14; 5 points
    CHECK_THAT(view, Catch::Contains(R"("offerId":"MILK-2FOR2")") && Catch::Contains(R"("minorUnits":"38")") &&
                         Catch::Contains(R"("offerId":"BAKERY-10")") && Catch::Contains(R"("minorUnits":"35")") &&
                         Catch::Contains(R"("payable":{"minorUnits":"514")") && Catch::Contains(R"("earned":"5")"));
    const std::string receipt =
        pos.request(R"({"completeSale":{"tenders":[{"kind":"TENDER_KIND_CASH","amount":{"minorUnits":"514"}}]}})");
    CHECK_THAT(receipt, Catch::Contains("BREAD-050-" + id_prefix(dir) + "000001"));  // the next-visit coupon

    loyalty::test::write_file(dir / "bad.json", R"({"offers":[
        {"offerId":"OK-1","receiptText":"fine","amountOff":{"items":{"wholeBasket":true},"amount":{"minorUnits":"100"}},"targeting":{"audience":"AUDIENCE_EVERYONE"}},
        {"offerId":"BROKEN","receiptText":"broken","percentOff":{"items":{"gtins":["1"]},"basisPoints":20000},"targeting":{"audience":"AUDIENCE_EVERYONE"}}]})");
    result = loyalty::test::run_process({ctl, with_config, "offers", "import", (dir / "bad.json").string()});
    CHECK(result.exit_code == 1);
    CHECK_THAT(result.output, Catch::Contains("offer BROKEN: percent_off.basis_points must be 1..10000, got 20000"));
    daemon->stop(SIGTERM);
    loyalty::sqlite::Database db(dir / "data/terminal.db");
    CHECK(db.query_int64("SELECT count(*) FROM offers") == 5);  // OK-1 did not get in either
    CHECK(db.query_int64("SELECT uses FROM offer_redemptions WHERE offer_id = 'BAKERY-10'") ==
          std::nullopt);  // anonymous card
}
