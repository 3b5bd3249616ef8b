// RAII wrapper over one SQLite connection: the handle, prepared statements and transactions.
//
// Why: the terminal's local store and head office's store both sit on SQLite; this keeps
// <sqlite3.h> out of every other header, makes every failure an exception that names the
// statement, and guarantees that a transaction left by an exception is rolled back.
//
// Ownership: a Database owns its connection and every Statement it caches; a Statement returned
// by prepare() must not outlive its Database. Threads: a Database and its statements belong to
// one thread (or strand) at a time; SQLite itself is built thread-safe, so separate Database
// objects on the same file may live on separate threads or processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "common/unix_ms.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace loyalty::sqlite {

// The category of SQLite result codes: error_code::value() is the extended result code.
const std::error_category& sqlite_category() noexcept;

// A failed SQLite call. what() names the operation, SQLite's message and, for statements, the
// SQL text; code() carries the extended result code in sqlite_category().
class Error : public std::system_error {
public:
    Error(int extended_code, const std::string& what);
    // The primary result code (SQLITE_FULL, SQLITE_CONSTRAINT, ...), without the extended bits.
    int primary_code() const noexcept { return code().value() & 0xff; }
    bool is_disk_full() const noexcept;
    bool is_constraint_violation() const noexcept;
    bool is_busy() const noexcept;
    bool is_corrupt() const noexcept;
};

struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const noexcept;
};

// One prepared statement. Bind parameters by 1-based index, step through rows, read columns by
// 0-based index. Text and blobs are copied on bind (SQLITE_TRANSIENT), so arguments need not
// outlive the call.
class Statement {
public:
    Statement(sqlite3* db, std::string_view sql);

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const std::string& text) { return bind(index, std::string_view{text}); }
    Statement& bind(int index, const char* text) { return bind(index, std::string_view{text}); }
    Statement& bind(int index, std::nullptr_t);
    // Binds text, or NULL when the optional is empty.
    Statement& bind(int index, const std::optional<std::string>& text);
    Statement& bind(int index, const std::optional<std::int64_t>& value);
    Statement& bind_blob(int index, std::string_view bytes);
    // A REAL (its own name: an int argument would match a double overload as well as int64).
    Statement& bind_real(int index, double value);

    // Binds every argument in order from index 1.
    template <typename... Args>
    Statement& bind_all(const Args&... args) {
        int index = 0;
        (bind(++index, args), ...);
        return *this;
    }

    // Advances to the next row: true when a row is ready to read, false when the statement is done.
    bool step();
    // Runs a statement that returns no rows (or whose rows are not wanted) to completion.
    void run();
    // Clears bindings and rewinds, ready to run again.
    void reset() noexcept;

    std::int64_t column_int64(int index) const;
    double column_real(int index) const;
    std::string column_text(int index) const;
    std::string column_blob(int index) const;
    bool column_is_null(int index) const;
    bool column_is_text(int index) const;
    bool column_is_real(int index) const;
    std::optional<std::string> column_optional_text(int index) const;

    std::string_view sql() const noexcept { return sql_; }

private:
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, StatementDeleter> stmt_;
    std::string sql_;
};

struct ConnectionDeleter {
    void operator()(sqlite3* db) const noexcept;
};

enum class OpenMode { read_write_create, read_write, read_only };

class Database {
public:
    // Opens (and with read_write_create, creates) the database. Extended result codes are on.
    explicit Database(const std::filesystem::path& path, OpenMode mode = OpenMode::read_write_create);

    Database(Database&&) noexcept = default;
    Database& operator=(Database&&) noexcept = default;

    // Runs one or more statements that return no rows.
    void exec(std::string_view sql);
    // A new prepared statement owned by the caller.
    Statement prepare(std::string_view sql);
    // A statement prepared once per Database and reused: it comes back reset with no bindings.
    // Do not hold two references to the same cached SQL at once.
    Statement& cached(std::string_view sql);

    // The first column of the first row of `sql`, or nullopt when it returns no row or NULL.
    std::optional<std::int64_t> query_int64(std::string_view sql);
    std::optional<std::string> query_text(std::string_view sql);

    std::int64_t last_insert_rowid() const noexcept;
    int changes() const noexcept;
    const std::filesystem::path& path() const noexcept { return path_; }
    sqlite3* handle() const noexcept { return db_.get(); }

private:
    std::filesystem::path path_;
    std::unique_ptr<sqlite3, ConnectionDeleter> db_;
    // Declared after db_ so the statements are finalized before the connection closes.
    std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// A transaction that rolls back in its destructor unless commit() was called. Immediate
// transactions take the write lock at BEGIN, so a writer never fails half-way on SQLITE_BUSY.
class Transaction {
public:
    enum class Kind { deferred, immediate };

    explicit Transaction(Database& db, Kind kind = Kind::immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

private:
    Database& db_;
    bool open_ = true;
};

// (The same helpers as loyalty::to_unix_ms / from_unix_ms, common/unix_ms.hpp.)
using loyalty::from_unix_ms;
using loyalty::to_unix_ms;

// Text that is stored as NULL when empty.
inline std::optional<std::string> null_if_empty(const std::string& text) {
    return text.empty() ? std::nullopt : std::optional{text};
}

}  // namespace loyalty::sqlite
