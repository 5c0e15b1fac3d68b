#include "storage/sqlite/migrations.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace storage::sqlite {
namespace {

// Append new steps at the end; never edit a step that has shipped.
constexpr std::array<const char*, 3> kMigrations = {
    // 1: initial schema.
    R"sql(
CREATE TABLE users (
  email         TEXT PRIMARY KEY NOT NULL,   -- normalised (trimmed, lower-case)
  name          TEXT NOT NULL,
  profile_image TEXT,
  created_at    INTEGER NOT NULL,            -- Unix ms
  last_seen     INTEGER                      -- Unix ms
) WITHOUT ROWID;

CREATE TABLE conversations (
  id                  TEXT PRIMARY KEY NOT NULL,  -- 24-hex ObjectId
  pair_key            TEXT NOT NULL UNIQUE,       -- sorted participant emails joined by '\n'
  created_at          INTEGER NOT NULL,
  last_message        TEXT,
  last_message_time   INTEGER,
  last_message_sender TEXT,
  last_activity       INTEGER NOT NULL            -- last_message_time, else created_at
) WITHOUT ROWID;

CREATE TABLE participants (
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  email           TEXT NOT NULL,
  unread_count    INTEGER NOT NULL DEFAULT 0,
  last_read_at    INTEGER,
  last_activity   INTEGER NOT NULL,  -- copy of conversations.last_activity, for the index below
  PRIMARY KEY (conversation_id, email)
) WITHOUT ROWID;
-- list_conversations(email) ordered by activity, and contacts(email).
CREATE INDEX participants_by_user_activity
  ON participants (email, last_activity DESC, conversation_id DESC);

CREATE TABLE messages (
  seq             INTEGER PRIMARY KEY,          -- insertion order
  id              TEXT NOT NULL UNIQUE,         -- 24-hex ObjectId
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  sender_email    TEXT NOT NULL,
  sender_name     TEXT NOT NULL,
  body            TEXT NOT NULL,
  type            TEXT NOT NULL CHECK (type IN ('text', 'image', 'file')),
  reply_to        TEXT,                         -- 24-hex ObjectId of a message of this conversation
  created_at      INTEGER NOT NULL,
  edited          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
)sql",
    // 2: messages.type checked with comparisons. SQLite codes a CHECK of `IN` over three constants
    // with a temporary b-tree built on every INSERT (about a quarter of a send's SQLite cost).
    // A CHECK cannot be altered, so the table is rebuilt (rows, seq and ids unchanged).
    R"sql(
CREATE TABLE messages_v2 (
  seq             INTEGER PRIMARY KEY,          -- insertion order
  id              TEXT NOT NULL UNIQUE,         -- 24-hex ObjectId
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  sender_email    TEXT NOT NULL,
  sender_name     TEXT NOT NULL,
  body            TEXT NOT NULL,
  type            TEXT NOT NULL CHECK (type = 'text' OR type = 'image' OR type = 'file'),
  reply_to        TEXT,                         -- 24-hex ObjectId of a message of this conversation
  created_at      INTEGER NOT NULL,
  edited          INTEGER NOT NULL DEFAULT 0
);
INSERT INTO messages_v2 (seq, id, conversation_id, sender_email, sender_name, body, type, reply_to,
                         created_at, edited)
  SELECT seq, id, conversation_id, sender_email, sender_name, body, type, reply_to, created_at, edited
  FROM messages ORDER BY seq;
DROP TABLE messages;
ALTER TABLE messages_v2 RENAME TO messages;
CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);
)sql",
    // 3: a user's conversations are sorted by activity (last_message_time, else created_at) when
    // listed (a user has tens of conversations, not millions) instead of being kept in order by an
    // index over a copy of the activity time in every participant row: a message no longer
    // rewrites the sender's participant row nor moves two index entries; only the recipient's
    // unread count changes.
    R"sql(
DROP INDEX participants_by_user_activity;
ALTER TABLE participants DROP COLUMN last_activity;
ALTER TABLE conversations DROP COLUMN last_activity;
CREATE INDEX participants_by_user ON participants (email);
)sql",
};

}  // namespace

std::span<const char* const> migrations() { return kMigrations; }
int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

void migrate(Connection& db) {
  db.exec("BEGIN IMMEDIATE");
  try {
    const auto current = db.scalar_int("PRAGMA user_version");
    const auto latest = static_cast<std::int64_t>(kMigrations.size());
    if (current > latest) {
      throw std::runtime_error("database schema version " + std::to_string(current) +
                               " is newer than this program supports (" + std::to_string(latest) +
                               "); refusing to open it");
    }
    if (current < 0) throw std::runtime_error("database has a negative schema version");
    for (auto v = current; v < latest; ++v) {
      db.exec(kMigrations[static_cast<std::size_t>(v)]);
      // PRAGMA arguments cannot be bound; the value is our own integer.
      db.exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
    }
    db.exec("COMMIT");
  } catch (...) {
    if (!db.autocommit()) sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace storage::sqlite
