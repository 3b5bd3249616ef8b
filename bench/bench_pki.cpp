#include "bench/bench_pki.hpp"

#include <cstdio>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdexcept>

#include "sync/tls.hpp"

namespace loyalty::bench {
namespace {

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;
struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
struct CertFree {
    void operator()(X509* x) const { X509_free(x); }
};
using Cert = std::unique_ptr<X509, CertFree>;

void check(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(sync::openssl_errors("bench PKI: " + what));
}

File open_file(const std::filesystem::path& path, const char* mode) {
    File f(std::fopen(path.c_str(), mode));
    check(f != nullptr, "cannot open " + path.string());
    return f;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, std::string("extension ") + value);
    const int added = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(added == 1, std::string("adding extension ") + value);
}

void add_name(X509_NAME* name, const char* field, const std::string& value) {
    check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()),
                                     static_cast<int>(value.size()), -1, 0) == 1,
          std::string("subject field ") + field);
}

}  // namespace

void issue_terminal_certificates(const std::filesystem::path& ca_dir, const std::vector<TerminalName>& terminals) {
    Cert ca(PEM_read_X509(open_file(ca_dir / "ca.pem", "r").get(), nullptr, nullptr, nullptr));
    check(ca != nullptr, "reading ca.pem");
    Key ca_key(PEM_read_PrivateKey(open_file(ca_dir / "ca.key", "r").get(), nullptr, nullptr, nullptr));
    check(ca_key != nullptr, "reading ca.key");
    // The chain's name, as pki.sh put it in the CA's subject.
    std::string chain(256, '\0');
    const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(ca.get()), NID_organizationName, chain.data(),
                                            static_cast<int>(chain.size()));
    chain.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    std::int64_t serial = 1'000'000;
    for (const auto& t : terminals) {
        Key key(EVP_EC_gen("P-256"));
        check(key != nullptr, "generating a P-256 key");
        Cert cert(X509_new());
        check(cert != nullptr && X509_set_version(cert.get(), 2) == 1, "new certificate");
        check(ASN1_INTEGER_set_int64(X509_get_serialNumber(cert.get()), ++serial) == 1, "serial");
        check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
                  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600) != nullptr,
              "validity");
        X509_NAME* subject = X509_get_subject_name(cert.get());
        if (!chain.empty()) add_name(subject, "O", chain);
        add_name(subject, "OU", t.store_id);
        add_name(subject, "CN", t.terminal_id);
        check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) == 1, "issuer");
        check(X509_set_pubkey(cert.get(), key.get()) == 1, "public key");
        add_extension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
        add_extension(cert.get(), ca.get(), NID_ext_key_usage, "clientAuth");
        check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0, "signing");
        check(PEM_write_X509(open_file(ca_dir / (t.terminal_id + ".pem"), "w").get(), cert.get()) == 1,
              "writing the certificate");
        const auto key_file = ca_dir / (t.terminal_id + ".key");
        check(
            PEM_write_PrivateKey(open_file(key_file, "w").get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
            "writing the key");
        // Its owner's only, or the daemons refuse it (sync/tls.cpp).
        std::filesystem::permissions(key_file,
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
}

}  // namespace loyalty::bench
