// PosClient: a blocking client of loyaltyd's protobuf POS socket, for loyaltyctl and support
// scripts. One request at a time; pushed events arriving in between are skipped.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "loyalty/v1/pos_api.pb.h"
#include "terminal/pos/frame_decoder.hpp"

namespace loyalty::terminal {

class PosClient {
public:
    // Connects; throws std::runtime_error naming the socket and the reason.
    explicit PosClient(const std::filesystem::path& socket,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~PosClient();
    PosClient(const PosClient&) = delete;
    PosClient& operator=(const PosClient&) = delete;

    // Sends `request` (its request_id is set here) and returns the matching response. Throws
    // std::runtime_error if loyaltyd does not answer in time or closes the connection.
    v1::PosResponse call(v1::PosRequest request);

private:
    int fd_ = -1;
    std::chrono::milliseconds timeout_;
    std::uint64_t next_id_ = 1;
    pos::DelimitedFrameDecoder decoder_{16 * 1024 * 1024};
};

}  // namespace loyalty::terminal
