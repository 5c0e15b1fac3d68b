#include "storage/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/log.hpp"
#include "storage/read_cache.hpp"
#include "storage/sqlite/migrations.hpp"
#include "storage/sqlite/statement.hpp"
#include "storage/write_queue.hpp"

namespace storage {

using chat::Errc;
using chat::Error;
using chat::Result;
using sqlite::Connection;
using sqlite::SqliteError;

namespace {

// ---------------------------------------------------------------------------------------------
// SQL. Every statement the store runs is here; each is prepared once per connection and cached.

constexpr std::string_view kBegin = "BEGIN IMMEDIATE";
constexpr std::string_view kCommit = "COMMIT";
constexpr std::string_view kRollback = "ROLLBACK";
constexpr std::string_view kSavepoint = "SAVEPOINT w";
constexpr std::string_view kRollbackToSavepoint = "ROLLBACK TO w";
constexpr std::string_view kReleaseSavepoint = "RELEASE w";

constexpr std::string_view kPing = "SELECT 1";

constexpr std::string_view kFindUser =
    "SELECT email, name, profile_image, created_at, last_seen FROM users WHERE email = ?1";

// ?1: lower-cased needle, ?2: excluded email, ?3: limit. instr() makes the match literal.
constexpr std::string_view kSearchUsers = R"sql(
SELECT email, name, profile_image, created_at, last_seen FROM users
WHERE email <> ?2 AND (instr(lower(email), ?1) > 0 OR instr(lower(name), ?1) > 0)
ORDER BY CASE
           WHEN lower(email) = ?1 OR lower(name) = ?1 THEN 0
           WHEN instr(lower(email), ?1) = 1 OR instr(lower(name), ?1) = 1 THEN 1
           ELSE 2
         END,
         email
LIMIT ?3)sql";

constexpr std::string_view kUpsertUser = R"sql(
INSERT INTO users (email, name, profile_image, created_at) VALUES (?1, coalesce(?2, ''), ?3, ?4)
ON CONFLICT (email) DO UPDATE SET name = coalesce(?2, name),
                                  profile_image = coalesce(?3, profile_image)
RETURNING email, name, profile_image, created_at, last_seen)sql";

constexpr std::string_view kUserName = "SELECT name FROM users WHERE email = ?1";

constexpr std::string_view kSetLastSeen = "UPDATE users SET last_seen = ?2 WHERE email = ?1";

constexpr std::string_view kFindConversation = R"sql(
SELECT c.created_at, p.email FROM conversations c JOIN participants p ON p.conversation_id = c.id
WHERE c.id = ?1 ORDER BY p.email)sql";

constexpr std::string_view kConversationExists = "SELECT 1 FROM conversations WHERE id = ?1";

constexpr std::string_view kConversationByPair =
    "SELECT id, created_at FROM conversations WHERE pair_key = ?1";

constexpr std::string_view kInsertConversation = R"sql(
INSERT INTO conversations (id, pair_key, created_at) VALUES (?1, ?2, ?3))sql";

constexpr std::string_view kInsertParticipant = R"sql(
INSERT INTO participants (conversation_id, email, unread_count) VALUES (?1, ?2, 0))sql";

// The user's rows from participants_by_user, each joined to its conversation by primary key;
// by_activity sorts them (SQLite's sorter costs more than std::sort of a user's few
// conversations). The participants come from pair_key (the sorted emails joined by '\n'), not
// from a correlated subquery per row.
constexpr std::string_view kListConversations = R"sql(
SELECT c.id, c.created_at, c.last_message, c.last_message_time, c.last_message_sender,
       me.unread_count, c.pair_key
FROM participants me JOIN conversations c ON c.id = me.conversation_id
WHERE me.email = ?1)sql";

constexpr std::string_view kContacts = R"sql(
SELECT DISTINCT p.email
FROM participants me JOIN participants p ON p.conversation_id = me.conversation_id
WHERE me.email = ?1 AND p.email <> ?1
ORDER BY p.email)sql";

constexpr std::string_view kListMessages = R"sql(
SELECT id, conversation_id, sender_email, sender_name, body, created_at, type, reply_to, edited
FROM messages WHERE conversation_id = ?1
ORDER BY seq DESC LIMIT ?2 OFFSET ?3)sql";

constexpr std::string_view kMessageConversation =
    "SELECT conversation_id FROM messages WHERE id = ?1";

constexpr std::string_view kInsertMessage = R"sql(
INSERT INTO messages (id, conversation_id, sender_email, sender_name, body, type, reply_to,
                      created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))sql";

constexpr std::string_view kSetLastMessage = R"sql(
UPDATE conversations
SET last_message = ?2, last_message_time = ?3, last_message_sender = ?4
WHERE id = ?1)sql";

// The recipient's row, by its full primary key; no indexed column changes.
constexpr std::string_view kCountUnread = R"sql(
UPDATE participants SET unread_count = unread_count + 1
WHERE conversation_id = ?1 AND email = ?2)sql";

constexpr std::string_view kMarkRead = R"sql(
UPDATE participants SET unread_count = 0, last_read_at = ?3
WHERE conversation_id = ?1 AND email = ?2)sql";

// ---------------------------------------------------------------------------------------------
// Errors and row decoding.

