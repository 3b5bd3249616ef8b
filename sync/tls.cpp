#include "sync/tls.hpp"

#include <sys/stat.h>

#include <array>
#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdexcept>

namespace loyalty::sync {
namespace {

namespace ssl = boost::asio::ssl;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
    throw std::runtime_error(file.string() + ": " + openssl_errors(what));
}

void require_readable(const std::filesystem::path& file, const char* role) {
    std::error_code ec;
    if (file.empty()) throw std::runtime_error(std::string("TLS: no ") + role + " file configured");
    if (!std::filesystem::is_regular_file(file, ec))
        throw std::runtime_error(file.string() + ": " + role + " file not found");
}

// TLS 1.3 only; P-256 key exchange; ECDSA with SHA-256 signatures; our certificate and key; the
// chain CA to check the peer against; the peer must present a certificate.
std::shared_ptr<ssl::context> make_context(ssl::context::method method, const TlsFiles& files) {
    require_readable(files.ca_file, "CA certificate");
    require_readable(files.cert_file, "certificate");
    require_readable(files.key_file, "private key");
    require_private_key_file(files.key_file);
    auto context = std::make_shared<ssl::context>(method);
    SSL_CTX* ctx = context->native_handle();
    ERR_clear_error();
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
        throw std::runtime_error(openssl_errors("TLS 1.3 is not available"));
    if (SSL_CTX_set1_groups_list(ctx, "P-256") != 1) throw std::runtime_error(openssl_errors("P-256 not available"));
    if (SSL_CTX_set1_sigalgs_list(ctx, "ECDSA+SHA256") != 1)
        throw std::runtime_error(openssl_errors("ECDSA with SHA-256 not available"));
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    // An idle link (most of a fleet's, most of the time) gives OpenSSL's record buffers back.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_load_verify_locations(ctx, files.ca_file.c_str(), nullptr) != 1)
        fail(files.ca_file, "cannot be read as a PEM CA certificate");
    if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1)
        fail(files.cert_file, "cannot be read as a PEM certificate");
    if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        fail(files.key_file, "cannot be read as a PEM private key");
    if (SSL_CTX_check_private_key(ctx) != 1) fail(files.key_file, "does not belong to the certificate");
    EVP_PKEY* key = SSL_CTX_get0_privatekey(ctx);
    std::array<char, 64> group{};
    std::size_t group_length = 0;
    if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
        EVP_PKEY_get_group_name(key, group.data(), group.size(), &group_length) != 1 ||
        std::string(group.data(), group_length) != "prime256v1") {
        ERR_clear_error();
        throw std::runtime_error(files.key_file.string() + ": must be an ECDSA P-256 key");
    }
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    return context;
}

// Every peer certificate (and the CA's own, CRL_CHECK_ALL) is checked against the list.
void use_revocation_list(ssl::context& context, const RevocationList* crl) {
    X509_STORE* store = SSL_CTX_get_cert_store(context.native_handle());
    if (crl != nullptr && X509_STORE_add_crl(store, crl->native()) != 1)
        throw std::runtime_error(openssl_errors("the revocation list cannot be used"));
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
}

}  // namespace

void require_private_key_file(const std::filesystem::path& key_file) {
    struct stat info {};
    if (::stat(key_file.c_str(), &info) != 0) return;  // require_readable says what is wrong
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        throw std::runtime_error(key_file.string() + ": private key file is accessible by group or others (mode " +
                                 mode + "); it must be readable by its owner only: chmod 600 " + key_file.string());
    }
}

std::shared_ptr<ssl::context> make_client_context(const TlsFiles& files, const RevocationList* crl) {
    auto context = make_context(ssl::context::tls_client, files);
    use_revocation_list(*context, crl);
    return context;
}

std::shared_ptr<ssl::context> make_server_context(const TlsFiles& files, const RevocationList& crl) {
    auto context = make_context(ssl::context::tls_server, files);
    use_revocation_list(*context, &crl);
    return context;
}

std::optional<PeerIdentity> peer_identity(SSL* ssl) {
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (cert == nullptr) return std::nullopt;
    X509_NAME* subject = X509_get_subject_name(cert);
    auto field = [subject](int nid) {
        std::array<char, 128> text{};
        const int n = X509_NAME_get_text_by_NID(subject, nid, text.data(), static_cast<int>(text.size()));
        return n > 0 ? std::string(text.data(), static_cast<std::size_t>(n)) : std::string();
    };
    PeerIdentity identity{field(NID_organizationalUnitName), field(NID_commonName)};
    if (identity.store_id.empty() || identity.terminal_id.empty()) return std::nullopt;
    return identity;
}

}  // namespace loyalty::sync
