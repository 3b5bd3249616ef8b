#include "sync/revocation_list.hpp"

#include <array>
#include <ctime>
#include <fstream>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sstream>
#include <stdexcept>

namespace loyalty::sync {
namespace {

using SystemClock = std::chrono::system_clock;

SystemClock::time_point to_time_point(const ASN1_TIME* time) {
    std::tm tm{};
    if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) return {};
    return SystemClock::from_time_t(timegm(&tm));
}

std::string name_text(const X509_NAME* name) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string("(none)");
}

std::string read_bytes(const std::filesystem::path& file, const char* role) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file.string() + ": " + role + " file cannot be read");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
}

}  // namespace

std::string openssl_errors(const std::string& fallback) {
    std::string out;
    while (const unsigned long code = ERR_get_error()) {
        std::array<char, 256> text{};
        ERR_error_string_n(code, text.data(), text.size());
        if (!out.empty()) out += "; ";
        out += text.data();
    }
    return out.empty() ? fallback : fallback + " (" + out + ")";
}

Certificate read_certificate(const std::filesystem::path& file) {
    const std::string pem = read_bytes(file, "certificate");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (certificate == nullptr)
        throw std::runtime_error(file.string() + ": " + openssl_errors("not a PEM certificate"));
    return Certificate(certificate, X509_free);
}

std::string describe_certificate(X509* certificate) {
    if (certificate == nullptr) return "no certificate";
    return "subject " + name_text(X509_get_subject_name(certificate)) + ", issuer " +
           name_text(X509_get_issuer_name(certificate)) + ", serial " + certificate_serial(certificate);
}

std::string certificate_serial(X509* certificate) {
    BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
    if (number == nullptr) return "?";
    char* hex = BN_bn2hex(number);
    std::string out = hex != nullptr ? hex : "?";
    OPENSSL_free(hex);
    BN_free(number);
    return out;
}

SystemClock::time_point certificate_not_after(X509* certificate) {
    return to_time_point(X509_get0_notAfter(certificate));
}

RevocationList RevocationList::parse(std::string_view bytes, const std::string& what) {
    X509_CRL* crl = nullptr;
    if (bytes.starts_with("-----BEGIN")) {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())),
                                                      BIO_free);
        crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
    } else {
        const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
        crl = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size()));
    }
    if (crl == nullptr) throw std::runtime_error(what + ": " + openssl_errors("not a revocation list (PEM or DER)"));
    return RevocationList(std::shared_ptr<X509_CRL>(crl, X509_CRL_free));
}

RevocationList RevocationList::read_file(const std::filesystem::path& file) {
    return parse(read_bytes(file, "revocation list"), file.string());
}

void RevocationList::check_issued_by(X509* ca, const std::string& what) const {
    if (ca == nullptr)
        throw std::runtime_error(what + ": no chain CA certificate to check the revocation list against");
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl_.get()), X509_get_subject_name(ca)) != 0) {
        throw std::runtime_error(what + ": revocation list issued by " + name_text(X509_CRL_get_issuer(crl_.get())) +
                                 ", not by the chain CA " + name_text(X509_get_subject_name(ca)));
    }
    if (X509_CRL_verify(crl_.get(), X509_get0_pubkey(ca)) != 1) {
        throw std::runtime_error(what + ": " + openssl_errors("revocation list's signature is not the chain CA's"));
    }
}

std::uint64_t RevocationList::number() const {
    auto* number = static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl_.get(), NID_crl_number, nullptr, nullptr));
    std::uint64_t value = 0;
    if (number != nullptr) {
        if (ASN1_INTEGER_get_uint64(&value, number) != 1) value = 0;
        ASN1_INTEGER_free(number);
    }
    return value;
}

SystemClock::time_point RevocationList::this_update() const {
    return to_time_point(X509_CRL_get0_lastUpdate(crl_.get()));
}

std::optional<SystemClock::time_point> RevocationList::next_update() const {
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl_.get());
    if (next == nullptr) return std::nullopt;
    return to_time_point(next);
}

bool RevocationList::expired(SystemClock::time_point now) const {
    const auto next = next_update();
    return next && *next < now;
}

bool RevocationList::revokes(X509* certificate) const {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl_.get()), X509_get_issuer_name(certificate)) != 0) return false;
    X509_REVOKED* entry = nullptr;
    return X509_CRL_get0_by_cert(crl_.get(), &entry, certificate) == 1;
}

std::string RevocationList::der() const {
    unsigned char* out = nullptr;
    const int length = i2d_X509_CRL(crl_.get(), &out);
    if (length <= 0) return {};
    std::string bytes(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length));
    OPENSSL_free(out);
    return bytes;
}

std::string RevocationList::summary() const {
    const auto next = next_update();
    return "number " + std::to_string(number()) + ", next update " + (next ? format_utc(*next) : "none");
}

RevocationList read_checked_revocation_list(const std::filesystem::path& crl_file,
                                            const std::filesystem::path& ca_file) {
    if (crl_file.empty()) throw std::runtime_error("TLS: no revocation list file configured");
    RevocationList list = RevocationList::read_file(crl_file);
    list.check_issued_by(read_certificate(ca_file).get(), crl_file.string());
    return list;
}

std::optional<std::string> refuse_revocation_list(const RevocationList& candidate, const RevocationList* held,
                                                  X509* ca) {
    try {
        candidate.check_issued_by(ca, "the revocation list");
    } catch (const std::exception& e) {
        return e.what();
    }
    if (held != nullptr && candidate.number() <= held->number()) {
        return "the revocation list's number " + std::to_string(candidate.number()) + " is not above " +
               std::to_string(held->number()) + ", the one held";
    }
    return std::nullopt;
}

std::string expiry_warning(const RevocationList& list, const std::filesystem::path& file, SystemClock::time_point now) {
    const auto next = list.next_update();
    if (!next || *next - now > k_revocation_list_warning) return {};
    const std::string renew = "publish a new one (pki.sh crl CA_DIR) and put its crl.pem in place of " + file.string();
    if (*next <= now) {
        return "the revocation list " + file.string() + " expired at " + format_utc(*next) +
               ": every terminal is refused until you " + renew;
    }
    return "the revocation list " + file.string() + " expires at " + format_utc(*next) + " (in " +
           std::to_string(std::chrono::duration_cast<std::chrono::hours>(*next - now).count()) +
           " h): every terminal will be refused then unless you " + renew;
}

std::string format_utc(SystemClock::time_point when) {
    const std::time_t t = SystemClock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
    return text;
}

}  // namespace loyalty::sync
