#include "common/postgres/connection.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <libpq-fe.h>

namespace loyalty::pq {
namespace {

std::string trimmed(const char* message) {
    std::string text = message != nullptr ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

void ignore_notice(void*, const char*) {}

}  // namespace

std::string redact_url(std::string_view url) {
    std::string out{url};
    // postgresql://user:password@host/...
    if (const auto scheme = out.find("://"); scheme != std::string::npos) {
        const auto start = scheme + 3;
        const auto end = out.find_first_of("/?", start);
        const auto at = out.rfind('@', end == std::string::npos ? out.size() : end);
        if (at != std::string::npos && at > start) {
            const auto colon = out.find(':', start);
            if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
        }
    }
    // password=... as a URL parameter or a conninfo keyword
    for (std::size_t at = out.find("password="); at != std::string::npos; at = out.find("password=", at + 1)) {
        const auto value = at + 9;
        const auto end = out.find_first_of("& ", value);
        out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
    }
    return out;
}

// ---- Params -----------------------------------------------------------------------------------

Params& Params::add(std::int64_t value) {
    return add(std::string_view{std::to_string(value)});
}

Params& Params::add(std::uint64_t value) {
    return add(std::string_view{std::to_string(value)});
}

Params& Params::add(double value) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return add(std::string_view(buffer, ec == std::errc{} ? static_cast<std::size_t>(end - buffer) : 0));
}

Params& Params::add(bool value) {
    return add(std::string_view{value ? "true" : "false"});
}

Params& Params::add(std::string_view text) {
    values_.emplace_back(text);
    lengths_.push_back(static_cast<int>(text.size()));
    formats_.push_back(0);
    nulls_.push_back(false);
    return *this;
}

Params& Params::add(std::nullptr_t) {
    values_.emplace_back();
    lengths_.push_back(0);
    formats_.push_back(0);
    nulls_.push_back(true);
    return *this;
}

Params& Params::add(const std::optional<std::string>& text) {
    return text ? add(std::string_view{*text}) : add(nullptr);
}

Params& Params::add(const std::optional<std::int64_t>& value) {
    return value ? add(*value) : add(nullptr);
}

Params& Params::add_bytes(std::string_view bytes) {
    values_.emplace_back(bytes);
    lengths_.push_back(static_cast<int>(bytes.size()));
    formats_.push_back(1);
    nulls_.push_back(false);
    return *this;
}

std::vector<const char*> Params::pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (std::size_t i = 0; i < values_.size(); ++i)
        out.push_back(nulls_[i] ? nullptr : values_[i].data());
    return out;
}

// ---- Result -----------------------------------------------------------------------------------

void ResultDeleter::operator()(pg_result* result) const noexcept {
    PQclear(result);
}

int Result::rows() const noexcept {
    return PQntuples(result_.get());
}

int Result::columns() const noexcept {
    return PQnfields(result_.get());
}

void Result::check(int row, int column) const {
    if (row < 0 || row >= rows() || column < 0 || column >= columns()) {
        throw Error("", "no row " + std::to_string(row) + ", column " + std::to_string(column) + " in a result of " +
                            std::to_string(rows()) + " row(s) and " + std::to_string(columns()) + " column(s)");
    }
}

bool Result::is_null(int row, int column) const {
    check(row, column);
    return PQgetisnull(result_.get(), row, column) != 0;
}

std::string Result::text(int row, int column) const {
    check(row, column);
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t Result::int64(int row, int column) const {
    const std::string value = text(row, column);
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc{} || end != value.data() + value.size())
        throw Error("", "column " + std::to_string(column) + " is not an integer: \"" + value + "\"");
    return out;
}

double Result::real(int row, int column) const {
    const std::string value = text(row, column);
    double out = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc{} || end != value.data() + value.size())
        throw Error("", "column " + std::to_string(column) + " is not a number: \"" + value + "\"");
    return out;
}

bool Result::boolean(int row, int column) const {
    return text(row, column) == "t";
}

std::string Result::bytes(int row, int column) const {
    check(row, column);
    std::size_t length = 0;
    unsigned char* raw =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column)), &length);
    if (raw == nullptr) throw Error("", "column " + std::to_string(column) + " is not bytea");
    std::string out(reinterpret_cast<const char*>(raw), length);
    PQfreemem(raw);
    return out;
}

std::optional<std::string> Result::optional_text(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return text(row, column);
}

std::string Result::command() const {
    const char* tag = PQcmdStatus(result_.get());
    return tag != nullptr ? tag : "";
}

std::int64_t Result::affected() const {
    const char* tuples = PQcmdTuples(result_.get());
    return tuples != nullptr && *tuples != '\0' ? std::stoll(tuples) : 0;
}

// ---- CopyRows ---------------------------------------------------------------------------------

