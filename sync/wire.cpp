#include "sync/wire.hpp"

#include <algorithm>

namespace loyalty::sync {
namespace {

// The payload size a frame's header announces (big-endian, k_header_bytes).
std::uint64_t frame_size(const char* header) {
    const auto* p = reinterpret_cast<const unsigned char*>(header);
    return (std::uint64_t{p[0]} << 24) | (std::uint64_t{p[1]} << 16) | (std::uint64_t{p[2]} << 8) | std::uint64_t{p[3]};
}

}  // namespace

std::string encode_frame(const v1::Envelope& envelope) {
    const std::size_t size = envelope.ByteSizeLong();
    std::string frame(k_header_bytes + size, '\0');
    frame[0] = static_cast<char>((size >> 24) & 0xFF);
    frame[1] = static_cast<char>((size >> 16) & 0xFF);
    frame[2] = static_cast<char>((size >> 8) & 0xFF);
    frame[3] = static_cast<char>(size & 0xFF);
    envelope.SerializeWithCachedSizesToArray(reinterpret_cast<std::uint8_t*>(frame.data() + k_header_bytes));
    return frame;
}

void FrameDecoder::feed(std::string_view bytes) {
    if (failed_.status != DecodeStatus::need_more) return;  // a finished stream takes nothing more
    compact();
    buffer_.append(bytes);
}

std::span<char> FrameDecoder::prepare() {
    compact();
    std::size_t want = k_small_read;
    const std::size_t available = buffer_.size() - read_;
    if (available >= k_header_bytes && failed_.status == DecodeStatus::need_more) {
        const std::uint64_t size = frame_size(buffer_.data() + read_);
        if (size <= max_frame_ && k_header_bytes + size > available) {
            want = std::clamp<std::size_t>(k_header_bytes + size - available, k_small_read, k_large_read);
        }
    }
    prepared_ = buffer_.size();
    buffer_.resize(prepared_ + want);
    return {buffer_.data() + prepared_, want};
}

void FrameDecoder::commit(std::size_t bytes) {
    buffer_.resize(prepared_ + std::min(bytes, buffer_.size() - prepared_));
    if (failed_.status != DecodeStatus::need_more) buffer_.resize(prepared_);  // a finished stream takes nothing
}

void FrameDecoder::compact() {
    if (read_ > 0 && read_ == buffer_.size()) {
        // Everything taken: a large frame's room goes back to the heap (an idle link holds little).
        if (buffer_.capacity() > k_kept_buffer_bytes) {
            std::string().swap(buffer_);
        } else {
            buffer_.clear();
        }
        read_ = 0;
    } else if (read_ > 64 * 1024 && read_ > buffer_.size() / 2) {
        buffer_.erase(0, read_);
        read_ = 0;
    }
}

DecodeResult FrameDecoder::next(v1::Envelope& envelope) {
    if (failed_.status != DecodeStatus::need_more) return failed_;
    const std::size_t available = buffer_.size() - read_;
    if (available < k_header_bytes) return {};
    const std::uint64_t size = frame_size(buffer_.data() + read_);
    if (size > max_frame_) {
        failed_ = {
            DecodeStatus::too_large, size,
            "a frame of " + std::to_string(size) + " bytes announced, the limit is " + std::to_string(max_frame_)};
        buffer_.clear();
        read_ = 0;
        return failed_;
    }
    if (available < k_header_bytes + size) {
        buffer_.reserve(read_ + k_header_bytes + size);  // one allocation for a large frame, not doublings
        return {};
    }
    const char* payload = buffer_.data() + read_ + k_header_bytes;
    read_ += k_header_bytes + size;
    envelope.Clear();
    if (!envelope.ParseFromArray(payload, static_cast<int>(size))) {
        failed_ = {DecodeStatus::malformed, size, "a frame that is not a sync envelope"};
        return failed_;
    }
    if (std::string problem = check_envelope(envelope); !problem.empty()) {
        failed_ = {DecodeStatus::malformed, size, std::move(problem)};
        return failed_;
    }
    return {DecodeStatus::envelope, size, {}};
}

std::string check_envelope(const v1::Envelope& envelope) {
    switch (envelope.body_case()) {
        case v1::Envelope::BODY_NOT_SET: return "an envelope with no message in it";
        case v1::Envelope::kHello: {
            const auto& hello = envelope.hello();
            if (hello.protocol_versions().empty()) return "hello: no protocol version offered";
            if (hello.terminal().terminal_id().empty() || hello.terminal().store_id().empty())
                return "hello: the terminal and store ids are required";
            return {};
        }
        case v1::Envelope::kBatch: {
            const auto& events = envelope.batch().events();
            if (events.size() > static_cast<int>(k_max_batch_events))
                return "batch: " + std::to_string(events.size()) + " events, at most " +
                       std::to_string(k_max_batch_events) + " per batch";
            std::uint64_t previous = 0;
            for (const auto& event : events) {
                if (!event.has_header() || event.header().terminal_id().empty())
                    return "batch: an event without a terminal id";
                if (event.header().sequence() <= previous)
                    return "batch: sequence " + std::to_string(event.header().sequence()) + " after " +
                           std::to_string(previous) + ": sequences must increase";
                if (event.body_case() == v1::Event::BODY_NOT_SET)
                    return "batch: event " + std::to_string(event.header().sequence()) + " has no body";
                previous = event.header().sequence();
            }
            return {};
        }
        default: return {};
    }
}

v1::Envelope make_error(v1::SyncErrorCode code, std::string message) {
    v1::Envelope envelope;
    envelope.mutable_error()->set_code(code);
    envelope.mutable_error()->set_message(std::move(message));
    return envelope;
}

}  // namespace loyalty::sync
