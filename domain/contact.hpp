// A shopper's contact details as both the till and head office must treat them: phone numbers and
// e-mail addresses normalised one way, the display name a till shows, and the keyed lookup hashes
// that let a till find a shopper by phone or e-mail without holding either in the clear.
//
// Lookup keys: HMAC-SHA256 under the chain's contact key (made by head office, sent to the tills
// in the catalog, rotated with `loyalty-hq contact-key rotate`), over "phone:" or "email:" and the
// normalised value. Head office sends a till only these keys for customers enrolled elsewhere; the
// till hashes what the cashier types and compares. What this costs an attacker who holds a till:
// docs/local-store.md "Contact details at the till". Plain functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace loyalty::domain {

// "+44 20 7946-0958" -> "+442079460958"; nullopt unless it is + and 8 to 15 digits.
std::optional<std::string> normalize_phone(std::string_view phone);
// Trimmed, lower case; nullopt unless it looks like local@domain.tld.
std::optional<std::string> normalize_email(std::string_view email);

// "Jane D.": the given name and the family name's initial ("" when both are empty).
std::string display_name(std::string_view given_name, std::string_view family_name);

enum class ContactKind { phone, email };
// The lookup key of an already normalised value (32 bytes); empty when `value` or `key` is empty.
std::string contact_lookup_key(std::string_view key, ContactKind kind, std::string_view normalized);

}  // namespace loyalty::domain
