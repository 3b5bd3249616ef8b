// RAII wrapper over one libpq connection, in the manner of common/sqlite: the connection,
// statements prepared once per connection and reused, parameters bound by type, results read by
// type, and a transaction that rolls back in its destructor unless committed.
//
// Why: head office's PostgreSQL backend (hq/storage/postgres/) needs libpq without <libpq-fe.h>
// in every header, every failure as an exception carrying PostgreSQL's SQLSTATE (so the backend
// can tell "database unavailable" from "this request is bad"), and URLs in messages without their
// password. Libpqxx 6.4 (Debian 12) has no pipeline mode, hence libpq itself.
//
// Threads: a Connection belongs to one thread at a time. Parameters are sent as text (bytes as
// binary); results come back as text and are converted on reading.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace loyalty::pq {

// A failed libpq call: what() names the operation and PostgreSQL's primary message (never its
// DETAIL, which may quote the values of a row); sqlstate() is the
// five-character SQLSTATE ("23505" unique violation, "08006" connection failure, ...), or "" when
// libpq gave none (the connection is gone).
class Error : public std::runtime_error {
public:
    Error(std::string sqlstate, const std::string& what) : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    // The class of the SQLSTATE: "23" integrity constraint, "08" connection, "53" resources, ...
    std::string_view sqlstate_class() const noexcept { return std::string_view{sqlstate_}.substr(0, 2); }
    bool is_unique_violation() const noexcept { return sqlstate_ == "23505"; }

private:
    std::string sqlstate_;
};

// The URL for messages and logs: any password in it replaced by "***".
std::string redact_url(std::string_view url);

// The values of one statement's $1, $2, ... in order.
class Params {
public:
    Params& add(std::int64_t value);
    Params& add(int value) { return add(static_cast<std::int64_t>(value)); }
    Params& add(std::uint64_t value);
    Params& add(double value);
    Params& add(bool value);
    Params& add(std::string_view text);
    Params& add(const std::string& text) { return add(std::string_view{text}); }
    Params& add(const char* text) { return add(std::string_view{text}); }
    Params& add(std::nullptr_t);
    Params& add(const std::optional<std::string>& text);
    Params& add(const std::optional<std::int64_t>& value);
    // A bytea value, sent in binary.
    Params& add_bytes(std::string_view bytes);

    template <typename... Args>
    static Params of(const Args&... args) {
        Params p;
        (p.add(args), ...);
        return p;
    }

    int size() const noexcept { return static_cast<int>(values_.size()); }
    // The arrays PQexecParams takes (valid until this object changes).
    std::vector<const char*> pointers() const;
    const int* lengths() const noexcept { return lengths_.data(); }
    const int* formats() const noexcept { return formats_.data(); }

private:
    std::vector<std::string> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<bool> nulls_;
};

struct ResultDeleter {
    void operator()(pg_result* result) const noexcept;
};

// The rows a statement returned (text format), read by 0-based row and column.
class Result {
public:
    explicit Result(pg_result* result) : result_(result) {}
    int rows() const noexcept;
    int columns() const noexcept;
    bool empty() const noexcept { return rows() == 0; }
    bool is_null(int row, int column) const;
    std::string text(int row, int column) const;
    std::int64_t int64(int row, int column) const;
    double real(int row, int column) const;
    bool boolean(int row, int column) const;
    // A bytea column (hex text decoded).
    std::string bytes(int row, int column) const;
    std::optional<std::string> optional_text(int row, int column) const;
    // Rows an INSERT, UPDATE or DELETE touched.
    std::int64_t affected() const;
    // The command tag: "INSERT 0 1", "COMMIT", ...
    std::string command() const;

private:
    void check(int row, int column) const;
    std::unique_ptr<pg_result, ResultDeleter> result_;
};

// Rows for COPY ... FROM STDIN (FORMAT binary), built in memory: row(n), then n fields.
class CopyRows {
public:
    CopyRows();
    CopyRows& row(int fields);
    CopyRows& int64(std::int64_t value);
    CopyRows& text(std::string_view text);
    CopyRows& bytes(std::string_view bytes);
    CopyRows& null();
    std::size_t rows() const noexcept { return rows_; }
    // The whole stream, trailer included (no row may follow).
    const std::string& finish();

private:
    std::string data_;
    std::size_t rows_ = 0;
    bool finished_ = false;
};

struct ConnectionDeleter {
    void operator()(pg_conn* conn) const noexcept;
};

class Connection {
public:
    // Connects to a libpq URL ("postgresql://user@host/db", with the password from a file or the
    // libpq environment). Throws Error naming the URL without its password.
    explicit Connection(const std::string& url);
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    // Runs one or more statements without parameters; returns the last one's command tag
    // ("INSERT 0 1", "COMMIT", ...).
    std::string exec(std::string_view sql);
    // Runs one statement with `params` (prepared once per connection and reused).
    Result query(std::string_view sql, const Params& params = {});
    // The first column of the first row, or nullopt when there is none or it is NULL.
    std::optional<std::int64_t> query_int64(std::string_view sql, const Params& params = {});
    std::optional<std::string> query_text(std::string_view sql, const Params& params = {});
    // Runs `copy_sql` (COPY table (columns) FROM STDIN (FORMAT binary)) with `rows`; returns how
    // many rows were copied.
    std::int64_t copy_in(std::string_view copy_sql, CopyRows& rows);

    // Whether the connection is still up (after an error it may not be).
    bool ok() const noexcept;
    // Connects again with the same URL (prepared statements are prepared again on use).
    void reconnect();
    const std::string& url_for_messages() const noexcept { return shown_url_; }
    pg_conn* handle() const noexcept { return conn_.get(); }

private:
    [[noreturn]] void fail(pg_result* result, std::string_view context) const;
    Result checked(pg_result* result, std::string_view context) const;

    std::string url_;
    std::string shown_url_;
    std::unique_ptr<pg_conn, ConnectionDeleter> conn_;
    std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
};

// A transaction that rolls back in its destructor unless commit() was called.
class Transaction {
public:
    explicit Transaction(Connection& connection, std::string_view begin = "BEGIN");
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Connection& connection_;
    bool open_ = true;
};

}  // namespace loyalty::pq
