#pragma once
// storage::SqliteStore: chat::Store on SQLite.
//
// - WAL journal; reads run on a small pool of read-only connections and never wait for the writer.
// - Writes are queued to one writer thread that commits everything queued (up to max_batch) in one
//   BEGIN IMMEDIATE ... COMMIT (group commit: one fsync for many writes). Each write runs inside
//   its own SAVEPOINT, so a failing write is rolled back alone and gets its own error.
// - WAL checkpoints run on a thread of their own, outside the writer's commits.
// - The schema is versioned with PRAGMA user_version and migrated at open().
// - Hot reads are answered from a read cache the writer keeps current (SqliteOptions::cache_bytes).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "chat/store.hpp"

namespace storage {

// PRAGMA synchronous of the writer connection.
enum class Synchronous { off, normal, full, extra };

struct SqliteOptions {
  std::string path;                             // database file; its directory must exist
  Synchronous synchronous = Synchronous::full;  // durability: FULL by default
  int reader_connections = 4;                   // read-only connections shared by all threads
  std::size_t max_batch = 512;                  // max writes per group-commit transaction
  int busy_timeout_ms = 5000;                   // waits on locks held by other processes
  // Memory for the read cache (storage/read_cache.hpp) of users, conversations, conversation
  // lists and each conversation's newest `cache_tail` messages; 0 disables it. The cache assumes
  // this store is the only writer of the database (open() locks the file against other natters).
  std::size_t cache_bytes = std::size_t{64} << 20;
  std::size_t cache_tail = 64;
  // The writer asks for a checkpoint once the WAL holds this many pages; a checkpointer thread on
  // its own connection runs it (PASSIVE), never inside a write's COMMIT.
  int checkpoint_pages = 1000;
  // Test hook: runs on the writer thread inside every write transaction, after the batch's writes
  // and before COMMIT. Lets tests hold a write transaction open.
  std::function<void()> before_commit;
};

class SqliteStore final : public chat::Store {
 public:
  // Opens or creates the database, switches it to WAL, applies pending migrations and starts the
  // writer thread. Throws std::runtime_error with a clear message on failure (unopenable or
  // read-only path, not a database, schema newer than this program, bad options).
  static std::unique_ptr<SqliteStore> open(SqliteOptions opts);
  ~SqliteStore() override;  // close()s. Must not run on the writer thread (inside a callback).

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  chat::Result<std::optional<chat::User>> find_user(std::string_view email) override;
  chat::Result<std::vector<chat::User>> search_users(std::string_view needle,
                                                     std::string_view exclude_email,
                                                     int limit) override;
  chat::Result<std::optional<chat::Conversation>> find_conversation(
      const chat::ConversationId& id) override;
  chat::Result<std::vector<chat::ConversationSummary>> list_conversations(
      std::string_view email) override;
  chat::Result<std::vector<chat::Message>> list_messages(const chat::ConversationId& id,
                                                         std::int64_t skip,
                                                         std::int64_t limit) override;
  chat::Result<std::vector<std::string>> contacts(std::string_view email) override;
  bool healthy() override;

  void upsert_user(chat::UserUpsert in, chat::Callback<chat::User> done) override;
  void start_conversation(std::string a, std::string b, chat::UnixMillis now,
                          chat::Callback<chat::Conversation> done) override;
  void append_message(chat::NewMessage in, chat::Callback<chat::AppendResult> done) override;
  void mark_read(chat::ConversationId id, std::string email, chat::UnixMillis now,
                 chat::Callback<chat::Done> done) override;
  void set_last_seen(std::string email, chat::UnixMillis when,
                     chat::Callback<chat::Done> done) override;
  void close() override;

  // Write transactions committed so far (one per batch). For tests and metrics.
  std::uint64_t commits() const;
  // WAL checkpoints the checkpointer thread completed, and the WAL frames they copied back.
  std::uint64_t checkpoints() const;
  std::uint64_t checkpointed_frames() const;
  // The schema version this build migrates databases to.
  static int schema_version();

 private:
  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace storage
