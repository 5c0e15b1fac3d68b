#pragma once
// Versioned schema migrations, tracked in PRAGMA user_version.
#include <span>

#include "storage/sqlite/statement.hpp"

namespace storage::sqlite {

// migrations()[i] upgrades the schema from version i to version i + 1.
std::span<const char* const> migrations();
// The schema version this code writes (== migrations().size()).
int latest_schema_version();

// Brings the database to latest_schema_version() in one IMMEDIATE transaction. Throws
// std::runtime_error if the database's version is newer than this code knows, SqliteError on
// SQLite failures.
void migrate(Connection& db);

}  // namespace storage::sqlite