// A stored value that cannot be decoded (corrupt or foreign data).
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Error to_error(const SqliteError& e) {
  switch (e.code()) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
    case SQLITE_INTERRUPT:
      return chat::make_error(Errc::unavailable, std::string("database unavailable: ") + e.what());
    default:
      return chat::make_error(Errc::internal, std::string("database error: ") + e.what());
  }
}

Error current_exception_error() {
  try {
    throw;
  } catch (const SqliteError& e) {
    return to_error(e);
  } catch (const std::exception& e) {
    return chat::make_error(Errc::internal, std::string("storage error: ") + e.what());
  } catch (...) {
    return chat::make_error(Errc::internal, "storage error: unknown exception");
  }
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Reads an id column in place (no std::string copy).
base::ObjectId parse_id_column(const sqlite::Query& q, int col) {
  auto hex = q.view(col);
  auto id = base::ObjectId::parse(hex);
  if (!id) throw DataError("stored id is not an ObjectId: '" + std::string(hex) + "'");
  return *id;
}

chat::User read_user(const sqlite::Query& q) {
  return chat::User{q.text(0), q.text(1), q.opt_text(2), q.int64(3), q.opt_int64(4)};
}

chat::Message read_message(const sqlite::Query& q) {
  chat::Message m;
  m.id = parse_id_column(q, 0);
  m.conversation_id = parse_id_column(q, 1);
  m.sender_email = q.text(2);
  m.sender_name = q.text(3);
  m.body = q.text(4);
  m.timestamp = q.int64(5);
  auto type = chat::parse_message_type(q.view(6));
  if (!type) throw DataError("stored message type is unknown: '" + q.text(6) + "'");
  m.type = *type;
  if (!q.is_null(7)) m.reply_to = parse_id_column(q, 7);
  m.edited = q.int64(8) != 0;
  return m;
}

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto nl = s.find('\n');
    out.emplace_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

// A user's conversations, newest activity first (the last message, else the creation), then the
// newer id. The keys are sorted, then the summaries moved once into that order (sorting the
// summaries themselves moves their strings and vectors at every step).
std::vector<chat::ConversationSummary> by_activity(std::vector<chat::ConversationSummary> list) {
  struct Key {
    chat::UnixMillis activity;
    base::ObjectId id;
    std::size_t index;
  };
  std::vector<Key> keys;
  keys.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i)
    keys.push_back({list[i].last_message_time.value_or(list[i].conversation.created_at),
                    list[i].conversation.id, i});
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return a.activity != b.activity ? a.activity > b.activity : a.id > b.id;
  });
  std::vector<chat::ConversationSummary> sorted;
  sorted.reserve(list.size());
  for (const auto& k : keys) sorted.push_back(std::move(list[k.index]));
  return sorted;
}

const char* synchronous_pragma(Synchronous s) {
  switch (s) {
    case Synchronous::off:
      return "PRAGMA synchronous = OFF";
    case Synchronous::normal:
      return "PRAGMA synchronous = NORMAL";
    case Synchronous::full:
      return "PRAGMA synchronous = FULL";
    case Synchronous::extra:
      return "PRAGMA synchronous = EXTRA";
  }
  return "PRAGMA synchronous = FULL";
}

// ---------------------------------------------------------------------------------------------
// Write operations. Run on the writer thread inside the batch transaction. A write that fails after
// changing rows is undone (see Impl::run_batch), so each write is all or nothing.

Error self_conversation() {
  return chat::make_error(Errc::self_conversation, "cannot start a conversation with yourself");
}

// The writer connection and what the writer remembers between writes. Only the writer thread
// touches it, and only the writer changes the rows behind it, so it cannot go stale. What a write
// adds is provisional until its transaction commits: a write or a batch that is rolled back takes
// its additions back out.
class Writer {
 public:
  struct Conv {
    chat::ConversationId id;
    std::string hex;
    chat::UnixMillis created_at = 0;
  };

  Writer(Connection& c, ReadCache* cache) : db(c), cache_(cache) {}
  Connection& db;

  // What the running write changed, for the read cache once its batch commits.
  template <class Change>
  void changed(Change&& c) {
    if (cache_ != nullptr) op_changes_.emplace_back(std::forward<Change>(c));
  }
  bool caching() const { return cache_ != nullptr; }

  // pair_key -> conversation. Conversations are never deleted and their pair_key never changes.
  const Conv* conversation(const std::string& pair_key) const {
    auto it = conversations_.find(pair_key);
    return it == conversations_.end() ? nullptr : &it->second;
  }
  const Conv& remember_conversation(const std::string& pair_key, Conv c) {
    if (conversations_.size() >= kMaxEntries) conversations_.clear();  // a cache, not a copy
    auto it = conversations_.insert_or_assign(pair_key, std::move(c)).first;
    op_added_.emplace_back(Kind::conversation, pair_key);
    return it->second;
  }
  // email -> name of an existing user. Users are never deleted; only upsert_user renames them.
  const std::string* user_name(const std::string& email) const {
    auto it = names_.find(email);
    return it == names_.end() ? nullptr : &it->second;
  }
  const std::string& remember_user(const std::string& email, std::string name) {
    if (names_.size() >= kMaxEntries) names_.clear();
    auto it = names_.insert_or_assign(email, std::move(name)).first;
    op_added_.emplace_back(Kind::user, email);
    return it->second;
  }

