// Splitting POS API streams into frames: any split of the bytes, oversized frames skipped without
// buffering them, a broken length prefix ends the stream.
#include "terminal/pos/frame_decoder.hpp"

#include <catch2/catch.hpp>

#include "terminal/pos/request_codec.hpp"

using namespace loyalty::terminal::pos;

namespace {

template <typename Decoder>
std::vector<std::pair<FrameStatus, std::string>> drain(Decoder& decoder) {
    std::vector<std::pair<FrameStatus, std::string>> out;
    for (;;) {
        const FrameResult r = decoder.next();
        if (r.status == FrameStatus::need_more) return out;
        out.emplace_back(r.status, std::string{r.frame});
        if (r.status == FrameStatus::malformed) return out;
    }
}

}  // namespace

TEST_CASE("delimited frames come out whole however the bytes are split") {
    std::string stream;
    append_delimited(stream, "first");
    append_delimited(stream, std::string(300, 'x'));  // a two-byte varint
    append_delimited(stream, "");
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, stream.size()}) {
        INFO("chunks of " << chunk);
        DelimitedFrameDecoder decoder(1024);
        std::vector<std::pair<FrameStatus, std::string>> frames;
        for (std::size_t i = 0; i < stream.size(); i += chunk) {
            decoder.feed(std::string_view(stream).substr(i, chunk));
            for (auto& f : drain(decoder))
                frames.push_back(f);
        }
        REQUIRE(frames.size() == 3);
        CHECK(frames[0].second == "first");
        CHECK(frames[1].second.size() == 300);
        CHECK(frames[2].second.empty());
        CHECK(decoder.buffered() == 0);
    }
}

TEST_CASE("an oversized delimited frame is reported once, skipped unbuffered, and the next frame is read") {
    DelimitedFrameDecoder decoder(64 * 1024);
    std::string header;
    append_delimited(header, "");
    header.clear();
    // A frame announcing 10 MB, whose bytes then arrive in 1 MB pieces.
    std::uint64_t size = 10 * 1024 * 1024;
    do {
        unsigned char byte = size & 0x7f;
        size >>= 7;
        if (size) byte |= 0x80;
        header.push_back(static_cast<char>(byte));
    } while (size);
    decoder.feed(header);
    auto first = decoder.next();
    CHECK(first.status == FrameStatus::frame_too_large);
    CHECK(first.announced == 10 * 1024 * 1024);
    const std::string megabyte(1024 * 1024, 'z');
    for (int i = 0; i < 10; ++i) {
        decoder.feed(megabyte);
        CHECK(decoder.next().status == FrameStatus::need_more);
        CHECK(decoder.buffered() == 0);  // nothing of it is kept
    }
    std::string next;
    append_delimited(next, "after");
    decoder.feed(next);
    const auto after = decoder.next();
    REQUIRE(after.status == FrameStatus::frame);
    CHECK(after.frame == "after");
}

TEST_CASE("a length prefix longer than five bytes ends the stream") {
    DelimitedFrameDecoder decoder(1024);
    decoder.feed(std::string(6, '\xff'));
    CHECK(decoder.next().status == FrameStatus::malformed);
    decoder.feed("more");
    CHECK(decoder.next().status == FrameStatus::malformed);
}

TEST_CASE("JSON lines: CRLF, splits, blank lines, and an oversized line skipped to its end") {
    JsonLineDecoder decoder(16);
    decoder.feed("{\"a\":1}\r\n{\"b\"");
    auto frames = drain(decoder);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].second == "{\"a\":1}");
    decoder.feed(":2}\n\n");
    frames = drain(decoder);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].second == "{\"b\":2}");
    CHECK(frames[1].second.empty());

    decoder.feed(std::string(40, 'x'));  // no newline yet, already too long
    frames = drain(decoder);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].first == FrameStatus::frame_too_large);
    decoder.feed(std::string(1000, 'y'));
    CHECK(drain(decoder).empty());  // still inside the long line: reported once only
    CHECK(decoder.buffered() == 0);
    decoder.feed("yyy\n{\"c\":3}\n");
    frames = drain(decoder);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].second == "{\"c\":3}");

    decoder.feed(std::string(20, 'q') + "\n{}\n");  // too long, but whole
    frames = drain(decoder);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].first == FrameStatus::frame_too_large);
    CHECK(frames[1].second == "{}");
}

TEST_CASE("request parsing: both encodings, errors that never quote a card number") {
    loyalty::v1::PosRequest request;
    std::string error;
    CHECK(parse_request(Encoding::json, R"({"requestId":"7","getTotals":{}})", request, error));
    CHECK(request.request_id() == 7);
    CHECK(request.has_get_totals());
    std::string bytes = request.SerializeAsString();
    loyalty::v1::PosRequest back;
    CHECK(parse_request(Encoding::protobuf, bytes, back, error));
    CHECK(back.request_id() == 7);

    CHECK_FALSE(parse_request(Encoding::protobuf, "\xff\xff\xff", request, error));
    CHECK_THAT(error, Catch::Contains("not a loyalty.v1.PosRequest"));
    CHECK_FALSE(parse_request(Encoding::json, R"({"identifyCard":{"cardText":4111111111111111}})", request, error));
    CHECK(error.find("4111111111111111") == std::string::npos);
    CHECK(error.find("411111") == std::string::npos);
    CHECK_FALSE(parse_request(Encoding::json, "{not json", request, error));
    CHECK_FALSE(parse_request(Encoding::json, R"({"identifyCard":{"cardText":4111 1111 1111 1111}})", request, error));
    CHECK(error.find("4111") == std::string::npos);
    CHECK(error.find("1111") == std::string::npos);
    CHECK(without_digits("card 4111 1111-1111 at 12:30") == "card #### ####-#### at ##:##");
}
