// libFuzzer target: any bytes a peer could send on a sync link, split at an input-chosen point,
// through the frame decoder and the envelope rules. Must never crash, never buffer a frame over
// the limit, and every envelope handed out must keep check_envelope's rules and re-encode to a
// frame the decoder reads back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sync/wire.hpp"

using namespace loyalty;

namespace {
constexpr std::size_t k_limit = 8192;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t split = data[0] % (size + 1);
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    sync::FrameDecoder decoder(k_limit);
    for (std::string_view part : {input.substr(0, split), input.substr(std::min(split, input.size()))}) {
        decoder.feed(part);
        if (decoder.buffered() > k_limit + sync::k_header_bytes + input.size()) std::abort();
        for (;;) {
            v1::Envelope envelope;
            const sync::DecodeResult r = decoder.next(envelope);
            if (r.status != sync::DecodeStatus::envelope) break;
            if (r.announced > k_limit || !sync::check_envelope(envelope).empty()) std::abort();
            sync::FrameDecoder again(k_limit);
            again.feed(sync::encode_frame(envelope));
            v1::Envelope copy;
            if (again.next(copy).status != sync::DecodeStatus::envelope ||
                copy.SerializeAsString() != envelope.SerializeAsString()) {
                std::abort();
            }
        }
    }
    return 0;
}