  void op_succeeded() {
    for (auto& k : op_added_) batch_added_.push_back(std::move(k));
    op_added_.clear();
    for (auto& c : op_changes_) batch_changes_.push_back(std::move(c));
    op_changes_.clear();
  }
  void op_rolled_back() {
    forget(op_added_);
    op_changes_.clear();
  }
  // Just before COMMIT: from here until the changes are applied, readers that miss do not fill
  // the cache (they may read the rows with or without this batch).
  void committing() {
    if (cache_ != nullptr && !batch_changes_.empty()) {
      cache_->begin_commit();
      commit_begun_ = true;
    }
  }
  // Before the batch's callbacks run: a caller told its write succeeded reads it back.
  void batch_committed() {
    op_added_.clear();
    batch_added_.clear();
    if (commit_begun_) cache_->end_commit(batch_changes_);
    commit_begun_ = false;
    op_changes_.clear();
    batch_changes_.clear();
  }
  void batch_rolled_back() {
    forget(op_added_);
    forget(batch_added_);
    // COMMIT itself failed: whether the rows are in the database is not known here.
    if (commit_begun_) cache_->abandon_commit();
    commit_begun_ = false;
    op_changes_.clear();
    batch_changes_.clear();
  }

 private:
  enum class Kind { conversation, user };
  static constexpr std::size_t kMaxEntries = 1 << 16;
  void forget(std::vector<std::pair<Kind, std::string>>& keys) {
    for (auto& [kind, key] : keys) {
      if (kind == Kind::conversation) conversations_.erase(key);
      else names_.erase(key);
    }
    keys.clear();
  }
  ReadCache* cache_;
  bool commit_begun_ = false;
  std::vector<ReadCache::Change> op_changes_, batch_changes_;
  std::unordered_map<std::string, Conv> conversations_;
  std::unordered_map<std::string, std::string> names_;
  // Entries added by the running write, and by the earlier writes of the running batch.
  std::vector<std::pair<Kind, std::string>> op_added_, batch_added_;
};

std::string make_pair_key(const std::string& lo, const std::string& hi) {
  std::string k;
  k.reserve(lo.size() + 1 + hi.size());
  k += lo;
  k += '\n';
  k += hi;
  return k;
}

const Writer::Conv* find_conversation_by_pair(Writer& w, const std::string& pair_key) {
  if (const auto* c = w.conversation(pair_key)) return c;
  auto q = w.db.query(kConversationByPair);
  q.bind_ref(1, pair_key);
  if (!q.step()) return nullptr;
  Writer::Conv c{parse_id_column(q, 0), q.text(0), q.int64(1)};
  return &w.remember_conversation(pair_key, std::move(c));
}

const Writer::Conv& create_conversation(Writer& w, const std::string& pair_key,
                                        const std::string& lo, const std::string& hi,
                                        chat::UnixMillis now) {
  const auto id = base::ObjectId::generate();
  Writer::Conv c{id, id.hex(), now};
  w.db.query(kInsertConversation).bind(1, c.hex).bind(2, pair_key).bind(3, now).run();
  for (const auto* email : {&lo, &hi}) {
    w.db.query(kInsertParticipant).bind(1, c.hex).bind(2, *email).run();
  }
  return w.remember_conversation(pair_key, std::move(c));
}

// The user's name, or nullptr when there is no such user.
const std::string* find_user_name(Writer& w, const std::string& email) {
  if (const auto* n = w.user_name(email)) return n;
  auto q = w.db.query(kUserName);
  q.bind_ref(1, email);
  if (!q.step()) return nullptr;
  return &w.remember_user(email, q.text(0));
}

Result<chat::User> do_upsert_user(Writer& w, const chat::UserUpsert& in) {
  auto q = w.db.query(kUpsertUser);
  q.bind(1, in.email).bind(2, in.name).bind(3, in.profile_image).bind(4, in.now);
  if (!q.step()) return chat::fail(chat::make_error(Errc::internal, "upsert returned no row"));
  auto user = read_user(q);
  q.run();  // finish the statement
  w.remember_user(user.email, user.name);
  w.changed(ReadCache::UserStored{user});
  return user;
}

Result<chat::Conversation> do_start_conversation(Writer& w, const std::string& a,
                                                 const std::string& b, chat::UnixMillis now) {
  if (a == b) return chat::fail(self_conversation());
  const auto& lo = std::min(a, b);
  const auto& hi = std::max(a, b);
  const auto pair_key = make_pair_key(lo, hi);
  const auto* c = find_conversation_by_pair(w, pair_key);
  const bool created = c == nullptr;
  if (created) c = &create_conversation(w, pair_key, lo, hi, now);
  chat::Conversation out{c->id, {lo, hi}, c->created_at};
  if (created) w.changed(ReadCache::ConversationCreated{out});
  return out;
}

