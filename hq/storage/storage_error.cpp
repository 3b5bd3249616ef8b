#include "hq/storage/storage_error.hpp"

namespace loyalty::hq {
namespace {

class StorageCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "loyalty.storage"; }
    std::string message(int code) const override {
        switch (static_cast<StorageErrc>(code)) {
            case StorageErrc::not_found: return "not found";
            case StorageErrc::conflict: return "conflicts with what is held";
            case StorageErrc::invalid: return "invalid request";
            case StorageErrc::unavailable: return "database unavailable";
            case StorageErrc::full: return "no space left for the database";
            case StorageErrc::corrupt: return "stored data cannot be read";
        }
        return "storage error " + std::to_string(code);
    }
};

}  // namespace

const std::error_category& storage_category() noexcept {
    static const StorageCategory category;
    return category;
}

std::error_code make_error_code(StorageErrc code) noexcept {
    return {static_cast<int>(code), storage_category()};
}

}  // namespace loyalty::hq
