#include "storage/sqlite/statement.hpp"

#include <climits>

namespace storage::sqlite {

void throw_error(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(db ? sqlite3_extended_errcode(db) : rc, msg);
}

Query& Query::bind_text(int i, std::string_view v, sqlite3_destructor_type lifetime) {
  if (v.size() > static_cast<std::size_t>(INT_MAX))
    throw SqliteError(SQLITE_TOOBIG, "value too big");
  int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), lifetime);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

Query& Query::bind(int i, std::string_view v) { return bind_text(i, v, SQLITE_TRANSIENT); }

Query& Query::bind_ref(int i, std::string_view v) { return bind_text(i, v, SQLITE_STATIC); }

Query& Query::bind(int i, std::int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

Query& Query::bind_null(int i) {
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) throw_error(db_, rc, "bind");
  return *this;
}

bool Query::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error(db_, rc, "step");
}

void Query::run() {
  while (step()) {
  }
}

std::string Query::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (!p) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

Connection::Connection(const std::string& path, int flags) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "sqlite3_open_v2: ";
    msg += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    int code = db_ ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw SqliteError(code, msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close_v2(db_);
}

Query Connection::query(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) throw_error(db_, rc, "prepare");
    it = cache_.emplace(sql, std::unique_ptr<sqlite3_stmt, StmtDeleter>(s)).first;
  }
  return Query(it->second.get(), db_);
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(sqlite3_extended_errcode(db_), msg);
  }
}

namespace {
struct OneShot {
  sqlite3_stmt* s = nullptr;
  ~OneShot() { sqlite3_finalize(s); }
};
}  // namespace

std::int64_t Connection::scalar_int(const char* sql) {
  OneShot st;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr);
  if (rc != SQLITE_OK) throw_error(db_, rc, sql);
  rc = sqlite3_step(st.s);
  if (rc != SQLITE_ROW) throw_error(db_, rc, sql);
  return sqlite3_column_int64(st.s, 0);
}

std::string Connection::scalar_text(const char* sql) {
  OneShot st;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr);
  if (rc != SQLITE_OK) throw_error(db_, rc, sql);
  rc = sqlite3_step(st.s);
  if (rc != SQLITE_ROW) throw_error(db_, rc, sql);
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
  return p ? std::string(p) : std::string();
}

}  // namespace storage::sqlite
