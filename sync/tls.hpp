// TLS for sync (spec §4): TLS 1.3 only, ECDSA P-256 with SHA-256, the peer verified both ways
// against the chain CA. The terminal checks head office's host name; head office checks the
// revocation list and reads the terminal's identity from its certificate
// (OU = store id, CN = terminal id; firmware-config/pki/pki.sh issues them so).
//
// Every function throws std::runtime_error naming the file and OpenSSL's reason when a file
// cannot be used, so a daemon refuses to start with a clear message instead of failing later.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

typedef struct ssl_st SSL;

namespace boost::asio::ssl {
class context;
}

namespace loyalty::sync {

struct TlsFiles {
    std::filesystem::path ca_file;    // the chain CA (PEM)
    std::filesystem::path cert_file;  // this side's certificate (PEM)
    std::filesystem::path key_file;   // its private key (PEM)
    std::filesystem::path crl_file;   // head office only: the CA's revocation list (PEM)
};

std::shared_ptr<boost::asio::ssl::context> make_client_context(const TlsFiles& files);
std::shared_ptr<boost::asio::ssl::context> make_server_context(const TlsFiles& files);

struct PeerIdentity {
    std::string store_id;     // OU
    std::string terminal_id;  // CN
};

// The identity in the verified peer certificate of `ssl`, or nullopt when it names none.
std::optional<PeerIdentity> peer_identity(SSL* ssl);

// OpenSSL's queued errors as one line (and clears the queue); `fallback` when there are none.
std::string openssl_errors(const std::string& fallback);

}  // namespace loyalty::sync
