#pragma once
// Thin RAII layer over the SQLite C API: a connection with a prepared-statement cache, and a
// scoped query handle that binds, steps and reads columns. SQLite failures are thrown as
// SqliteError; the store converts them to chat::Error at its boundary.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace storage::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  // The primary result code (SQLITE_BUSY, SQLITE_CONSTRAINT, ...).
  int code() const { return code_ & 0xFF; }
  int extended_code() const { return code_; }

 private:
  int code_;
};

// A bound, executing use of a cached prepared statement. Resets the statement when it goes out of
// scope, so no read snapshot or lock outlives the query. Not copyable; borrowed from Connection.
class Query {
 public:
  Query(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // Parameters are 1-based, as in SQL (?1, ?2, ...).
  Query& bind(int i, std::string_view v);
  Query& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Query& bind(int i, std::int64_t v);
  Query& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  Query& bind_null(int i);
  // Binds without copying: `v` must stay valid until this Query is destroyed.
  Query& bind_ref(int i, std::string_view v);
  Query& bind_ref(int i, const std::string& v) { return bind_ref(i, std::string_view(v)); }
  Query& bind_ref(int i, const std::optional<std::string>& v) {
    return v ? bind_ref(i, *v) : bind_null(i);
  }
  template <class T>
  Query& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }

  // Advances to the next row: true when a row is available, false when done.
  bool step();
  // Runs a statement that returns no rows (or whose rows are ignored) to completion.
  void run();

  // Columns are 0-based.
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const;
  // The column's text without a copy; valid until the next step()/reset of this query.
  std::string_view view(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }
  std::optional<std::int64_t> opt_int64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
  }

 private:
  Query& bind_text(int i, std::string_view v, sqlite3_destructor_type lifetime);
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

// One SQLite connection. Used by one thread at a time (opened with SQLITE_OPEN_NOMUTEX).
class Connection {
 public:
  // flags: SQLITE_OPEN_* (NOMUTEX is added). Throws SqliteError.
  Connection(const std::string& path, int flags);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Returns a query over the cached statement for `sql`, preparing it on first use. `sql` must
  // outlive the connection (use string literals / static constants): its address and length key
  // the cache.
  Query query(std::string_view sql);
  // Runs one or more statements without caching (pragmas, DDL, transaction control).
  void exec(const char* sql);
  // Runs a single-row, single-column statement (e.g. "PRAGMA user_version") and returns column 0.
  std::int64_t scalar_int(const char* sql);
  std::string scalar_text(const char* sql);

  // Rows changed by the most recent INSERT/UPDATE/DELETE on this connection.
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  // Rows changed by INSERT/UPDATE/DELETE statements that completed on this connection so far (a
  // statement that failed and was undone adds nothing).
  std::int64_t total_changes() const { return sqlite3_total_changes64(db_); }
  // True outside an explicit transaction (also after SQLite rolled one back on its own).
  bool autocommit() const { return sqlite3_get_autocommit(db_) != 0; }
  sqlite3* handle() const { return db_; }

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_ = nullptr;
  struct SqlKeyHash {
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<const void*>()(s.data()) ^ s.size();
    }
  };
  struct SqlKeyEq {
    bool operator()(std::string_view a, std::string_view b) const noexcept {
      return a.data() == b.data() && a.size() == b.size();
    }
  };
  std::unordered_map<std::string_view, std::unique_ptr<sqlite3_stmt, StmtDeleter>, SqlKeyHash,
                     SqlKeyEq>
      cache_;
};

// Throws SqliteError built from the connection's current error message.
[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view context);

}  // namespace storage::sqlite
