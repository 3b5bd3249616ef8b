// Card reads, table-driven: valid and invalid vectors across every format the readers deliver.
// Expected numbers and check digits were worked out by hand (and with an independent script),
// not with the code under test.
#include "terminal/card/card_decoder.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "domain/check_digits.hpp"
#include "terminal/card/debouncer.hpp"
#include "terminal/card/track_parser.hpp"

using namespace loyalty;
using namespace loyalty::terminal;
using namespace loyalty::terminal::card;

namespace {

std::vector<CardRange> chain_ranges() {
    return {{"reward card", "6036", 16, CheckDigit::luhn},
            {"key fob", "299", 13, CheckDigit::gs1_mod10},
            {"app card", "40123450", 18, CheckDigit::gs1_mod10}};
}

const std::vector<CardFormat> k_all{CardFormat::track1, CardFormat::track2, CardFormat::ean13, CardFormat::code128,
                                    CardFormat::gs1_128};

enum class Input { reader, reader_with_lrc, keyed, magstripe_only, wedge_scanner };

struct Vector {
    const char* what;
    Input input;
    std::string text;
    std::error_code expected;  // empty: a chain card
    std::string number;        // the card number when accepted
};

std::error_code run(const Vector& v, CardRead& out) {
    switch (v.input) {
        case Input::reader: return CardDecoder(chain_ranges(), k_all, "\x1d", false).decode(v.text, out);
        case Input::reader_with_lrc: return CardDecoder(chain_ranges(), k_all, "\x1d", true).decode(v.text, out);
        case Input::keyed: return CardDecoder(chain_ranges(), k_all, "\x1d", false).decode_keyed(v.text, out);
        case Input::magstripe_only:
            return CardDecoder(chain_ranges(), {CardFormat::track1, CardFormat::track2}, "\x1d", false)
                .decode(v.text, out);
        case Input::wedge_scanner:
            return CardDecoder(chain_ranges(), {CardFormat::ean13, CardFormat::code128, CardFormat::gs1_128}, "]",
                               false)
                .decode(v.text, out);
    }
    return {};
}

const std::string k_garbage = [] {
    std::string bytes;
    for (int i = 0; i < 200; ++i)
        bytes += static_cast<char>((i * 73 + 11) % 256);
    return bytes;
}();

}  // namespace

