// The two encodings of the POS API (docs/pos-api.md): varint-delimited protobuf and JSON lines in
// protobuf's JSON mapping. Requests in, server messages (responses and pushed events) out.
#pragma once

#include <string>
#include <string_view>

#include "loyalty/v1/pos_api.pb.h"

namespace loyalty::terminal::pos {

enum class Encoding { protobuf, json };

// Parses one frame (a delimited frame's payload, or one JSON line). On failure returns false and
// says why in `error` (never quoting the input: it may hold a card number).
bool parse_request(Encoding encoding, std::string_view frame, v1::PosRequest& request, std::string& error);

// `text` with every digit replaced by '#': for messages that might quote input (a card number must
// never be echoed, whole or in groups).
std::string without_digits(std::string_view text);

// One message as bytes ready to write: a delimited frame, or one JSON line ending in '\n'.
std::string encode_message(Encoding encoding, const v1::PosServerMessage& message);

}  // namespace loyalty::terminal::pos
