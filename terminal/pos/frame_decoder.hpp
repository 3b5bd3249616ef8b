// Splitting the POS API byte streams into requests, for both socket flavours:
//
//   * DelimitedFrameDecoder: varint-length-delimited protobuf (protobuf's writeDelimitedTo
//     format): a base-128 varint byte count, then that many bytes of PosRequest.
//   * JsonLineDecoder: one request per line of JSON text, ending in '\n' ('\r' before it is
//     dropped).
//
// Both take bytes as they arrive (any split) and hand out whole frames. A frame over the size
// limit is not buffered: its bytes are skipped as they arrive and it is reported once as
// frame_too_large, so a 10 MB frame costs no memory and the connection goes on with the next
// frame. A varint longer than 5 bytes cannot be skipped safely: `malformed`, and the stream is
// finished (the server closes the connection).
//
// Not thread-safe: one decoder per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace loyalty::terminal::pos {

enum class FrameStatus {
    need_more,        // no complete frame yet
    frame,            // `frame` holds one whole frame
    frame_too_large,  // a frame over the limit was (or is being) skipped
    malformed,        // the stream cannot be read any further
};

struct FrameResult {
    FrameStatus status = FrameStatus::need_more;
    std::string_view frame;       // valid until the next call
    std::uint64_t announced = 0;  // for frame_too_large: the size the frame claimed (0 if unknown)
};

class DelimitedFrameDecoder {
public:
    explicit DelimitedFrameDecoder(std::size_t max_frame) : max_frame_(max_frame) {}

    // Appends bytes received from the peer.
    void feed(std::string_view bytes);
    // The next event from what was fed; call until need_more.
    FrameResult next();
    // Bytes buffered but not yet handed out (a peer that stops mid-frame leaves these).
    std::size_t buffered() const { return buffer_.size() - read_; }

private:
    std::size_t max_frame_;
    std::string buffer_;
    std::size_t read_ = 0;        // start of unconsumed bytes
    std::uint64_t skipping_ = 0;  // bytes of an oversized frame still to drop
    bool failed_ = false;
};

class JsonLineDecoder {
public:
    explicit JsonLineDecoder(std::size_t max_line) : max_line_(max_line) {}

    void feed(std::string_view bytes);
    FrameResult next();
    std::size_t buffered() const { return buffer_.size() - read_; }

private:
    std::size_t max_line_;
    std::string buffer_;
    std::size_t read_ = 0;
    bool skipping_ = false;  // inside an oversized line, until its '\n'
    bool reported_ = false;  // the oversized line was reported already
};

// Appends `message_bytes` to `out` as one delimited frame.
void append_delimited(std::string& out, std::string_view message_bytes);

}  // namespace loyalty::terminal::pos