Result<chat::AppendResult> do_append_message(Writer& w, chat::NewMessage& in) {
  if (in.sender_email == in.recipient_email) return chat::fail(self_conversation());
  auto& db = w.db;
  if (in.resolve_users) {
    const auto* sender_name = find_user_name(w, in.sender_email);
    if (sender_name == nullptr)
      return chat::fail(chat::make_error(Errc::user_not_found, "Sender not found"));
    if (find_user_name(w, in.recipient_email) == nullptr)
      return chat::fail(chat::make_error(Errc::recipient_not_found, "Recipient not found"));
    in.sender_name = *sender_name;
  }
  const auto& lo = std::min(in.sender_email, in.recipient_email);
  const auto& hi = std::max(in.sender_email, in.recipient_email);
  const auto pair_key = make_pair_key(lo, hi);
  const auto* conv = find_conversation_by_pair(w, pair_key);

  // Checked before anything is written: a reply needs an existing conversation.
  std::optional<std::string> reply_hex;
  if (in.reply_to) {
    reply_hex = in.reply_to->hex();
    auto q = db.query(kMessageConversation);
    q.bind_ref(1, *reply_hex);
    if (conv == nullptr || !q.step() || q.view(0) != conv->hex) {
      return chat::fail(
          chat::invalid("reply_to", "reply_to must reference a message of the same conversation"));
    }
  }
  const bool created = conv == nullptr;
  if (created) conv = &create_conversation(w, pair_key, lo, hi, in.timestamp);

  const auto id_hex = in.id.hex();
  db.query(kInsertMessage)
      .bind_ref(1, id_hex)
      .bind_ref(2, conv->hex)
      .bind_ref(3, in.sender_email)
      .bind_ref(4, in.sender_name)
      .bind_ref(5, in.body)
      .bind_ref(6, chat::to_string(in.type))
      .bind_ref(7, reply_hex)
      .bind(8, in.timestamp)
      .run();
  db.query(kSetLastMessage)
      .bind_ref(1, conv->hex)
      .bind_ref(2, in.body)
      .bind(3, in.timestamp)
      .bind_ref(4, in.sender_email)
      .run();
  // A direct conversation's participants are the pair; the recipient has one more unread message.
  db.query(kCountUnread).bind_ref(1, conv->hex).bind_ref(2, in.recipient_email).run();

  chat::Message m{in.id,   conv->id,     in.sender_email, in.sender_name,
                  in.body, in.timestamp, in.type,         in.reply_to,
                  false};
  chat::Conversation c{conv->id, {lo, hi}, conv->created_at};
  if (w.caching())
    w.changed(ReadCache::MessageAppended{std::make_shared<const chat::Message>(m), c, created});
  return chat::AppendResult{std::move(m), std::move(c), created};
}

Result<chat::Done> do_mark_read(Writer& w, const chat::ConversationId& id,
                                const std::string& email, chat::UnixMillis now) {
  auto& db = w.db;
  const auto hex = id.hex();
  db.query(kMarkRead).bind(1, hex).bind(2, email).bind(3, now).run();
  if (db.changes() > 0) {
    w.changed(ReadCache::MarkedRead{id, email});
    return chat::Done{};
  }
  auto q = db.query(kConversationExists);
  q.bind(1, hex);
  if (q.step()) {
    return chat::fail(chat::make_error(Errc::forbidden, "not a participant of this conversation"));
  }
  return chat::fail(chat::make_error(Errc::conversation_not_found, "conversation not found"));
}

Result<chat::Done> do_set_last_seen(Writer& w, const std::string& email,
                                    chat::UnixMillis when) {
  auto& db = w.db;
  db.query(kSetLastSeen).bind(1, email).bind(2, when).run();
  if (db.changes() == 0) return chat::fail(chat::make_error(Errc::user_not_found, "no such user"));
  w.changed(ReadCache::LastSeen{email, when});
  return chat::Done{};
}

// A queued write: runs inside the batch transaction, then reports to its callback.
class WriteOp {
 public:
  virtual ~WriteOp() = default;
  // Never throws. May run more than once (a batch is re-run when a write fails half-way).
  virtual void execute(Writer& w) = 0;
  virtual bool ok() const = 0;
  virtual std::optional<Error> error() const = 0;
  virtual void fail(Error e) = 0;
  virtual void deliver() = 0;  // never throws
};

template <class T, class Body>
class TypedOp final : public WriteOp {
 public:
  TypedOp(Body body, chat::Callback<T> done) : body_(std::move(body)), done_(std::move(done)) {}

