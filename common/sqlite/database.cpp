#include "common/sqlite/database.hpp"

#include <sqlite3.h>

#include <cstring>

namespace loyalty::sqlite {
namespace {

class SqliteCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "sqlite"; }
    std::string message(int code) const override { return ::sqlite3_errstr(code); }
};

[[noreturn]] void throw_error(sqlite3* db, int code, std::string_view context) {
    std::string what{context};
    if (db != nullptr) {
        what += ": ";
        what += ::sqlite3_errmsg(db);
        code = ::sqlite3_extended_errcode(db);
    }
    throw Error(code, what);
}

}  // namespace

const std::error_category& sqlite_category() noexcept {
    static const SqliteCategory category;
    return category;
}

Error::Error(int extended_code, const std::string& what) : std::system_error(extended_code, sqlite_category(), what) {}

bool Error::is_disk_full() const noexcept {
    return primary_code() == SQLITE_FULL;
}
bool Error::is_constraint_violation() const noexcept {
    return primary_code() == SQLITE_CONSTRAINT;
}
bool Error::is_busy() const noexcept {
    return primary_code() == SQLITE_BUSY || primary_code() == SQLITE_LOCKED;
}
bool Error::is_corrupt() const noexcept {
    return primary_code() == SQLITE_CORRUPT || primary_code() == SQLITE_NOTADB;
}

void StatementDeleter::operator()(sqlite3_stmt* stmt) const noexcept {
    ::sqlite3_finalize(stmt);
}
void ConnectionDeleter::operator()(sqlite3* db) const noexcept {
    ::sqlite3_close_v2(db);
}

// ---- Statement -----------------------------------------------------------------------------------

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), sql_(sql) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc =
        ::sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    stmt_.reset(raw);
    if (rc != SQLITE_OK) throw_error(db, rc, "prepare \"" + sql_ + "\"");
    if (raw == nullptr) throw Error(SQLITE_MISUSE, "prepare \"" + sql_ + "\": no statement in the text");
    // Only white space and semicolons may follow the statement (the view need not end in NUL).
    const std::string_view rest =
        tail == nullptr ? std::string_view{} : sql.substr(static_cast<std::size_t>(tail - sql.data()));
    if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
        throw Error(SQLITE_MISUSE, "prepare \"" + sql_ + "\": more than one statement");
    }
}

Statement& Statement::bind(int index, std::int64_t value) {
    const int rc = ::sqlite3_bind_int64(stmt_.get(), index, value);
    if (rc != SQLITE_OK) throw_error(db_, rc, "bind parameter " + std::to_string(index) + " of \"" + sql_ + "\"");
    return *this;
}

Statement& Statement::bind_real(int index, double value) {
    const int rc = ::sqlite3_bind_double(stmt_.get(), index, value);
    if (rc != SQLITE_OK) throw_error(db_, rc, "bind parameter " + std::to_string(index) + " of \"" + sql_ + "\"");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    const int rc = ::sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK) throw_error(db_, rc, "bind parameter " + std::to_string(index) + " of \"" + sql_ + "\"");
    return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
    const int rc = ::sqlite3_bind_null(stmt_.get(), index);
    if (rc != SQLITE_OK) throw_error(db_, rc, "bind parameter " + std::to_string(index) + " of \"" + sql_ + "\"");
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& text) {
    return text ? bind(index, std::string_view{*text}) : bind(index, nullptr);
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
    const int rc = ::sqlite3_bind_blob64(stmt_.get(), index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) throw_error(db_, rc, "bind parameter " + std::to_string(index) + " of \"" + sql_ + "\"");
    return *this;
}

