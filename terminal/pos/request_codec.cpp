#include "terminal/pos/request_codec.hpp"

#include <google/protobuf/util/json_util.h>

#include "terminal/pos/frame_decoder.hpp"

namespace loyalty::terminal::pos {

std::string without_digits(std::string_view text) {
    std::string out{text};
    for (char& c : out) {
        if (c >= '0' && c <= '9') c = '#';
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
        // protobuf's message quotes the text around the error: a card number there (a JSON number,
        // or digits in groups) would come back in it, so every digit of it is blanked out.
        error = "line is not a loyalty.v1.PosRequest in JSON: " + without_digits(std::string(status.message()));
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