TEST_CASE("card reads: valid and invalid vectors across the formats") {
    const std::error_code ok;
    const std::vector<Vector> vectors = {
        // ---- accepted ---------------------------------------------------------------------------
        {"track 2", Input::reader, ";6036000000000013=4912101?", ok, "6036000000000013"},
        {"track 2 without separator", Input::reader, ";6036000000123450?", ok, "6036000000123450"},
        {"track 2 with its LRC", Input::reader_with_lrc, ";6036000000000013=4912101?6", ok, "6036000000000013"},
        {"track 1", Input::reader, "%B6036000000000013^DOE/JANE^4912101?", ok, "6036000000000013"},
        {"track 1 with its LRC", Input::reader_with_lrc, "%B6036000000000013^DOE/JANE^4912101?&", ok,
         "6036000000000013"},
        {"track 1 and 2 together", Input::reader, "%B6036000000000013^DOE/JANE^4912101?;6036000000000013=4912101?", ok,
         "6036000000000013"},
        {"both tracks with LRCs", Input::reader_with_lrc,
         "%B6036000000000013^DOE/JANE^4912101?&;6036000000000013=4912101?6", ok, "6036000000000013"},
        {"bad track 1, good track 2", Input::reader, "%B60360000^DOE;6036000000000013=4912101?", ok,
         "6036000000000013"},
        {"track 1 PAN in groups", Input::reader, "%B6036 0000 0000 0013^DOE/JANE^4912101?", ok, "6036000000000013"},
        {"trailing CR LF tolerated", Input::reader, ";6036000000000013?\r\n", ok, "6036000000000013"},
        {"EAN-13 key fob", Input::reader, "2990000000019", ok, "2990000000019"},
        {"EAN-13 with AIM ]E0", Input::reader, "]E02991234567897", ok, "2991234567897"},
        {"GS1-128 GSRN with ]C1", Input::reader, "]C18018401234500000000012", ok, "401234500000000012"},
        {"GS1-128 with leading FNC1", Input::reader,
         "\x1d"
         "8018401234500000000012",
         ok, "401234500000000012"},
        {"GS1-128 without prefix", Input::reader, "8018401234500000000012", ok, "401234500000000012"},
        {"GS1-128 after a GTIN element", Input::reader,
         "]C10104012345678901"
         "8018401234500000000012",
         ok, "401234500000000012"},
        {"GS1-128 before a batch element", Input::reader,
         "]C18018401234500000000012\x1d"
         "10ABC123",
         ok, "401234500000000012"},
        {"GS1-128 with a wedge scanner's ] for GS", Input::wedge_scanner, "]C110LOT7]8018401234500000000012", ok,
         "401234500000000012"},
        {"Code 128 card number", Input::reader, "6036000000123450", ok, "6036000000123450"},
        {"keyed with spaces", Input::keyed, "6036 0000 0012 3450", ok, "6036000000123450"},
        {"keyed with dashes", Input::keyed, "6036-1234-5678-9010", ok, "6036123456789010"},
        {"keyed key fob", Input::keyed, "2991234567897", ok, "2991234567897"},
        // ---- garbled: swipe again -------------------------------------------------------------------
        {"empty read", Input::reader, "", error::empty_read, ""},
        {"only a line end", Input::reader, "\r\n", error::empty_read, ""},
        {"track 2 cut short", Input::reader, ";6036000000000013=49", error::truncated, ""},
        {"track 2 with a letter", Input::reader, ";60360000A0000013?", error::bad_character, ""},
        {"track 2 wrong LRC", Input::reader_with_lrc, ";6036000000000013=4912101?7", error::bad_lrc, ""},
        {"track 2 LRC missing", Input::reader_with_lrc, ";6036000000000013=4912101?", error::truncated, ""},
        {"track 2 PAN of 20 digits", Input::reader, ";60360000000000130000=?", error::too_long, ""},
        {"track 2 only sentinels", Input::reader, ";?", error::truncated, ""},
        {"track 2 then junk", Input::reader, ";6036000000000013?XYZ", error::bad_character, ""},
        {"track 1 without name", Input::reader, "%B6036000000000013?", error::truncated, ""},
        {"track 1 bad format code", Input::reader, "%16036000000000013^DOE/JANE^?", error::bad_character, ""},
        {"track 1 lower case", Input::reader, "%B6036000000000013^doe/jane^?", error::bad_character, ""},
        {"track 1 wrong LRC", Input::reader_with_lrc, "%B6036000000000013^DOE/JANE^4912101?'", error::bad_lrc, ""},
        {"track 1 too long", Input::reader, "%B6036000000000013^DOE/JANE^" + std::string(60, '1') + "?",
         error::too_long, ""},
        {"tracks disagree", Input::reader, "%B6036000000000013^DOE/JANE^?;6036000000123450?", error::truncated, ""},
        {"GS1 GSRN cut short", Input::reader, "]C1801840123450000", error::truncated, ""},
        {"GS1 GSRN with letters", Input::reader, "]C18018ABCDEFGHIJKLMNOPQR", error::bad_character, ""},
        {"200 bytes of garbage", Input::reader, k_garbage, error::too_long, ""},
        {"binary garbage of barcode length", Input::reader, k_garbage.substr(0, 20), error::bad_character, ""},
        {"keyed letters", Input::keyed, "6036 00A0 0012 3450", error::bad_character, ""},
        {"keyed too long", Input::keyed, "60360000001234500000", error::too_long, ""},
        {"EAN-13 on a magstripe-only reader", Input::magstripe_only, "2990000000019", error::unrecognised_format, ""},
        // ---- read fine, not a loyalty card -----------------------------------------------------------
        {"Visa on track 2", Input::reader, ";4111111111111111=2812201?", error::payment_card, ""},
        {"Visa on track 1", Input::reader, "%B4111111111111111^DOE/JOHN^2812201?", error::payment_card, ""},
        {"Visa keyed", Input::keyed, "4111 1111 1111 1111", error::payment_card, ""},
        {"Mastercard as barcode text", Input::reader, "5555555555554444", error::payment_card, ""},
        {"Amex on track 2", Input::reader, ";378282246310005=2812?", error::payment_card, ""},
        {"financial track 1 of an unknown bank", Input::reader, "%B1234567890^DOE/J^?", error::payment_card, ""},
        {"chain card with a wrong Luhn digit", Input::reader, ";6036000000000014?", error::bad_check_digit, ""},
        {"chain fob with a wrong GS1 digit", Input::reader, "2990000000018", error::bad_check_digit, ""},
        {"a product EAN-13", Input::reader, "4006381333931", error::not_a_chain_card, ""},
        {"someone else's GSRN", Input::reader, "]C18018123456789012345675", error::not_a_chain_card, ""},
        {"GS1-128 without a GSRN", Input::reader, "]C10104012345678901", error::not_a_chain_card, ""},
        {"Code 128 text that is not a number", Input::reader, "ABC-123", error::not_a_chain_card, ""},
        {"chain prefix, wrong length", Input::reader, ";60360000000000?", error::not_a_chain_card, ""},
    };
    REQUIRE(vectors.size() >= 40);
    for (const Vector& v : vectors) {
        INFO(v.what);
        CardRead out;
        const std::error_code ec = run(v, out);
        CHECK(ec == v.expected);
        CHECK(out.number == v.number);
        if (ec) {
            // Nothing of a refused read comes back, and the reason's text has no digit in it.
            CHECK(out.range_name.empty());
            const std::string message = ec.message();
            CHECK(message.find_first_of("0123456789") == std::string::npos);
        }
    }
}

