// TLS for sync (spec §4): TLS 1.3 only, ECDSA P-256 with SHA-256, the peer verified both ways
// against the chain CA and its revocation list (sync/revocation_list.hpp). The terminal checks
// head office's host name; head office reads the terminal's identity from its certificate
// (OU = store id, CN = terminal id; firmware-config/pki/pki.sh issues them so).
//
// Every function throws std::runtime_error naming the file and OpenSSL's reason when a file
// cannot be used, so a daemon refuses to start with a clear message instead of failing later. A
// private key file that its owner's group or others may read is refused, as ssh refuses one.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "sync/revocation_list.hpp"

typedef struct ssl_st SSL;

namespace boost::asio::ssl {
class context;
}

namespace loyalty::sync {

struct TlsFiles {
    std::filesystem::path ca_file;    // the chain CA (PEM)
    std::filesystem::path cert_file;  // this side's certificate (PEM)
    std::filesystem::path key_file;   // its private key (PEM)
    // The CA's revocation list (PEM). Head office: the one it enforces (required). Terminal: the
    // one installed with it (optional; it keeps a newer one from head office of its own).
    std::filesystem::path crl_file;
};

// Both check peers against `crl` (the chain CA's list, already checked to be the CA's); the
// client's may be null: a till with no list yet fails verification with
// X509_V_ERR_UNABLE_TO_GET_CRL, which its verify callback handles (sync/client.cpp).
std::shared_ptr<boost::asio::ssl::context> make_client_context(const TlsFiles& files, const RevocationList* crl);
std::shared_ptr<boost::asio::ssl::context> make_server_context(const TlsFiles& files, const RevocationList& crl);

// Throws unless `key_file` is readable by its owner only (no group or other permission bits).
void require_private_key_file(const std::filesystem::path& key_file);

struct PeerIdentity {
    std::string store_id;     // OU
    std::string terminal_id;  // CN
};

// The identity in the verified peer certificate of `ssl`, or nullopt when it names none.
std::optional<PeerIdentity> peer_identity(SSL* ssl);

}  // namespace loyalty::sync