bool Statement::step() {
    const int rc = ::sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    // Rewind so the statement is usable again; the error is reported from the step's code.
    ::sqlite3_reset(stmt_.get());
    throw_error(db_, rc, "run \"" + sql_ + "\"");
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() noexcept {
    ::sqlite3_reset(stmt_.get());
    ::sqlite3_clear_bindings(stmt_.get());
}

std::int64_t Statement::column_int64(int index) const {
    return ::sqlite3_column_int64(stmt_.get(), index);
}

double Statement::column_real(int index) const {
    return ::sqlite3_column_double(stmt_.get(), index);
}

std::string Statement::column_text(int index) const {
    const auto* text = ::sqlite3_column_text(stmt_.get(), index);
    const int size = ::sqlite3_column_bytes(stmt_.get(), index);
    return text == nullptr ? std::string{} : std::string(reinterpret_cast<const char*>(text), size);
}

std::string Statement::column_blob(int index) const {
    const void* blob = ::sqlite3_column_blob(stmt_.get(), index);
    const int size = ::sqlite3_column_bytes(stmt_.get(), index);
    return blob == nullptr ? std::string{} : std::string(static_cast<const char*>(blob), size);
}

bool Statement::column_is_null(int index) const {
    return ::sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

bool Statement::column_is_text(int index) const {
    return ::sqlite3_column_type(stmt_.get(), index) == SQLITE_TEXT;
}

bool Statement::column_is_real(int index) const {
    return ::sqlite3_column_type(stmt_.get(), index) == SQLITE_FLOAT;
}

std::optional<std::string> Statement::column_optional_text(int index) const {
    if (column_is_null(index)) return std::nullopt;
    return column_text(index);
}

// ---- Database ------------------------------------------------------------------------------------

Database::Database(const std::filesystem::path& path, OpenMode mode) : path_(path) {
    int flags = SQLITE_OPEN_NOMUTEX;
    switch (mode) {
        case OpenMode::read_write_create: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
        case OpenMode::read_write: flags |= SQLITE_OPEN_READWRITE; break;
        case OpenMode::read_only: flags |= SQLITE_OPEN_READONLY; break;
    }
    sqlite3* raw = nullptr;
    const int rc = ::sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);
    if (rc != SQLITE_OK) {
        const std::string context = "open database " + path.string();
        if (raw == nullptr) throw Error(rc, context + ": " + ::sqlite3_errstr(rc));
        throw_error(raw, rc, context);
    }
    ::sqlite3_extended_result_codes(raw, 1);
}

void Database::exec(std::string_view sql) {
    const std::string text{sql};
    char* message = nullptr;
    const int rc = ::sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = "run \"" + text.substr(0, 200) + "\": " + (message ? message : ::sqlite3_errstr(rc));
        ::sqlite3_free(message);
        throw Error(::sqlite3_extended_errcode(db_.get()), what);
    }
}

Statement Database::prepare(std::string_view sql) {
    return Statement(db_.get(), sql);
}

Statement& Database::cached(std::string_view sql) {
    auto it = cache_.find(std::string{sql});
    if (it == cache_.end()) {
        it = cache_.emplace(std::string{sql}, std::make_unique<Statement>(db_.get(), sql)).first;
    } else {
        it->second->reset();
    }
    return *it->second;
}

std::optional<std::int64_t> Database::query_int64(std::string_view sql) {
    Statement& stmt = cached(sql);
    std::optional<std::int64_t> value;
    if (stmt.step() && !stmt.column_is_null(0)) value = stmt.column_int64(0);
    stmt.reset();
    return value;
}

std::optional<std::string> Database::query_text(std::string_view sql) {
    Statement& stmt = cached(sql);
    std::optional<std::string> value;
    if (stmt.step()) value = stmt.column_optional_text(0);
    stmt.reset();
    return value;
}

std::int64_t Database::last_insert_rowid() const noexcept {
    return ::sqlite3_last_insert_rowid(db_.get());
}
int Database::changes() const noexcept {
    return ::sqlite3_changes(db_.get());
}

// ---- Transaction ---------------------------------------------------------------------------------

Transaction::Transaction(Database& db, Kind kind) : db_(db) {
    db_.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction() {
    if (!open_) return;
    // A failed COMMIT may already have rolled back; ROLLBACK then fails harmlessly.
    ::sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace loyalty::sqlite