TEST_CASE("garbled reads are 'swipe again', good reads of other cards say why they are refused") {
    CHECK(is_unreadable(error::truncated));
    CHECK(is_unreadable(error::bad_lrc));
    CHECK_FALSE(is_unreadable(error::payment_card));
    CHECK(refusal_reason(error::bad_lrc) == loyalty::v1::CARD_REFUSAL_REASON_UNREADABLE);
    CHECK(refusal_reason(error::payment_card) == loyalty::v1::CARD_REFUSAL_REASON_PAYMENT_CARD);
    CHECK(refusal_reason(error::bad_check_digit) == loyalty::v1::CARD_REFUSAL_REASON_BAD_CHECK_DIGIT);
    CHECK(refusal_reason(error::not_a_chain_card) == loyalty::v1::CARD_REFUSAL_REASON_NOT_A_CHAIN_CARD);
    CHECK_THAT(std::error_code(error::truncated).message(), Catch::Contains("swipe again"));
}

TEST_CASE("check digits against published examples") {
    CHECK(domain::card::luhn_valid("79927398713"));  // the classic Luhn example
    CHECK_FALSE(domain::card::luhn_valid("79927398710"));
    CHECK(domain::card::luhn_valid("4111111111111111"));
    CHECK_FALSE(domain::card::luhn_valid("4111111111111112"));
    CHECK(domain::card::luhn_check_digit("7992739871") == 3);
    CHECK(domain::card::gs1_mod10_valid("4006381333931"));  // EAN-13 from GS1's own check-digit example
    CHECK_FALSE(domain::card::gs1_mod10_valid("4006381333932"));
    CHECK(domain::card::gs1_check_digit("629104150021") == 3);  // GS1 calculator example: 6291041500213
    CHECK_FALSE(domain::card::luhn_valid("12a4"));
    CHECK_FALSE(domain::card::gs1_mod10_valid(""));
    CHECK(track2_lrc(";6036000000123450?") == '6');
    CHECK(track1_lrc("%B6036000000000013^DOE/JANE^4912101?") == '&');
}

TEST_CASE("the same card within the debounce window counts once, another card at once") {
    Debouncer debouncer(std::chrono::milliseconds(1500));
    const auto t0 = Debouncer::Clock::time_point{} + std::chrono::hours(1);
    using std::chrono::milliseconds;
    CHECK(debouncer.accept("6036000000000013", t0));
    CHECK_FALSE(debouncer.accept("6036000000000013", t0 + milliseconds(400)));
    CHECK_FALSE(debouncer.accept("6036000000000013", t0 + milliseconds(1800)));  // window restarted at 400 ms
    CHECK(debouncer.accept("2990000000019", t0 + milliseconds(1900)));           // another card
    CHECK(debouncer.accept("6036000000000013", t0 + milliseconds(2000)));        // back to the first: new read
    CHECK(debouncer.accept("6036000000000013", t0 + milliseconds(3600)));        // after the window
}

TEST_CASE("the decoder for a terminal follows its reader profile") {
    TerminalConfig config;
    config.card_ranges = chain_ranges();
    ReaderProfile profile;
    profile.formats = {CardFormat::track2};
    profile.passes_lrc = true;
    config.reader.profile = profile;
    const CardDecoder decoder = CardDecoder::for_terminal(config);
    CardRead out;
    CHECK(decoder.decode(";6036000000000013=4912101?6", out) == std::error_code{});
    CHECK(decoder.decode(";6036000000000013=4912101?", out) == error::truncated);  // the LRC is expected
    CHECK(decoder.decode("2990000000019", out) == error::unrecognised_format);
    config.reader.profile.reset();  // a FIFO without a profile: every format
    CHECK(CardDecoder::for_terminal(config).decode("2990000000019", out) == std::error_code{});
}
