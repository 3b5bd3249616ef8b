// Terminal certificates for benchmarks, issued in process by a CA that firmware-config/pki/pki.sh
// created (its ca.pem and ca.key): the same subject (O, OU = store, CN = terminal) and extensions as
// `pki.sh terminal`, but ~0.2 ms each instead of ~65 ms of openssl processes, so 10,000 terminals
// take seconds. Writes CA_DIR/TERMINAL.pem and CA_DIR/TERMINAL.key.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace loyalty::bench {

struct TerminalName {
    std::string store_id;
    std::string terminal_id;
};

// Throws std::runtime_error naming the OpenSSL step that failed.
void issue_terminal_certificates(const std::filesystem::path& ca_dir, const std::vector<TerminalName>& terminals);

}  // namespace loyalty::bench
