// libFuzzer target: any bytes a POS client could send, split at an input-chosen point, through
// both frame decoders and the request parser. Must never crash, never buffer an oversized frame,
// never hand out a frame over the limit, and never echo a digit of the input in an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "terminal/pos/frame_decoder.hpp"
#include "terminal/pos/request_codec.hpp"

using namespace loyalty::terminal::pos;

namespace {

constexpr std::size_t k_limit = 4096;

template <typename Decoder>
void run(std::string_view input, std::size_t split, Encoding encoding) {
    Decoder decoder(k_limit);
    for (std::string_view part : {input.substr(0, split), input.substr(split)}) {
        decoder.feed(part);
        for (;;) {
            const FrameResult r = decoder.next();
            if (r.status == FrameStatus::need_more || r.status == FrameStatus::malformed) break;
            if (r.status != FrameStatus::frame) continue;
            if (r.frame.size() > k_limit) std::abort();
            loyalty::v1::PosRequest request;
            std::string error;
            if (!parse_request(encoding, r.frame, request, error)) {
                // No digit of the input may come back: the only digit is the 1 of "loyalty.v1".
                const std::size_t schema = error.find("loyalty.v1");
                if (schema != std::string::npos) error.erase(schema, 10);
                for (char c : error) {
                    if (c >= '0' && c <= '9') std::abort();
                }
            }
        }
        if (decoder.buffered() > input.size() + 16) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t split = data[0] % size;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    run<DelimitedFrameDecoder>(input, std::min(split, input.size()), Encoding::protobuf);
    run<JsonLineDecoder>(input, std::min(split, input.size()), Encoding::json);
    return 0;
}
