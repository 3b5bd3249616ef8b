// RevocationList: the chain CA's certificate revocation list (CRL), as both sides of sync use it
// (spec §4, docs/sync-protocol.md "Revocation").
//
// Head office reads it from its file (crl_file), polls the file for a new one, closes the links of
// the certificates a new list revokes and hands the list to every till. A till keeps the newest
// list it has checked (installed with it, or received from head office) and checks head office's
// certificate against it before it sends anything. A list is used only once it is known to be
// signed by the chain CA; a till never goes back to a list with a lower CRL number.
//
// Certificates are X509 from OpenSSL; the list holds its own reference. Every function that reads
// outside bytes throws std::runtime_error naming what it read and what is wrong.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct x509_st X509;
typedef struct X509_crl_st X509_CRL;

namespace loyalty::sync {

using Certificate = std::shared_ptr<X509>;

// The first certificate in a PEM file; throws naming the file.
Certificate read_certificate(const std::filesystem::path& file);
// "subject …, issuer …, serial …" for logs: who presented a certificate.
std::string describe_certificate(X509* certificate);
// The serial number in hexadecimal, as `openssl x509 -serial` and pki.sh print it.
std::string certificate_serial(X509* certificate);
// When the certificate stops being valid.
std::chrono::system_clock::time_point certificate_not_after(X509* certificate);

class RevocationList {
public:
    // PEM or DER bytes; `what` names where they came from in errors.
    static RevocationList parse(std::string_view bytes, const std::string& what);
    static RevocationList read_file(const std::filesystem::path& file);

    // Throws unless `ca` issued this list (issuer name and signature).
    void check_issued_by(X509* ca, const std::string& what) const;
    // The CRL number extension (0 when absent); a newer list has a higher number.
    std::uint64_t number() const;
    std::chrono::system_clock::time_point this_update() const;
    // The time after which the list may no longer be relied on (nullopt: the list names none).
    std::optional<std::chrono::system_clock::time_point> next_update() const;
    bool expired(std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
    // True when `certificate` (issued by the same CA) is listed.
    bool revokes(X509* certificate) const;
    // The list as DER, what is sent to the tills and kept by them.
    std::string der() const;
    // "number 4097, next update 2026-12-31 10:00 UTC" for logs and the fleet report.
    std::string summary() const;
    X509_CRL* native() const { return crl_.get(); }

private:
    explicit RevocationList(std::shared_ptr<X509_CRL> crl) : crl_(std::move(crl)) {}
    std::shared_ptr<X509_CRL> crl_;
};

// The list in `crl_file`, checked to be issued by the CA in `ca_file`; throws naming the file.
RevocationList read_checked_revocation_list(const std::filesystem::path& crl_file,
                                            const std::filesystem::path& ca_file);

// Why `candidate` may not replace `held` at a till, or nullopt when it may: it must be issued by
// `ca` and carry a higher CRL number than `held` (a list with an equal number is no news).
std::optional<std::string> refuse_revocation_list(const RevocationList& candidate, const RevocationList* held,
                                                  X509* ca);

// How long before its next update a list is warned of.
inline constexpr std::chrono::hours k_revocation_list_warning{7 * 24};

// Empty while `list` (read from `file`) is good for more than k_revocation_list_warning; otherwise
// what the operator must be told: when it expires or expired, and how to publish a new one.
std::string expiry_warning(const RevocationList& list, const std::filesystem::path& file,
                           std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// OpenSSL's queued errors as one line (and clears the queue); `fallback` when there are none.
std::string openssl_errors(const std::string& fallback);

// "2026-12-31 10:00 UTC".
std::string format_utc(std::chrono::system_clock::time_point when);

}  // namespace loyalty::sync
