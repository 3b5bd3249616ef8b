#include "terminal/pos/frame_decoder.hpp"

namespace loyalty::terminal::pos {
namespace {

constexpr std::size_t k_max_varint_bytes = 5;  // 32 bits: no frame here is anywhere near 4 GiB

// Drops consumed bytes once they dominate the buffer, so it does not grow without bound.
void compact(std::string& buffer, std::size_t& read) {
    if (read > 0 && (read == buffer.size() || read > 64 * 1024)) {
        buffer.erase(0, read);
        read = 0;
    }
}

}  // namespace

void append_delimited(std::string& out, std::string_view message_bytes) {
    std::uint64_t size = message_bytes.size();
    do {
        unsigned char byte = size & 0x7f;
        size >>= 7;
        if (size != 0) byte |= 0x80;
        out.push_back(static_cast<char>(byte));
    } while (size != 0);
    out.append(message_bytes);
}

void DelimitedFrameDecoder::feed(std::string_view bytes) {
    if (failed_) return;
    // Bytes of a frame being skipped are dropped at once, never buffered.
    if (skipping_ > 0) {
        const auto drop = static_cast<std::size_t>(std::min<std::uint64_t>(skipping_, bytes.size()));
        skipping_ -= drop;
        bytes.remove_prefix(drop);
    }
    compact(buffer_, read_);
    buffer_.append(bytes);
}

FrameResult DelimitedFrameDecoder::next() {
    if (failed_) return {FrameStatus::malformed, {}, 0};
    if (skipping_ > 0) return {};
    std::uint64_t size = 0;
    std::size_t i = 0;
    for (;; ++i) {
        if (read_ + i >= buffer_.size()) return {};
        if (i == k_max_varint_bytes) {
            failed_ = true;
            return {FrameStatus::malformed, {}, 0};
        }
        const auto byte = static_cast<unsigned char>(buffer_[read_ + i]);
        size |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) break;
    }
    const std::size_t header = i + 1;
    if (size > max_frame_) {
        const std::size_t available = buffer_.size() - read_ - header;
        const auto drop = static_cast<std::size_t>(std::min<std::uint64_t>(size, available));
        read_ += header + drop;
        skipping_ = size - drop;
        compact(buffer_, read_);
        return {FrameStatus::frame_too_large, {}, size};
    }
    if (buffer_.size() - read_ - header < size) return {};
    const std::string_view frame(buffer_.data() + read_ + header, static_cast<std::size_t>(size));
    read_ += header + static_cast<std::size_t>(size);
    return {FrameStatus::frame, frame, size};
}

void JsonLineDecoder::feed(std::string_view bytes) {
    compact(buffer_, read_);
    buffer_.append(bytes);
}

FrameResult JsonLineDecoder::next() {
    const std::size_t newline = buffer_.find('\n', read_);
    if (skipping_) {
        if (newline == std::string::npos) {
            read_ = buffer_.size();  // drop what came so far, keep waiting for the end of the line
            compact(buffer_, read_);
            if (!reported_) {
                reported_ = true;
                return {FrameStatus::frame_too_large, {}, 0};
            }
            return {};
        }
        read_ = newline + 1;
        skipping_ = false;
        if (!reported_) return {FrameStatus::frame_too_large, {}, 0};
        reported_ = false;
        return next();
    }
    if (newline == std::string::npos) {
        if (buffer_.size() - read_ > max_line_) {
            skipping_ = true;
            reported_ = false;
            return next();
        }
        return {};
    }
    std::size_t end = newline;
    if (end - read_ > max_line_) {
        const std::size_t length = end - read_;
        read_ = newline + 1;
        return {FrameStatus::frame_too_large, {}, length};
    }
    if (end > read_ && buffer_[end - 1] == '\r') --end;
    const std::string_view line(buffer_.data() + read_, end - read_);
    read_ = newline + 1;
    return {FrameStatus::frame, line, line.size()};
}

}  // namespace loyalty::terminal::pos
