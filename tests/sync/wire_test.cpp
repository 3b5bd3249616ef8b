// The sync frame codec and envelope rules (docs/sync-protocol.md): frames read back whatever way
// the bytes are split; oversized, malformed and rule-breaking frames end the stream with the reason.
#include "sync/wire.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <span>

using namespace loyalty;

namespace {

v1::Envelope batch_of(std::initializer_list<std::uint64_t> sequences, const std::string& terminal = "S0042-T03") {
    v1::Envelope envelope;
    for (std::uint64_t s : sequences) {
        auto* e = envelope.mutable_batch()->add_events();
        e->mutable_header()->set_terminal_id(terminal);
        e->mutable_header()->set_store_id("S0042");
        e->mutable_header()->set_sequence(s);
        e->mutable_purchase()->set_sale_id("S0042-T03-" + std::to_string(s));
    }
    return envelope;
}

v1::Envelope hello() {
    v1::Envelope envelope;
    envelope.mutable_hello()->add_protocol_versions(sync::k_protocol_version);
    envelope.mutable_hello()->mutable_terminal()->set_store_id("S0042");
    envelope.mutable_hello()->mutable_terminal()->set_terminal_id("S0042-T03");
    return envelope;
}

}  // namespace

TEST_CASE("frames read back the same however the bytes are split") {
    const std::string stream =
        sync::encode_frame(hello()) + sync::encode_frame(batch_of({1, 2, 3})) + sync::encode_frame(batch_of({4}));
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, stream.size()}) {
        sync::FrameDecoder decoder;
        std::vector<v1::Envelope> got;
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            decoder.feed(std::string_view(stream).substr(at, chunk));
            v1::Envelope e;
            while (decoder.next(e).status == sync::DecodeStatus::envelope)
                got.push_back(e);
        }
        REQUIRE(got.size() == 3);
        CHECK(got[0].hello().terminal().terminal_id() == "S0042-T03");
        CHECK(got[1].batch().events_size() == 3);
        CHECK(got[2].batch().events(0).header().sequence() == 4);
        CHECK(decoder.buffered() == 0);
    }
}

TEST_CASE("read straight into the decoder: small room between frames, the rest of a large frame at once") {
    std::vector<std::uint64_t> many(1000);
    for (std::size_t i = 0; i < many.size(); ++i)
        many[i] = i + 1;
    v1::Envelope large;
    for (std::uint64_t s : many)
        *large.mutable_batch()->add_events() = batch_of({s}).batch().events(0);
    const std::string stream = sync::encode_frame(hello()) + sync::encode_frame(large) + sync::encode_frame(hello());
    REQUIRE(stream.size() > 32 * 1024);
    for (std::size_t most : {std::size_t{1}, std::size_t{100}, std::size_t{16 * 1024}, stream.size()}) {
        sync::FrameDecoder decoder;
        std::vector<v1::Envelope> got;
        std::size_t largest_room = 0;
        for (std::size_t at = 0; at < stream.size();) {
            const std::span<char> room = decoder.prepare();
            if (decoder.buffered() == 0) CHECK(room.size() == 512);  // between frames: an idle link holds little
            largest_room = std::max(largest_room, room.size());
            const std::size_t n = std::min({room.size(), most, stream.size() - at});  // a read returns what came
            std::copy_n(stream.data() + at, n, room.data());
            decoder.commit(n);
            at += n;
            v1::Envelope e;
            while (decoder.next(e).status == sync::DecodeStatus::envelope)
                got.push_back(e);
        }
        REQUIRE(got.size() == 3);
        CHECK(got[1].batch().events_size() == 1000);
        CHECK(got[1].batch().events(999).header().sequence() == 1000);
        CHECK(got[2].hello().terminal().terminal_id() == "S0042-T03");
        CHECK(decoder.buffered() == 0);
        CHECK(largest_room <= 64 * 1024);
        if (most >= 16 * 1024) CHECK(largest_room > 16 * 1024);  // once the header is in, the frame's rest at once
    }
}

TEST_CASE("a frame announcing more than the limit is refused before it is buffered") {
    sync::FrameDecoder decoder(1024);
    decoder.feed(std::string("\x06\x40\x00\x00", 4));  // 100 MiB announced
    v1::Envelope e;
    const auto r = decoder.next(e);
    CHECK(r.status == sync::DecodeStatus::too_large);
    CHECK(r.announced == 100u * 1024 * 1024);
    CHECK_THAT(r.problem, Catch::Contains("104857600 bytes announced, the limit is 1024"));
    decoder.feed(std::string(4096, 'x'));  // the rest is not kept
    CHECK(decoder.buffered() == 0);
    CHECK(decoder.next(e).status == sync::DecodeStatus::too_large);  // the stream is finished
}

TEST_CASE("garbage and rule-breaking envelopes are malformed, with the reason") {
    auto decode = [](const std::string& bytes) {
        sync::FrameDecoder decoder;
        decoder.feed(bytes);
        v1::Envelope e;
        return decoder.next(e);
    };
    const std::string not_protobuf = "\xff\xff\xff\xff\xff";
    auto garbage = decode(std::string("\x00\x00\x00\x05", 4) + not_protobuf);
    CHECK(garbage.status == sync::DecodeStatus::malformed);
    CHECK(garbage.problem == "a frame that is not a sync envelope");
    CHECK(decode(sync::encode_frame(v1::Envelope{})).problem == "an envelope with no message in it");
    CHECK_THAT(decode(sync::encode_frame(batch_of({3, 2}))).problem, Catch::Contains("sequence 2 after 3"));
    CHECK_THAT(decode(sync::encode_frame(batch_of({0}))).problem, Catch::Contains("sequences must increase"));
    CHECK(decode(sync::encode_frame(batch_of({1}, ""))).problem == "batch: an event without a terminal id");
    v1::Envelope no_body = batch_of({1});
    no_body.mutable_batch()->mutable_events(0)->clear_purchase();
    CHECK(decode(sync::encode_frame(no_body)).problem == "batch: event 1 has no body");
    v1::Envelope too_many;
    for (std::uint64_t s = 1; s <= sync::k_max_batch_events + 1; ++s)
        *too_many.mutable_batch()->add_events() = batch_of({s}).batch().events(0);
    CHECK_THAT(decode(sync::encode_frame(too_many)).problem, Catch::Contains("1001 events, at most 1000"));
    v1::Envelope anonymous = hello();
    anonymous.mutable_hello()->mutable_terminal()->clear_terminal_id();
    CHECK_THAT(decode(sync::encode_frame(anonymous)).problem, Catch::Contains("terminal and store ids are required"));
    v1::Envelope versionless = hello();
    versionless.mutable_hello()->clear_protocol_versions();
    CHECK(decode(sync::encode_frame(versionless)).problem == "hello: no protocol version offered");
}
