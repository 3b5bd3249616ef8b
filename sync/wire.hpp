// The sync wire format (docs/sync-protocol.md): every frame is a 4-byte big-endian payload
// length followed by that many bytes of a serialized loyalty.v1.Envelope. No I/O here: the
// decoder takes bytes as they arrive (any split) and hands out whole envelopes, so the same code
// runs under TLS and under the fuzzer.
//
// A frame announcing more than the maximum is refused before any of it is buffered; after that,
// like after a payload that is not a valid Envelope, the stream cannot be trusted and the
// connection is closed (a SyncError saying why is sent first).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "loyalty/v1/sync.pb.h"

namespace loyalty::sync {

inline constexpr std::uint32_t k_protocol_version = 1;
inline constexpr std::size_t k_header_bytes = 4;
inline constexpr std::size_t k_default_max_frame = 4 * 1024 * 1024;
inline constexpr std::size_t k_max_batch_events = 1000;

// The frame holding `envelope`: header and payload.
std::string encode_frame(const v1::Envelope& envelope);

enum class DecodeStatus {
    need_more,  // no whole frame yet
    envelope,   // `envelope` holds the next one
    too_large,  // the header announced more than the maximum (`announced`)
    malformed,  // the payload is not an Envelope, or breaks a rule of the protocol (`problem`)
};

struct DecodeResult {
    DecodeStatus status = DecodeStatus::need_more;
    std::uint64_t announced = 0;
    std::string problem;
};

class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t max_frame = k_default_max_frame) : max_frame_(max_frame) {}

    void feed(std::string_view bytes);
    // Reading straight into the decoder: room for the rest of the frame under way (at most 64 KiB
    // at a time), or for a small frame when between frames, so an idle link holds half a KiB.
    // Fill some of it, then commit() how much; the room is invalid after the next call.
    std::span<char> prepare();
    void commit(std::size_t bytes);
    // The next envelope; call until need_more. After too_large or malformed it returns the same
    // again: the stream is finished.
    DecodeResult next(v1::Envelope& envelope);
    std::size_t buffered() const { return buffer_.size() - read_; }

private:
    static constexpr std::size_t k_kept_buffer_bytes = 4 * 1024;
    static constexpr std::size_t k_small_read = 512;
    static constexpr std::size_t k_large_read = 64 * 1024;
    void compact();  // drops what was taken; a large frame's room goes back to the heap
    std::size_t prepared_ = 0;
    std::size_t max_frame_;
    std::string buffer_;
    std::size_t read_ = 0;
    DecodeResult failed_{};
};

// The rules an envelope must keep beyond parsing (a body set; a Hello naming a terminal; a batch
// of at most k_max_batch_events events, each with a header, a body and sequences strictly
// increasing). Empty when it keeps them, otherwise what is wrong.
std::string check_envelope(const v1::Envelope& envelope);

// Convenience constructors.
v1::Envelope make_error(v1::SyncErrorCode code, std::string message);

}  // namespace loyalty::sync
