// libFuzzer target: any bytes head office (or whoever pretends to be it) could send a till as a
// revocation list (Welcome.revocation_list, RevocationList.der), through RevocationList::parse and
// what the till then reads of it. Must never crash or leak; a list that parses must read back the
// same from its DER.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sync/revocation_list.hpp"

using namespace loyalty;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        const auto list = sync::RevocationList::parse(bytes, "fuzz");
        const std::uint64_t number = list.number();
        (void)list.this_update();
        (void)list.next_update();
        (void)list.expired();
        (void)list.summary();
        (void)sync::refuse_revocation_list(list, &list, nullptr);
        const std::string der = list.der();
        if (!der.empty() && sync::RevocationList::parse(der, "again").number() != number) std::abort();
    } catch (const std::exception&) {
        // refused with a message: what the till does with it
    }
    return 0;
}