  void execute(Writer& w) override {
    try {
      result_.emplace(body_(w));
    } catch (...) {
      result_.emplace(chat::fail(current_exception_error()));
    }
  }
  bool ok() const override { return result_ && result_->ok(); }
  std::optional<Error> error() const override {
    if (!result_ || result_->ok()) return std::nullopt;
    return result_->error();
  }
  void fail(Error e) override { result_.emplace(chat::fail(std::move(e))); }
  void deliver() override {
    if (!result_) result_.emplace(chat::fail(chat::make_error(Errc::internal, "write not run")));
    if (!done_) return;
    try {
      done_(std::move(*result_));
    } catch (const std::exception& e) {
      spdlog::error("storage: write callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("storage: write callback threw");
    }
  }

 private:
  Body body_;
  chat::Callback<T> done_;
  std::optional<Result<T>> result_;
};

// Read connections shared by all reader threads.
class ReaderPool {
 public:
  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.release(std::move(conn_)); }
    Connection& operator*() { return *conn_; }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Connection> conn_;
  };

  void add(std::unique_ptr<Connection> c) { idle_.push_back(std::move(c)); }

  Lease acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty(); });
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(c));
  }

 private:
  void release(std::unique_ptr<Connection> c) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(c));
    }
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// An exclusive lock on "<database>.lock" for the store's lifetime: the read cache is only right
// while this store is the database's one writer, so a second natter on the same file is refused
// (as PostgreSQL refuses a second postmaster on a data directory). Released by the kernel when the
// process dies, so a crash leaves nothing to clean up.
class ProcessLock {
 public:
  ProcessLock() = default;
  explicit ProcessLock(const std::string& db_path) : path_(db_path + ".lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw std::runtime_error("cannot create lock file " + path_ + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      std::string holder(32, '\0');
      const auto n = ::pread(fd_, holder.data(), holder.size(), 0);
      holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK)
        throw std::runtime_error("the database is in use by another process" +
                                 (holder.empty() ? "" : " (pid " + holder + ")") + ", lock file " +
                                 path_ + "; one natter process serves a SQLite database");
      throw std::runtime_error("cannot lock " + path_ + ": " + std::strerror(err));
    }
    const auto pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) == 0 && ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
      // the pid is for people; the lock is what counts
    }
  }
  ProcessLock(ProcessLock&& o) noexcept : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)) {}
  ProcessLock& operator=(ProcessLock&& o) noexcept {
    std::swap(path_, o.path_);
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~ProcessLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

void configure_common(Connection& db, const SqliteOptions& opts) {
  sqlite3_busy_timeout(db.handle(), std::max(0, opts.busy_timeout_ms));
  db.exec("PRAGMA foreign_keys = ON");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct SqliteStore::Impl {
  ProcessLock file_lock;  // first in, last out: held until the connections are closed
  SqliteOptions opts;
  std::unique_ptr<Connection> writer_db;
  std::unique_ptr<ReadCache> cache;       // null when disabled
  std::unique_ptr<Writer> writer_state;  // made in open(), before the writer thread starts
  ReaderPool readers;
  BatchQueue<std::unique_ptr<WriteOp>> queue;
  std::atomic<std::uint64_t> commits{0};
  std::mutex close_mu;
  std::thread writer;

  // Checkpoints run on their own thread and connection, so that copying WAL pages back into the
  // database (and its fsync) never sits inside a write's COMMIT: the writer's WAL hook only asks.
  std::unique_ptr<Connection> checkpoint_db;
  std::mutex checkpoint_mu;
  std::condition_variable checkpoint_cv;
  bool checkpoint_wanted = false;
  bool checkpoint_stop = false;
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> checkpointed_frames{0};  // WAL frames the checkpointer copied back
  // A checkpointer round: asked for by the writer (running), done (finished: the writer
  // checkpoints the frames committed since after its next commit), then idle again.
  enum class Round { idle, running, finished };
  std::atomic<Round> round{Round::idle};
  std::thread checkpointer;

  ~Impl() { close(); }

  // sqlite3_wal_hook, on the writer thread after each commit (replaces SQLite's auto-checkpoint).
  // The checkpointer copies the WAL's pages back while the writer goes on committing. The WAL can
  // only start over once a checkpoint has caught up before a write begins, so after each of the
  // checkpointer's rounds the writer finishes the job inline: a checkpoint of just the frames
  // committed since (a few pages and one small fsync). No new round is asked for until then, so
  // the two never compete for the checkpoint lock. If the WAL grows far past the threshold anyway
  // (a round that cannot keep up), the writer checkpoints inline.
  static int on_wal_commit(void* self, sqlite3* db, const char*, int wal_pages) {
    auto* impl = static_cast<Impl*>(self);
    const int threshold = impl->opts.checkpoint_pages;
    auto state = impl->round.load(std::memory_order_acquire);
    if (state == Round::finished) {
      impl->round.store(Round::idle, std::memory_order_release);
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (state == Round::idle && wal_pages >= threshold) {
      impl->round.store(Round::running, std::memory_order_release);
      {
        std::lock_guard lock(impl->checkpoint_mu);
        impl->checkpoint_wanted = true;
      }
      impl->checkpoint_cv.notify_one();
    } else if (wal_pages >= 8 * threshold) {
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    return SQLITE_OK;
  }

  void run_checkpointer() {
    std::unique_lock lock(checkpoint_mu);
    for (;;) {
      checkpoint_cv.wait(lock, [&] { return checkpoint_wanted || checkpoint_stop; });
      if (checkpoint_stop) return;
      checkpoint_wanted = false;
      lock.unlock();
      int wal_pages = 0, copied = 0;
      // PASSIVE: copies what no reader still needs, never waits for readers or the writer.
      const int rc = sqlite3_wal_checkpoint_v2(checkpoint_db->handle(), nullptr,
                                               SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
      if (rc == SQLITE_OK && wal_pages >= 0) {
        checkpoints.fetch_add(1, std::memory_order_relaxed);
        checkpointed_frames.fetch_add(static_cast<std::uint64_t>(std::max(copied, 0)),
                                      std::memory_order_relaxed);
        round.store(Round::finished, std::memory_order_release);  // the writer tops it up
      } else {
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
          spdlog::warn("storage: checkpoint failed: {}", sqlite3_errmsg(checkpoint_db->handle()));
        round.store(Round::idle, std::memory_order_release);  // ask again on a later commit
      }
      lock.lock();
    }
  }

  template <class F>
  auto read(F&& f) -> decltype(f(std::declval<Connection&>())) {
    try {
      auto lease = readers.acquire();
      return f(*lease);
    } catch (...) {
      return chat::fail(current_exception_error());
    }
  }

  template <class T, class Body>
  void submit(Body body, chat::Callback<T> done) {
    std::unique_ptr<WriteOp> op =
        std::make_unique<TypedOp<T, Body>>(std::move(body), std::move(done));
    if (!queue.try_push(op)) {
      op->fail(chat::make_error(Errc::unavailable, "store is closed"));
      op->deliver();  // on the caller's thread, no lock held
    }
  }

  void run_writer() {
    for (;;) {
      auto batch = queue.pop_batch(opts.max_batch);
      if (batch.empty()) return;  // closed and drained
      run_batch(batch);
      for (auto& op : batch) op->deliver();
    }
  }

  void fail_all(std::vector<std::unique_ptr<WriteOp>>& batch, const Error& e) {
    for (auto& op : batch) op->fail(e);
  }

  void rollback_quietly() {
    if (!writer_db->autocommit()) {
      try {
        writer_db->query(kRollback).run();
      } catch (const SqliteError& e) {
        spdlog::error("storage: rollback failed: {}", e.what());
      }
    }
  }

  // One transaction for the whole batch. Writes run without savepoints: a write that fails
  // before changing any row (validation, self-conversation, unknown conversation...) leaves
  // nothing to undo, and SQLite undoes a failed statement by itself. Only when a write fails
  // after changing rows is the transaction rolled back and the batch run again with one
  // savepoint per write, so that the failure is undone alone.
  void run_batch(std::vector<std::unique_ptr<WriteOp>>& batch) {
    if (!run_batch_once(batch, /*savepoints=*/false)) run_batch_once(batch, /*savepoints=*/true);
  }

  // False when a write failed half-way without savepoints (the transaction is rolled back and no
  // result is final); true when every write of the batch has its final result.
  bool run_batch_once(std::vector<std::unique_ptr<WriteOp>>& batch, bool savepoints) {
    auto& db = *writer_db;
    try {
      db.query(kBegin).run();
    } catch (...) {
      fail_all(batch, current_exception_error());
      rollback_quietly();
      return true;
    }
    try {
      for (auto& op : batch) {
        if (savepoints) db.query(kSavepoint).run();
        const auto changes_before = db.total_changes();
        op->execute(*writer_state);
        if (db.autocommit()) {
          // SQLite rolled back the whole transaction on its own (e.g. disk full, I/O error):
          // every write of the batch is lost, including the ones that had succeeded.
          writer_state->batch_rolled_back();
          auto e = chat::make_error(Errc::unavailable, "write transaction aborted");
          if (auto cause = op->error();
              cause && (cause->code == Errc::unavailable || cause->code == Errc::internal)) {
            e = *cause;
          }
          spdlog::error("storage: write batch of {} aborted: {}", batch.size(), e.message);
          fail_all(batch, e);
          return true;
        }
        if (op->ok()) {
          writer_state->op_succeeded();
        } else if (savepoints) {
          db.query(kRollbackToSavepoint).run();
          writer_state->op_rolled_back();
        } else if (db.total_changes() != changes_before) {
          writer_state->batch_rolled_back();
          db.query(kRollback).run();
          return false;
        } else {
          writer_state->op_rolled_back();  // it changed nothing
        }
        if (savepoints) db.query(kReleaseSavepoint).run();
      }
      if (opts.before_commit) opts.before_commit();
      writer_state->committing();
      db.query(kCommit).run();
      writer_state->batch_committed();
      commits.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
      writer_state->batch_rolled_back();
      auto e = current_exception_error();
      spdlog::error("storage: write batch of {} failed: {}", batch.size(), e.message);
      fail_all(batch, e);
      rollback_quietly();
    }
    return true;
  }

  void close() {
    queue.close();
    std::lock_guard lock(close_mu);
    if (writer.joinable() && writer.get_id() != std::this_thread::get_id()) writer.join();
    {
      std::lock_guard ck(checkpoint_mu);
      checkpoint_stop = true;
    }
    checkpoint_cv.notify_one();
    if (checkpointer.joinable() && checkpointer.get_id() != std::this_thread::get_id())
      checkpointer.join();
  }
};

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() { close(); }

int SqliteStore::schema_version() { return sqlite::latest_schema_version(); }

std::uint64_t SqliteStore::checkpoints() const {
  return impl_->checkpoints.load(std::memory_order_relaxed);
}

std::uint64_t SqliteStore::checkpointed_frames() const {
  return impl_->checkpointed_frames.load(std::memory_order_relaxed);
}

std::uint64_t SqliteStore::commits() const {
  return impl_->commits.load(std::memory_order_relaxed);
}

std::unique_ptr<SqliteStore> SqliteStore::open(SqliteOptions opts) {
  const std::string where = "cannot open SQLite store '" + opts.path + "': ";
  if (opts.path.empty()) throw std::runtime_error(where + "empty path");
  if (opts.reader_connections < 1) throw std::runtime_error(where + "reader_connections < 1");
  if (opts.max_batch < 1) throw std::runtime_error(where + "max_batch < 1");

  // No global allocation statistics (nothing here reads them): without them SQLite's malloc takes
  // no global mutex. Only possible before SQLite initialises; SQLITE_MISUSE afterwards is harmless.
  static const int memstatus_off [[maybe_unused]] = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

  auto impl = std::make_unique<Impl>();
  try {
    // A URI names its file in its own syntax (and may be shared on purpose): not locked.
    if (opts.path.rfind("file:", 0) != 0) impl->file_lock = ProcessLock(opts.path);
    impl->writer_db = std::make_unique<Connection>(
        opts.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI);
    auto& w = *impl->writer_db;
    if (opts.cache_bytes > 0)
      impl->cache = std::make_unique<ReadCache>(opts.cache_bytes, std::max<std::size_t>(opts.cache_tail, 1));
    impl->writer_state = std::make_unique<Writer>(w, impl->cache.get());
    if (sqlite3_db_readonly(w.handle(), "main") == 1)
      throw std::runtime_error(where + "the database file is read-only");
    configure_common(w, opts);
    const auto mode = w.scalar_text("PRAGMA journal_mode = WAL");
    if (mode != "wal") {
      throw std::runtime_error(where + "cannot use WAL journal mode (got '" + mode +
                               "'); an on-disk database file is required");
    }
    w.exec(synchronous_pragma(opts.synchronous));
    sqlite::migrate(w);

    impl->checkpoint_db =
        std::make_unique<Connection>(opts.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI);
    configure_common(*impl->checkpoint_db, opts);
    impl->checkpoint_db->exec("PRAGMA wal_autocheckpoint = 0");
    impl->checkpoint_db->exec(synchronous_pragma(opts.synchronous));  // its fsyncs, as configured
    // A connection learns that the file is in WAL mode, and opens the WAL, on its first read; until
    // then sqlite3_wal_checkpoint_v2 on it returns SQLITE_OK having done nothing (log size -1).
    impl->checkpoint_db->scalar_int("PRAGMA user_version");

    for (int i = 0; i < opts.reader_connections; ++i) {
      auto r = std::make_unique<Connection>(opts.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
      configure_common(*r, opts);
      r->scalar_int("PRAGMA user_version");  // fail now, not on the first request
      impl->readers.add(std::move(r));
    }
  } catch (const SqliteError& e) {
    throw std::runtime_error(where + e.what());
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    if (msg.rfind(where, 0) == 0) throw;
    throw std::runtime_error(where + msg);
  }
  impl->opts = std::move(opts);
  auto* raw = impl.get();
  sqlite3_wal_hook(raw->writer_db->handle(), &Impl::on_wal_commit, raw);
  impl->checkpointer = std::thread([raw] { raw->run_checkpointer(); });
  impl->writer = std::thread([raw] { raw->run_writer(); });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

void SqliteStore::close() { impl_->close(); }

// ---- Reads ------------------------------------------------------------------------------------

Result<std::optional<chat::User>> SqliteStore::find_user(std::string_view email) {
  auto* cache = impl_->cache.get();
  ReadCache::Generation gen = 0;
  if (cache != nullptr)
    if (auto u = cache->user(email, gen)) return std::optional<chat::User>(std::move(*u));
  return impl_->read([&](Connection& db) -> Result<std::optional<chat::User>> {
    auto q = db.query(kFindUser);
    q.bind_ref(1, email);
    if (!q.step()) return std::optional<chat::User>();
    auto u = read_user(q);
    if (cache != nullptr) cache->fill_user(u, gen);
    return std::optional<chat::User>(std::move(u));
  });
}

Result<std::vector<chat::User>> SqliteStore::search_users(std::string_view needle,
                                                          std::string_view exclude_email,
                                                          int limit) {
  return impl_->read([&](Connection& db) -> Result<std::vector<chat::User>> {
    std::vector<chat::User> out;
    if (limit <= 0) return out;
    auto q = db.query(kSearchUsers);
    q.bind(1, ascii_lower(needle)).bind(2, ascii_lower(exclude_email)).bind(3, limit);
    while (q.step()) out.push_back(read_user(q));
    return out;
  });
}

Result<std::optional<chat::Conversation>> SqliteStore::find_conversation(
    const chat::ConversationId& id) {
  auto* cache = impl_->cache.get();
  if (cache != nullptr)
    if (auto c = cache->conversation(id)) return std::optional<chat::Conversation>(std::move(*c));
  return impl_->read([&](Connection& db) -> Result<std::optional<chat::Conversation>> {
    auto q = db.query(kFindConversation);
    q.bind(1, id.hex());
    if (!q.step()) return std::optional<chat::Conversation>();
    chat::Conversation c{id, {}, q.int64(0)};
    do {
      c.participants.push_back(q.text(1));
    } while (q.step());
    if (cache != nullptr) cache->fill_conversation(c);  // never changes once created
    return std::optional<chat::Conversation>(std::move(c));
  });
}

Result<std::vector<chat::ConversationSummary>> SqliteStore::list_conversations(
    std::string_view email) {
  auto* cache = impl_->cache.get();
  ReadCache::Generation gen = 0;
  if (cache != nullptr)
    if (auto list = cache->conversations_of(email, gen)) return by_activity(std::move(*list));
  return impl_->read([&](Connection& db) -> Result<std::vector<chat::ConversationSummary>> {
    std::vector<chat::ConversationSummary> out;
    auto q = db.query(kListConversations);
    q.bind(1, email);
    while (q.step()) {
      chat::ConversationSummary s;
      s.conversation.id = parse_id_column(q, 0);
      s.conversation.created_at = q.int64(1);
      s.last_message = q.opt_text(2);
      s.last_message_time = q.opt_int64(3);
      s.last_message_sender = q.opt_text(4);
      s.unread_count = q.int64(5);
      s.conversation.participants = split_lines(q.view(6));
      std::sort(s.conversation.participants.begin(), s.conversation.participants.end());
      out.push_back(std::move(s));
    }
    if (cache != nullptr) cache->fill_conversations_of(email, out, gen);
    return by_activity(std::move(out));
  });
}

Result<std::vector<chat::Message>> SqliteStore::list_messages(const chat::ConversationId& id,
                                                              std::int64_t skip,
                                                              std::int64_t limit) {
  skip = std::max<std::int64_t>(skip, 0);
  if (limit <= 0) return std::vector<chat::Message>();
  auto* cache = impl_->cache.get();
  ReadCache::Generation gen = 0;
  if (cache != nullptr)
    if (auto msgs = cache->messages(id, skip, limit, gen)) return std::move(*msgs);
  // A page within the newest cache_tail messages reads the whole tail once, for the cache.
  const auto tail = cache != nullptr ? static_cast<std::int64_t>(cache->tail_length()) : 0;
  const bool fill = cache != nullptr && skip + limit <= tail;
  return impl_->read([&](Connection& db) -> Result<std::vector<chat::Message>> {
    std::vector<chat::Message> out;  // newest first
    const auto rows = fill ? tail : limit;
    out.reserve(static_cast<std::size_t>(std::min<std::int64_t>(rows, 256)));
    auto q = db.query(kListMessages);
    q.bind(1, id.hex()).bind(2, rows).bind(3, fill ? 0 : skip);
    while (q.step()) out.push_back(read_message(q));
    if (fill) {
      cache->fill_messages(id, out, static_cast<std::int64_t>(out.size()) < tail, gen);
      // Keep the requested page: [skip, skip + limit) of the newest-first rows.
      const auto n = static_cast<std::int64_t>(out.size());
      out.erase(out.begin() + std::min(n, skip + limit), out.end());
      out.erase(out.begin(), out.begin() + std::min(n, skip));
    }
    std::reverse(out.begin(), out.end());
    return out;
  });
}

Result<std::vector<std::string>> SqliteStore::contacts(std::string_view email) {
  return impl_->read([&](Connection& db) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    auto q = db.query(kContacts);
    q.bind(1, email);
    while (q.step()) out.push_back(q.text(0));
    return out;
  });
}

bool SqliteStore::healthy() {
  auto r = impl_->read([](Connection& db) -> Result<chat::Done> {
    auto q = db.query(kPing);
    if (!q.step()) return chat::fail(chat::make_error(Errc::internal, "no row"));
    return chat::Done{};
  });
  return r.ok();
}

// ---- Writes -----------------------------------------------------------------------------------

void SqliteStore::upsert_user(chat::UserUpsert in, chat::Callback<chat::User> done) {
  impl_->submit<chat::User>([in = std::move(in)](Writer& w) { return do_upsert_user(w, in); },
                            std::move(done));
}

void SqliteStore::start_conversation(std::string a, std::string b, chat::UnixMillis now,
                                     chat::Callback<chat::Conversation> done) {
  impl_->submit<chat::Conversation>(
      [a = std::move(a), b = std::move(b), now](Writer& w) {
        return do_start_conversation(w, a, b, now);
      },
      std::move(done));
}

void SqliteStore::append_message(chat::NewMessage in, chat::Callback<chat::AppendResult> done) {
  impl_->submit<chat::AppendResult>(
      [in = std::move(in)](Writer& w) mutable {
        // Id and timestamp are taken here, on the single writer, so that history order (commit
        // order), id order and timestamp order agree even under concurrent sends.
        static chat::UnixMillis last = 0;
        in.timestamp = std::max(base::now_millis(), last);
        last = in.timestamp;
        in.id = base::ObjectId::generate(static_cast<std::uint32_t>(in.timestamp / 1000));
        return do_append_message(w, in);
      },
      std::move(done));
}

void SqliteStore::mark_read(chat::ConversationId id, std::string email, chat::UnixMillis now,
                            chat::Callback<chat::Done> done) {
  impl_->submit<chat::Done>([id, email = std::move(email),
                             now](Writer& w) { return do_mark_read(w, id, email, now); },
                            std::move(done));
}

void SqliteStore::set_last_seen(std::string email, chat::UnixMillis when,
                                chat::Callback<chat::Done> done) {
  impl_->submit<chat::Done>([email = std::move(email),
                             when](Writer& w) { return do_set_last_seen(w, email, when); },
                            std::move(done));
}

}  // namespace storage
