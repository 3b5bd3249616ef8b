#include "terminal/pos/request_codec.hpp"

#include <google/protobuf/util/json_util.h>

#include "terminal/pos/frame_decoder.hpp"

namespace loyalty::terminal::pos {

std::string without_long_numbers(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] < '0' || text[i] > '9') {
            out.push_back(text[i++]);
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && text[end] >= '0' && text[end] <= '9')
            ++end;
        out.append(end - i >= 6 ? std::string_view{"<number>"} : text.substr(i, end - i));
        i = end;
    }
    return out;
}

bool parse_request(Encoding encoding, std::string_view frame, v1::PosRequest& request, std::string& error) {
    request.Clear();
    if (encoding == Encoding::protobuf) {
        if (!request.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
            error = "frame is not a loyalty.v1.PosRequest";
            return false;
        }
        return true;
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(frame.data(), frame.size()), &request, options);
    if (!status.ok()) {
        // protobuf's message may quote the offending value: a card number keyed as a JSON number
        // would come back in it, so runs of digits are blanked out.
        error = "line is not a loyalty.v1.PosRequest in JSON: " + without_long_numbers(std::string(status.message()));
        return false;
    }
    return true;
}

std::string encode_message(Encoding encoding, const v1::PosServerMessage& message) {
    std::string out;
    if (encoding == Encoding::protobuf) {
        append_delimited(out, message.SerializeAsString());
        return out;
    }
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = false;
    (void)google::protobuf::util::MessageToJsonString(message, &out, options);
    out.push_back('\n');
    return out;
}

}  // namespace loyalty::terminal::pos