namespace {

void put_big_endian(std::string& out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
        out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

CopyRows::CopyRows() {
    // Signature, flags (no OIDs), header extension length.
    data_.append("PGCOPY\n\377\r\n\0", 11);
    put_big_endian(data_, 0, 4);
    put_big_endian(data_, 0, 4);
}

CopyRows& CopyRows::row(int fields) {
    put_big_endian(data_, static_cast<std::uint16_t>(fields), 2);
    ++rows_;
    return *this;
}

CopyRows& CopyRows::int64(std::int64_t value) {
    put_big_endian(data_, 8, 4);
    put_big_endian(data_, static_cast<std::uint64_t>(value), 8);
    return *this;
}

CopyRows& CopyRows::text(std::string_view text) {
    return bytes(text);
}

CopyRows& CopyRows::bytes(std::string_view bytes) {
    put_big_endian(data_, static_cast<std::uint32_t>(bytes.size()), 4);
    data_.append(bytes);
    return *this;
}

CopyRows& CopyRows::null() {
    put_big_endian(data_, 0xffffffffU, 4);
    return *this;
}

const std::string& CopyRows::finish() {
    if (!finished_) {
        put_big_endian(data_, 0xffff, 2);
        finished_ = true;
    }
    return data_;
}

// ---- Connection -------------------------------------------------------------------------------

void ConnectionDeleter::operator()(pg_conn* conn) const noexcept {
    PQfinish(conn);
}

Connection::Connection(const std::string& url)
    : url_(url), shown_url_(redact_url(url)), conn_(PQconnectdb(url.c_str())) {
    if (!conn_) throw Error("", "cannot connect to " + shown_url_ + ": out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw Error("08001", "cannot connect to " + shown_url_ + ": " + trimmed(PQerrorMessage(conn_.get())));
    }
    PQsetNoticeProcessor(conn_.get(), ignore_notice, nullptr);
}

Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

bool Connection::ok() const noexcept {
    return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

void Connection::reconnect() {
    prepared_.clear();
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw Error("08001", "cannot connect to " + shown_url_ + ": " + trimmed(PQerrorMessage(conn_.get())));
    }
}

void Connection::fail(pg_result* result, std::string_view context) const {
    std::string sqlstate;
    std::string message;
    if (result != nullptr) {
        if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) sqlstate = state;
        // The primary message only: DETAIL and CONTEXT can quote a row's values (a key, a failing
        // row with a customer's contact or card), which must not reach head office's log.
        const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
        message = trimmed(primary != nullptr ? primary : PQresultErrorMessage(result));
        PQclear(result);
    }
    if (message.empty()) message = trimmed(PQerrorMessage(conn_.get()));
    // libpq gives no SQLSTATE when the connection itself broke.
    if (sqlstate.empty() && PQstatus(conn_.get()) != CONNECTION_OK) sqlstate = "08006";
    std::string what{context};
    if (what.size() > 200) what = what.substr(0, 200) + "...";
    throw Error(sqlstate, what + ": " + message);
}

Result Connection::checked(pg_result* result, std::string_view context) const {
    const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result, context);
    return Result(result);
}

std::string Connection::exec(std::string_view sql) {
    const std::string text{sql};
    const Result result = checked(PQexec(conn_.get(), text.c_str()), sql);
    return result.command();
}

Result Connection::query(std::string_view sql, const Params& params) {
    const std::string text{sql};
    auto found = prepared_.find(text);
    if (found == prepared_.end()) {
        const std::string name = "loyalty_" + std::to_string(prepared_.size() + 1);
        checked(PQprepare(conn_.get(), name.c_str(), text.c_str(), params.size(), nullptr), sql);
        found = prepared_.emplace(text, name).first;
    }
    const auto values = params.pointers();
    return checked(PQexecPrepared(conn_.get(), found->second.c_str(), params.size(), values.data(), params.lengths(),
                                  params.formats(), 0),
                   sql);
}

std::optional<std::int64_t> Connection::query_int64(std::string_view sql, const Params& params) {
    const Result result = query(sql, params);
    if (result.empty() || result.columns() == 0 || result.is_null(0, 0)) return std::nullopt;
    return result.int64(0, 0);
}

std::optional<std::string> Connection::query_text(std::string_view sql, const Params& params) {
    const Result result = query(sql, params);
    if (result.empty() || result.columns() == 0 || result.is_null(0, 0)) return std::nullopt;
    return result.text(0, 0);
}

std::int64_t Connection::copy_in(std::string_view copy_sql, CopyRows& rows) {
    const std::string text{copy_sql};
    pg_result* started = PQexec(conn_.get(), text.c_str());
    if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN) fail(started, copy_sql);
    PQclear(started);
    const std::string& data = rows.finish();
    if (PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(conn_.get(), nullptr) != 1) {
        fail(nullptr, copy_sql);
    }
    std::int64_t copied = 0;
    std::optional<Error> failed;
    while (pg_result* result = PQgetResult(conn_.get())) {
        if (PQresultStatus(result) == PGRES_COMMAND_OK) {
            copied = Result(result).affected();
        } else if (!failed) {
            try {
                fail(result, copy_sql);
            } catch (const Error& e) {
                failed = e;
            }
        } else {
            PQclear(result);
        }
    }
    if (failed) throw *failed;
    return copied;
}

// ---- Transaction ------------------------------------------------------------------------------

Transaction::Transaction(Connection& connection, std::string_view begin) : connection_(connection) {
    connection_.exec(begin);
}

Transaction::~Transaction() {
    if (!open_) return;
    try {
        connection_.exec("ROLLBACK");
    } catch (const Error&) {
        // The connection is gone: the server has rolled the transaction back itself.
    }
}

void Transaction::commit() {
    open_ = false;
    // PostgreSQL answers COMMIT with ROLLBACK when a statement of the transaction had failed.
    if (const std::string tag = connection_.exec("COMMIT"); tag != "COMMIT")
        throw Error("25P02", "the transaction was rolled back, not committed (a statement in it failed)");
}

}  // namespace loyalty::pq
