// storage::SqliteStore against real SQLite files in a fresh temporary directory per test.
#include <gtest/gtest.h>

#include "base/clock.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <tuple>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/migrations.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "storage/sqlite/statement.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using chat::Errc;
using chat::Result;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "natter-storage-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Holds the writer inside its transaction (before COMMIT) while armed.
class CommitGate {
 public:
  void arm() {
    std::lock_guard l(m_);
    armed_ = true;
    entered_ = false;
    released_ = false;
  }
  void hook() {
    std::unique_lock l(m_);
    if (!armed_) return;
    armed_ = false;
    entered_ = true;
    cv_.notify_all();
    cv_.wait(l, [&] { return released_; });
  }
  bool wait_entered() {
    std::unique_lock l(m_);
    return cv_.wait_for(l, 10s, [&] { return entered_; });
  }
  void release() {
    std::lock_guard l(m_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool armed_ = false, entered_ = false, released_ = false;
};

storage::SqliteOptions options(const TempDir& dir, std::shared_ptr<CommitGate> gate = nullptr) {
  storage::SqliteOptions o;
  o.path = dir.file("natter.db");
  // Tests do thousands of commits; durability is not what they check.
  o.synchronous = storage::Synchronous::off;
  if (gate) o.before_commit = [gate] { gate->hook(); };
  return o;
}

// Runs an asynchronous store write and waits for its callback.
template <class T, class Submit>
Result<T> wait_for(Submit&& submit) {
  auto p = std::make_shared<std::promise<Result<T>>>();
  auto f = p->get_future();
  submit([p](Result<T> r) { p->set_value(std::move(r)); });
  return f.get();
}

chat::User upsert(storage::SqliteStore& s, std::string email, std::optional<std::string> name,
                  std::optional<std::string> image = std::nullopt, chat::UnixMillis now = 1000) {
  auto r = wait_for<chat::User>([&](auto cb) {
    s.upsert_user(chat::UserUpsert{std::move(email), std::move(name), std::move(image), now}, cb);
  });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : chat::User{};
}

Result<chat::Conversation> start(storage::SqliteStore& s, std::string a, std::string b,
                                 chat::UnixMillis now = 1000) {
  return wait_for<chat::Conversation>(
      [&](auto cb) { s.start_conversation(std::move(a), std::move(b), now, cb); });
}

chat::NewMessage message(std::string from, std::string to, std::string body,
                         chat::UnixMillis ts = 2000,
                         std::optional<chat::MessageId> reply_to = std::nullopt) {
  chat::NewMessage m;
  m.id = base::ObjectId::generate();
  m.sender_email = from;
  m.sender_name = "name of " + from;
  m.recipient_email = std::move(to);
  m.body = std::move(body);
  m.timestamp = ts;
  m.reply_to = reply_to;
  return m;
}

Result<chat::AppendResult> append(storage::SqliteStore& s, chat::NewMessage m) {
  return wait_for<chat::AppendResult>([&](auto cb) { s.append_message(std::move(m), cb); });
}

Result<chat::Done> mark_read(storage::SqliteStore& s, chat::ConversationId id, std::string email) {
  return wait_for<chat::Done>([&](auto cb) { s.mark_read(id, std::move(email), 5000, cb); });
}

std::vector<std::string> emails(const std::vector<chat::User>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) out.push_back(u.email);
  return out;
}

std::vector<std::string> bodies(const std::vector<chat::Message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.body);
  return out;
}

std::int64_t unread(storage::SqliteStore& s, const std::string& email,
                    const chat::ConversationId& id) {
  auto list = s.list_conversations(email);
  EXPECT_TRUE(list.ok());
  for (const auto& c : *list)
    if (c.conversation.id == id) return c.unread_count;
  ADD_FAILURE() << "conversation not listed for " << email;
  return -1;
}

// ---- Opening and migrations ------------------------------------------------------------------

TEST(SqliteStore, CreatesTheSchemaOnAFreshFileAndKeepsDataAcrossReopen) {
  TempDir dir;
  auto o = options(dir);
  o.synchronous = storage::SqliteOptions{}.synchronous;  // the durable default
  chat::ConversationId conv;
  {
    auto s = storage::SqliteStore::open(o);
    EXPECT_TRUE(s->healthy());
    upsert(*s, "ann@x.io", "Ann");
    upsert(*s, "bob@x.io", "Bob");
    auto r = append(*s, message("ann@x.io", "bob@x.io", "hello"));
    ASSERT_TRUE(r.ok());
    conv = r->conversation.id;
  }
  auto s = storage::SqliteStore::open(o);
  auto ann = s->find_user("ann@x.io");
  ASSERT_TRUE(ann.ok());
  ASSERT_TRUE(ann->has_value());
  EXPECT_EQ((*ann)->name, "Ann");
  auto msgs = s->list_messages(conv, 0, 10);
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ(bodies(*msgs), std::vector<std::string>{"hello"});
  auto found = s->find_conversation(conv);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->participants, (std::vector<std::string>{"ann@x.io", "bob@x.io"}));
  EXPECT_EQ(unread(*s, "bob@x.io", conv), 1);
}

TEST(SqliteStore, RefusesToOpenAPathWhoseDirectoryDoesNotExist) {
  TempDir dir;
  storage::SqliteOptions o;
  o.path = dir.file("missing/dir/natter.db");
  try {
    storage::SqliteStore::open(o);
    FAIL() << "open should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.path), std::string::npos) << e.what();
  }
}

TEST(SqliteStore, RefusesToOpenAFileThatIsNotADatabase) {
  TempDir dir;
  auto o = options(dir);
  std::ofstream(o.path) << std::string(8192, 'x');
  EXPECT_THROW(storage::SqliteStore::open(o), std::runtime_error);
}

TEST(SqliteStore, RefusesADatabaseWithANewerSchemaVersion) {
  TempDir dir;
  auto o = options(dir);
  storage::SqliteStore::open(o)->close();
  {
    // PRAGMA user_version lives at byte offset 60 of the database header, big-endian.
    std::fstream f(o.path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f);
    f.seekp(60);
    const char v[4] = {0, 0, 0x03, static_cast<char>(0xE7)};  // 999
    f.write(v, 4);
  }
  try {
    storage::SqliteStore::open(o);
    FAIL() << "open should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST(SqliteStore, MigratesAVersion1DatabaseKeepingItsMessages) {
  TempDir dir;
  auto o = options(dir);
  {
    storage::sqlite::Connection db(o.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    db.exec(storage::sqlite::migrations()[0]);
    db.exec("PRAGMA user_version = 1");
    db.exec(R"sql(
INSERT INTO conversations (id, pair_key, created_at, last_activity)
  VALUES ('0123456789abcdef01234567', 'ann@x.io' || char(10) || 'bob@x.io', 1, 2);
INSERT INTO participants (conversation_id, email, unread_count, last_activity)
  VALUES ('0123456789abcdef01234567', 'ann@x.io', 0, 2), ('0123456789abcdef01234567', 'bob@x.io', 1, 2);
INSERT INTO messages (id, conversation_id, sender_email, sender_name, body, type, created_at)
  VALUES ('0123456789abcdef0123456a', '0123456789abcdef01234567', 'ann@x.io', 'Ann', 'old', 'image', 2);
)sql");
  }
  auto s = storage::SqliteStore::open(o);
  const auto conv = *base::ObjectId::parse("0123456789abcdef01234567");
  auto old = s->list_messages(conv, 0, 10);
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].body, "old");
  EXPECT_EQ((*old)[0].type, chat::MessageType::image);
  // New messages go after the migrated ones, into the same conversation.
  auto r = append(*s, message("bob@x.io", "ann@x.io", "new"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->conversation.id, conv);
  EXPECT_EQ(bodies(*s->list_messages(conv, 0, 10)), (std::vector<std::string>{"old", "new"}));
  // Unread counts survive the migration and keep counting; the list is ordered by activity.
  auto other = append(*s, message("cat@x.io", "ann@x.io", "newest", 3000));
  ASSERT_TRUE(other.ok());
  auto list = s->list_conversations("ann@x.io");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].conversation.id, other->conversation.id);
  EXPECT_EQ((*list)[0].unread_count, 1);
  EXPECT_EQ((*list)[1].conversation.id, conv);
  EXPECT_EQ((*list)[1].unread_count, 1);  // "new" from bob; ann's migrated 0 kept
  auto bobs = s->list_conversations("bob@x.io");
  ASSERT_TRUE(bobs.ok());
  ASSERT_EQ(bobs->size(), 1u);
  EXPECT_EQ((*bobs)[0].unread_count, 1);  // migrated 1, bob sent "new" himself
  s.reset();
  storage::sqlite::Connection db(o.path, SQLITE_OPEN_READWRITE);
  EXPECT_EQ(db.scalar_int("PRAGMA user_version"), storage::SqliteStore::schema_version());
  EXPECT_EQ(db.scalar_text("PRAGMA integrity_check"), "ok");
  // The type is still checked.
  EXPECT_THROW(db.exec(R"sql(
INSERT INTO messages (id, conversation_id, sender_email, sender_name, body, type, created_at)
  VALUES ('0123456789abcdef0123456b', '0123456789abcdef01234567', 'ann@x.io', 'Ann', 'x', 'video', 3))sql"),
               storage::sqlite::SqliteError);
}

// ---- Users -------------------------------------------------------------------------------------

TEST(SqliteStore, UpsertCreatesAUserAndThenUpdatesOnlyTheGivenFields) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto created = upsert(*s, "ann@x.io", "Ann", "a.png", 1000);
  EXPECT_EQ(created.email, "ann@x.io");
  EXPECT_EQ(created.name, "Ann");
  EXPECT_EQ(created.profile_image, "a.png");
  EXPECT_EQ(created.created_at, 1000);
  EXPECT_FALSE(created.last_seen);

  auto renamed = upsert(*s, "ann@x.io", "Annie", std::nullopt, 2000);
  EXPECT_EQ(renamed.name, "Annie");
  EXPECT_EQ(renamed.profile_image, "a.png");  // untouched
  EXPECT_EQ(renamed.created_at, 1000);        // not reset

  auto reimaged = upsert(*s, "ann@x.io", std::nullopt, "b.png", 3000);
  EXPECT_EQ(reimaged.name, "Annie");
  EXPECT_EQ(reimaged.profile_image, "b.png");

  auto seen = wait_for<chat::Done>([&](auto cb) { s->set_last_seen("ann@x.io", 4000, cb); });
  EXPECT_TRUE(seen.ok());
  auto found = s->find_user("ann@x.io");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->last_seen, 4000);
  EXPECT_EQ((*found)->name, "Annie");

  auto missing = wait_for<chat::Done>([&](auto cb) { s->set_last_seen("zed@x.io", 1, cb); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::user_not_found);
  auto nobody = s->find_user("zed@x.io");
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->has_value());
}

TEST(SqliteStore, SearchTreatsPercentUnderscoreAndBackslashLiterally) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  upsert(*s, "plain@x.io", "Plain");
  upsert(*s, "pct@x.io", "100% sure");
  upsert(*s, "under@x.io", "a_b");
  upsert(*s, "axb@x.io", "axb");
  upsert(*s, "slash@x.io", "back\\slash");

  EXPECT_EQ(emails(*s->search_users("%", "", 10)), std::vector<std::string>{"pct@x.io"});
  EXPECT_EQ(emails(*s->search_users("a_b", "", 10)), std::vector<std::string>{"under@x.io"});
  EXPECT_EQ(emails(*s->search_users("_", "", 10)), std::vector<std::string>{"under@x.io"});
  EXPECT_EQ(emails(*s->search_users("\\", "", 10)), std::vector<std::string>{"slash@x.io"});
  EXPECT_TRUE(s->search_users("%%", "", 10)->empty());
}

TEST(SqliteStore, SearchIsCaseInsensitiveOnEmailAndName) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  upsert(*s, "carol@example.com", "Carol King");
  upsert(*s, "dave@example.com", "Dave");
  EXPECT_EQ(emails(*s->search_users("KING", "", 10)),
            std::vector<std::string>{"carol@example.com"});
  EXPECT_EQ(emails(*s->search_users("DaVe@EXAMPLE", "", 10)),
            std::vector<std::string>{"dave@example.com"});
  EXPECT_EQ(s->search_users("Example.COM", "", 10)->size(), 2u);
}

TEST(SqliteStore, SearchRanksExactThenPrefixThenOtherMatchesWithTiesByEmail) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  upsert(*s, "z-contains-sam@x.io", "Has sam inside");  // other
  upsert(*s, "a-contains-sam@x.io", "Also has sam");    // other
  upsert(*s, "samuel@x.io", "Samuel");                  // prefix
  upsert(*s, "m@x.io", "Sam Smith");                    // prefix (name)
  upsert(*s, "y@x.io", "SAM");                          // exact (name)
  upsert(*s, "sam", "Someone");                         // exact (email)
  upsert(*s, "unrelated@x.io", "Nobody");               // no match
  auto r = s->search_users("sam", "", 50);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(emails(*r), (std::vector<std::string>{"sam", "y@x.io", "m@x.io", "samuel@x.io",
                                                  "a-contains-sam@x.io", "z-contains-sam@x.io"}));
}

TEST(SqliteStore, SearchExcludesTheCallerAndReturnsAtMostLimitUsers) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  for (int i = 0; i < 10; ++i) upsert(*s, "user" + std::to_string(i) + "@x.io", "User");
  auto r = s->search_users("user", "user0@x.io", 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(emails(*r), (std::vector<std::string>{"user1@x.io", "user2@x.io", "user3@x.io"}));
  EXPECT_EQ(s->search_users("user", "USER0@x.io", 100)->size(), 9u);
  EXPECT_TRUE(s->search_users("user", "", 0)->empty());
}

// ---- Conversations -----------------------------------------------------------------------------

TEST(SqliteStore, StartConversationIsIdempotentWhicheverOrderTheEmailsCome) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto first = start(*s, "bob@x.io", "ann@x.io", 1000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->participants, (std::vector<std::string>{"ann@x.io", "bob@x.io"}));
  EXPECT_EQ(first->created_at, 1000);
  auto again = start(*s, "ann@x.io", "bob@x.io", 9000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->created_at, 1000);
  EXPECT_EQ(s->list_conversations("ann@x.io")->size(), 1u);

  auto self = start(*s, "ann@x.io", "ann@x.io");
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.error().code, Errc::self_conversation);
}

TEST(SqliteStore, ReturnsOneConversationPerPairUnderConcurrentStarts) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  std::mutex m;
  std::set<std::string> ids;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<void>> pending;
      for (int i = 0; i < 50; ++i) {
        auto p = std::make_shared<std::promise<void>>();
        pending.push_back(p->get_future());
        bool flip = (t + i) % 2 == 0;
        s->start_conversation(flip ? "ann@x.io" : "bob@x.io", flip ? "bob@x.io" : "ann@x.io",
                              1000 + i, [&, p](Result<chat::Conversation> r) {
                                if (r.ok()) {
                                  std::lock_guard l(m);
                                  ids.insert(r->id.hex());
                                } else {
                                  ++failures;
                                }
                                p->set_value();
                              });
      }
      for (auto& f : pending) f.get();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_EQ(s->list_conversations("ann@x.io")->size(), 1u);
  EXPECT_EQ(s->list_conversations("bob@x.io")->size(), 1u);
}

TEST(SqliteStore, AppendMessageCreatesTheConversationAndUpdatesItsLastMessage) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto first = append(*s, message("bob@x.io", "ann@x.io", "hi ann", 2000));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->conversation_created);
  EXPECT_EQ(first->conversation.participants, (std::vector<std::string>{"ann@x.io", "bob@x.io"}));
  // The store stamps messages itself, in commit order.
  EXPECT_EQ(first->conversation.created_at, first->message.timestamp);
  EXPECT_NEAR(static_cast<double>(first->message.timestamp),
              static_cast<double>(base::now_millis()), 5000.0);
  EXPECT_EQ(first->message.conversation_id, first->conversation.id);
  EXPECT_EQ(first->message.body, "hi ann");

  auto second = append(*s, message("ann@x.io", "bob@x.io", "hi bob", 3000));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->conversation_created);
  EXPECT_EQ(second->conversation.id, first->conversation.id);
  EXPECT_GE(second->message.timestamp, first->message.timestamp);
  EXPECT_LT(first->message.id, second->message.id);

  auto list = s->list_conversations("bob@x.io");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  const auto& c = (*list)[0];
  EXPECT_EQ(c.last_message, "hi bob");
  EXPECT_EQ(c.last_message_time, second->message.timestamp);
  EXPECT_EQ(c.last_message_sender, "ann@x.io");
  EXPECT_EQ(c.unread_count, 1);
  EXPECT_EQ(unread(*s, "ann@x.io", c.conversation.id), 1);

  auto msgs = s->list_messages(c.conversation.id, 0, 10);
  ASSERT_TRUE(msgs.ok());
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].id, first->message.id);
  EXPECT_EQ((*msgs)[0].sender_name, "name of bob@x.io");
  EXPECT_EQ((*msgs)[0].timestamp, first->message.timestamp);
  EXPECT_EQ((*msgs)[0].type, chat::MessageType::text);
  EXPECT_FALSE((*msgs)[0].reply_to);
  EXPECT_FALSE((*msgs)[0].edited);
}

TEST(SqliteStore, StoresTheMessageType) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto m = message("ann@x.io", "bob@x.io", "https://img/1.png");
  m.type = chat::MessageType::image;
  auto r = append(*s, m);
  ASSERT_TRUE(r.ok());
  auto msgs = s->list_messages(r->conversation.id, 0, 1);
  ASSERT_EQ(msgs->size(), 1u);
  EXPECT_EQ((*msgs)[0].type, chat::MessageType::image);
}

TEST(SqliteStore, UnreadCountsAreExactAfterConcurrentAppendsFromBothSides) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  constexpr int kThreadsPerSide = 4, kPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kThreadsPerSide; ++t) {
    threads.emplace_back([&, t] {
      const bool from_ann = t % 2 == 0;
      std::vector<std::future<void>> pending;
      for (int i = 0; i < kPerThread; ++i) {
        auto p = std::make_shared<std::promise<void>>();
        pending.push_back(p->get_future());
        s->append_message(message(from_ann ? "ann@x.io" : "bob@x.io",
                                  from_ann ? "bob@x.io" : "ann@x.io", "m", 2000 + i),
                          [&, p](Result<chat::AppendResult> r) {
                            if (!r.ok()) ++failures;
                            p->set_value();
                          });
      }
      for (auto& f : pending) f.get();
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  auto conv = start(*s, "ann@x.io", "bob@x.io");
  ASSERT_TRUE(conv.ok());
  EXPECT_EQ(unread(*s, "ann@x.io", conv->id), kThreadsPerSide * kPerThread);
  EXPECT_EQ(unread(*s, "bob@x.io", conv->id), kThreadsPerSide * kPerThread);
  EXPECT_EQ(s->list_messages(conv->id, 0, 10000)->size(),
            static_cast<std::size_t>(2 * kThreadsPerSide * kPerThread));

  ASSERT_TRUE(mark_read(*s, conv->id, "ann@x.io").ok());
  EXPECT_EQ(unread(*s, "ann@x.io", conv->id), 0);
  EXPECT_EQ(unread(*s, "bob@x.io", conv->id), kThreadsPerSide * kPerThread);

  ASSERT_TRUE(append(*s, message("bob@x.io", "ann@x.io", "one more")).ok());
  EXPECT_EQ(unread(*s, "ann@x.io", conv->id), 1);
}

TEST(SqliteStore, MarkReadRejectsUnknownConversationsAndNonParticipants) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto conv = start(*s, "ann@x.io", "bob@x.io");
  ASSERT_TRUE(conv.ok());
  auto unknown = mark_read(*s, base::ObjectId::generate(), "ann@x.io");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::conversation_not_found);
  auto outsider = mark_read(*s, conv->id, "eve@x.io");
  ASSERT_FALSE(outsider.ok());
  EXPECT_EQ(outsider.error().code, Errc::forbidden);
}

TEST(SqliteStore, ReplyToMustReferenceAMessageOfTheSameConversation) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto in_ab = append(*s, message("ann@x.io", "bob@x.io", "ab"));
  auto in_ac = append(*s, message("ann@x.io", "cat@x.io", "ac"));
  ASSERT_TRUE(in_ab.ok() && in_ac.ok());

  auto ok = append(*s, message("bob@x.io", "ann@x.io", "re", 3000, in_ab->message.id));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->message.reply_to, in_ab->message.id);
  auto stored = s->list_messages(in_ab->conversation.id, 0, 1);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].reply_to, in_ab->message.id);

  auto other = append(*s, message("bob@x.io", "ann@x.io", "x", 3000, in_ac->message.id));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, Errc::invalid);
  EXPECT_EQ(other.error().field, "reply_to");

  auto unknown = append(*s, message("bob@x.io", "ann@x.io", "x", 3000, base::ObjectId::generate()));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::invalid);
  EXPECT_EQ(unknown.error().field, "reply_to");

  // The failed appends left nothing behind, not even a conversation they would have created.
  EXPECT_EQ(s->list_messages(in_ab->conversation.id, 0, 100)->size(), 2u);
  auto fresh = append(*s, message("dan@x.io", "eve@x.io", "x", 3000, in_ab->message.id));
  ASSERT_FALSE(fresh.ok());
  EXPECT_TRUE(s->list_conversations("dan@x.io")->empty());
  EXPECT_EQ(unread(*s, "bob@x.io", in_ab->conversation.id), 1);
}

TEST(SqliteStore, ListMessagesSkipsTheNewestAndReturnsOldestFirst) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  chat::ConversationId conv;
  for (int i = 1; i <= 10; ++i) {
    auto r = append(*s, message(i % 2 ? "ann@x.io" : "bob@x.io", i % 2 ? "bob@x.io" : "ann@x.io",
                                std::to_string(i), 1000 + i));
    ASSERT_TRUE(r.ok());
    conv = r->conversation.id;
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(bodies(*s->list_messages(conv, 0, 3)), (V{"8", "9", "10"}));
  EXPECT_EQ(bodies(*s->list_messages(conv, 3, 3)), (V{"5", "6", "7"}));
  EXPECT_EQ(bodies(*s->list_messages(conv, 8, 5)), (V{"1", "2"}));
  EXPECT_TRUE(s->list_messages(conv, 10, 5)->empty());
  EXPECT_TRUE(s->list_messages(conv, 0, 0)->empty());
  EXPECT_EQ(s->list_messages(conv, 0, 100)->size(), 10u);
  EXPECT_TRUE(s->list_messages(base::ObjectId::generate(), 0, 10)->empty());
}

TEST(SqliteStore, ListsConversationsByLastActivityNewestFirst) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto with_bob = start(*s, "ann@x.io", "bob@x.io", 1000);
  auto with_cat = start(*s, "ann@x.io", "cat@x.io", 2000);
  auto with_dan = start(*s, "dan@x.io", "ann@x.io", 3000);
  ASSERT_TRUE(with_bob.ok() && with_cat.ok() && with_dan.ok());

  auto order = [&] {
    std::vector<chat::ConversationId> ids;
    auto list = s->list_conversations("ann@x.io");
    for (const auto& c : *list) ids.push_back(c.conversation.id);
    return ids;
  };
  EXPECT_EQ(order(), (std::vector{with_dan->id, with_cat->id, with_bob->id}));

  ASSERT_TRUE(append(*s, message("bob@x.io", "ann@x.io", "hey", 4000)).ok());
  EXPECT_EQ(order(), (std::vector{with_bob->id, with_dan->id, with_cat->id}));

  auto list = s->list_conversations("ann@x.io");
  EXPECT_EQ((*list)[0].unread_count, 1);
  EXPECT_EQ((*list)[0].last_message, "hey");
  EXPECT_EQ((*list)[1].unread_count, 0);
  EXPECT_FALSE((*list)[1].last_message);
  EXPECT_EQ((*list)[1].conversation.participants,
            (std::vector<std::string>{"ann@x.io", "dan@x.io"}));
  EXPECT_TRUE(s->list_conversations("nobody@x.io")->empty());
}

TEST(SqliteStore, ContactsAreTheDistinctOtherParticipants) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  ASSERT_TRUE(start(*s, "ann@x.io", "bob@x.io").ok());
  ASSERT_TRUE(start(*s, "cat@x.io", "ann@x.io").ok());
  ASSERT_TRUE(append(*s, message("ann@x.io", "bob@x.io", "x")).ok());
  ASSERT_TRUE(start(*s, "bob@x.io", "cat@x.io").ok());
  EXPECT_EQ(*s->contacts("ann@x.io"), (std::vector<std::string>{"bob@x.io", "cat@x.io"}));
  EXPECT_EQ(*s->contacts("bob@x.io"), (std::vector<std::string>{"ann@x.io", "cat@x.io"}));
  EXPECT_TRUE(s->contacts("zed@x.io")->empty());
}

TEST(SqliteStore, FindConversationReturnsNothingForAnUnknownId) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  auto r = s->find_conversation(base::ObjectId::generate());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

// ---- Writer: group commit, failure isolation, close ---------------------------------------------

TEST(SqliteStore, GroupCommitsQueuedWritesInBatchesOfAtMostMaxBatch) {
  TempDir dir;
  auto gate = std::make_shared<CommitGate>();
  auto s = storage::SqliteStore::open(options(dir, gate));
  const auto before = s->commits();

  gate->arm();
  std::promise<void> first_done;
  s->upsert_user({"first@x.io", "First", std::nullopt, 1},
                 [&](Result<chat::User>) { first_done.set_value(); });
  ASSERT_TRUE(gate->wait_entered());  // the writer holds a transaction; the next 1000 queue up

  constexpr int kWrites = 1000;
  std::atomic<int> ok{0};
  std::vector<std::future<void>> pending;
  for (int i = 0; i < kWrites; ++i) {
    auto p = std::make_shared<std::promise<void>>();
    pending.push_back(p->get_future());
    s->upsert_user({"u" + std::to_string(i) + "@x.io", "U", std::nullopt, 1},
                   [&, p](Result<chat::User> r) {
                     if (r.ok()) ++ok;
                     p->set_value();
                   });
  }
  gate->release();
  first_done.get_future().get();
  for (auto& f : pending) f.get();

  EXPECT_EQ(ok.load(), kWrites);
  // 1 (held batch) + 512 + 488.
  EXPECT_EQ(s->commits() - before, 3u);
  EXPECT_EQ(s->search_users("@x.io", "", 5000)->size(), static_cast<std::size_t>(kWrites + 1));
}

TEST(SqliteStore, AppendWithResolveUsersChecksBothUsersAndTakesTheSendersCurrentName) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  upsert(*s, "ann@x.io", "Ann");
  auto resolved = [](std::string from, std::string to) {
    auto m = message(std::move(from), std::move(to), "hi");
    m.sender_name.clear();
    m.resolve_users = true;
    return m;
  };
  auto no_recipient = append(*s, resolved("ann@x.io", "bob@x.io"));
  ASSERT_FALSE(no_recipient.ok());
  EXPECT_EQ(no_recipient.error().code, Errc::recipient_not_found);
  EXPECT_EQ(no_recipient.error().message, "Recipient not found");
  auto no_sender = append(*s, resolved("bob@x.io", "ann@x.io"));
  ASSERT_FALSE(no_sender.ok());
  EXPECT_EQ(no_sender.error().code, Errc::user_not_found);
  EXPECT_EQ(no_sender.error().message, "Sender not found");
  EXPECT_TRUE(s->list_conversations("ann@x.io")->empty());

  upsert(*s, "bob@x.io", "Bob");
  auto first = append(*s, resolved("ann@x.io", "bob@x.io"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->message.sender_name, "Ann");
  EXPECT_TRUE(first->conversation_created);
  upsert(*s, "ann@x.io", "Annie");
  auto second = append(*s, resolved("ann@x.io", "bob@x.io"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->message.sender_name, "Annie");
  EXPECT_FALSE(second->conversation_created);
  EXPECT_EQ(second->conversation.id, first->conversation.id);
  auto stored = s->list_messages(first->conversation.id, 0, 10);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].sender_name, "Ann");
  EXPECT_EQ((*stored)[1].sender_name, "Annie");
  EXPECT_EQ(unread(*s, "bob@x.io", first->conversation.id), 2);
  EXPECT_EQ(unread(*s, "ann@x.io", first->conversation.id), 0);
}

TEST(SqliteStore, CommitsFewerTransactionsThanWritesWhenWritesArriveTogether) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  const auto before = s->commits();
  constexpr int kWrites = 1000;
  std::vector<std::future<Result<chat::AppendResult>>> pending;
  for (int i = 0; i < kWrites; ++i) {
    auto p = std::make_shared<std::promise<Result<chat::AppendResult>>>();
    pending.push_back(p->get_future());
    s->append_message(message("ann@x.io", "bob@x.io", std::to_string(i), i),
                      [p](Result<chat::AppendResult> r) { p->set_value(std::move(r)); });
  }
  for (auto& f : pending) ASSERT_TRUE(f.get().ok());
  EXPECT_LT(s->commits() - before, static_cast<std::uint64_t>(kWrites));
}

TEST(SqliteStore, AFailingWriteDoesNotPoisonTheOthersInItsBatch) {
  TempDir dir;
  auto gate = std::make_shared<CommitGate>();
  auto s = storage::SqliteStore::open(options(dir, gate));
  auto base_msg = append(*s, message("ann@x.io", "bob@x.io", "base"));
  ASSERT_TRUE(base_msg.ok());

  gate->arm();
  std::promise<void> held;
  s->set_last_seen("nobody@x.io", 1, [&](Result<chat::Done>) { held.set_value(); });
  ASSERT_TRUE(gate->wait_entered());
  const auto before = s->commits();

  // These four are queued together and run in one transaction.
  auto p1 = std::make_shared<std::promise<Result<chat::AppendResult>>>();
  auto p2 = std::make_shared<std::promise<Result<chat::AppendResult>>>();
  auto p3 = std::make_shared<std::promise<Result<chat::Conversation>>>();
  auto p4 = std::make_shared<std::promise<Result<chat::AppendResult>>>();
  s->append_message(message("bob@x.io", "ann@x.io", "good 1"),
                    [p1](Result<chat::AppendResult> r) { p1->set_value(std::move(r)); });
  s->append_message(message("cat@x.io", "dan@x.io", "bad", 2000, base::ObjectId::generate()),
                    [p2](Result<chat::AppendResult> r) { p2->set_value(std::move(r)); });
  s->start_conversation("cat@x.io", "cat@x.io", 1,
                        [p3](Result<chat::Conversation> r) { p3->set_value(std::move(r)); });
  s->append_message(message("ann@x.io", "bob@x.io", "good 2"),
                    [p4](Result<chat::AppendResult> r) { p4->set_value(std::move(r)); });
  gate->release();
  held.get_future().get();

  auto r1 = p1->get_future().get();
  auto r2 = p2->get_future().get();
  auto r3 = p3->get_future().get();
  auto r4 = p4->get_future().get();
  EXPECT_TRUE(r1.ok());
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().field, "reply_to");
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, Errc::self_conversation);
  EXPECT_TRUE(r4.ok());
  EXPECT_EQ(s->commits() - before, 2u);  // the held batch, then the four together

  EXPECT_EQ(bodies(*s->list_messages(base_msg->conversation.id, 0, 10)),
            (std::vector<std::string>{"base", "good 1", "good 2"}));
  EXPECT_TRUE(s->list_conversations("cat@x.io")->empty());
}

TEST(SqliteStore, CloseCommitsEverythingQueuedAndLaterWritesFailAsUnavailable) {
  TempDir dir;
  auto o = options(dir);
  auto s = storage::SqliteStore::open(o);
  constexpr int kWrites = 300;
  std::atomic<int> ok{0};
  for (int i = 0; i < kWrites; ++i) {
    s->upsert_user({"u" + std::to_string(i) + "@x.io", "U", std::nullopt, 1},
                   [&](Result<chat::User> r) {
                     if (r.ok()) ++ok;
                   });
  }
  s->close();
  EXPECT_EQ(ok.load(), kWrites);  // drained before close() returned
  s->close();                     // idempotent

  bool called = false;
  s->upsert_user({"late@x.io", "Late", std::nullopt, 1}, [&](Result<chat::User> r) {
    called = true;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::unavailable);
  });
  EXPECT_TRUE(called);
  auto late = wait_for<chat::AppendResult>(
      [&](auto cb) { s->append_message(message("a@x.io", "b@x.io", "x"), cb); });
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, Errc::unavailable);
  s.reset();

  auto reopened = storage::SqliteStore::open(o);
  EXPECT_EQ(reopened->search_users("@x.io", "", 1000)->size(), static_cast<std::size_t>(kWrites));
}

TEST(SqliteStore, ReadsDoNotWaitForAnOpenWriteTransaction) {
  TempDir dir;
  auto gate = std::make_shared<CommitGate>();
  auto s = storage::SqliteStore::open(options(dir, gate));
  upsert(*s, "ann@x.io", "Ann");

  gate->arm();
  std::promise<Result<chat::User>> written;
  s->upsert_user({"bob@x.io", "Bob", std::nullopt, 1},
                 [&](Result<chat::User> r) { written.set_value(std::move(r)); });
  ASSERT_TRUE(gate->wait_entered());  // bob is inserted but not committed; the writer waits

  std::vector<std::future<bool>> readers;
  for (int i = 0; i < 8; ++i) {
    readers.push_back(std::async(std::launch::async, [&] {
      auto ann = s->find_user("ann@x.io");
      auto bob = s->find_user("bob@x.io");
      auto found = s->search_users("x.io", "", 10);
      return ann.ok() && ann->has_value() && bob.ok() && !bob->has_value() && found.ok() &&
             found->size() == 1 && s->healthy();
    }));
  }
  bool all_ready = true;
  for (auto& r : readers) all_ready = all_ready && r.wait_for(10s) == std::future_status::ready;
  gate->release();
  ASSERT_TRUE(all_ready) << "a read waited for the writer";
  for (auto& r : readers) EXPECT_TRUE(r.get());

  ASSERT_TRUE(written.get_future().get().ok());
  auto bob = s->find_user("bob@x.io");
  ASSERT_TRUE(bob.ok());
  EXPECT_TRUE(bob->has_value());
}

TEST(SqliteStore, KeepsWritingAfterACallbackThrows) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  s->upsert_user({"ann@x.io", "Ann", std::nullopt, 1},
                 [](Result<chat::User>) { throw std::runtime_error("boom"); });
  auto bob = upsert(*s, "bob@x.io", "Bob");
  EXPECT_EQ(bob.email, "bob@x.io");
  EXPECT_TRUE(s->find_user("ann@x.io")->has_value());
}

}  // namespace

// ---- The read cache ---------------------------------------------------------------------------

TEST(SqliteStore, ASecondStoreOnTheSameDatabaseIsRefused) {
  TempDir dir;
  auto s = storage::SqliteStore::open(options(dir));
  try {
    storage::SqliteStore::open(options(dir));
    FAIL() << "a second store opened the same database";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another process"), std::string::npos) << e.what();
  }
  s.reset();
  EXPECT_NO_THROW(storage::SqliteStore::open(options(dir)));  // released with the store
}

// The same random writes to a store with a small cache (short tails, a budget that evicts) and
// to one without: every read must agree (ids and times differ between the two; what is compared
// is everything else, in order).
TEST(SqliteStore, CachedReadsAgreeWithTheDatabase) {
  TempDir dir_a, dir_b;
  auto o_cached = options(dir_a);
  o_cached.cache_bytes = 24 << 10;
  o_cached.cache_tail = 6;
  auto o_plain = options(dir_b);
  o_plain.cache_bytes = 0;
  auto cached = storage::SqliteStore::open(o_cached);
  auto plain = storage::SqliteStore::open(o_plain);
  std::vector<storage::SqliteStore*> both = {cached.get(), plain.get()};

  const std::vector<std::string> users = {"a@x.io", "b@x.io", "c@x.io", "d@x.io", "e@x.io"};
  for (auto* s : both)
    for (const auto& u : users) upsert(*s, u, "user " + u);
  std::mt19937 rng(20261126);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };

  using Summary = std::tuple<std::vector<std::string>, std::optional<std::string>,
                             std::optional<std::string>, std::int64_t>;
  auto summaries = [](storage::SqliteStore& s, const std::string& email) {
    std::vector<Summary> out;
    const auto list = s.list_conversations(email);
    for (const auto& c : *list)
      out.emplace_back(c.conversation.participants, c.last_message, c.last_message_sender,
                       c.unread_count);
    return out;
  };
  auto conversation_with = [](storage::SqliteStore& s, const std::string& me,
                              const std::string& other) -> std::optional<chat::ConversationId> {
    const auto list = s.list_conversations(me);
    for (const auto& c : *list)
      if (std::find(c.conversation.participants.begin(), c.conversation.participants.end(),
                    other) != c.conversation.participants.end())
        return c.conversation.id;
    return std::nullopt;
  };
  auto page = [](storage::SqliteStore& s, const chat::ConversationId& id, std::int64_t skip,
                 std::int64_t limit) {
    std::vector<std::pair<std::string, std::string>> out;
    const auto msgs = s.list_messages(id, skip, limit);
    for (const auto& m : *msgs) out.emplace_back(m.sender_email, m.body);
    return out;
  };

  for (int step = 0; step < 400; ++step) {
    const auto& me = users[pick(users.size())];
    const auto& other = users[pick(users.size())];
    const int op = static_cast<int>(pick(10));
    for (auto* s : both) {
      if (op < 6) {
        (void)append(*s, message(me, other, "m" + std::to_string(step)));  // fails to oneself
      } else if (op == 6) {
        (void)start(*s, me, other);
      } else if (op == 7) {
        if (auto id = conversation_with(*s, me, other)) {
          ASSERT_TRUE(mark_read(*s, *id, me).ok());
        }
      } else if (op == 8) {
        upsert(*s, me, "renamed " + std::to_string(step));
      } else {
        auto r = wait_for<chat::Done>([&](auto cb) { s->set_last_seen(me, 1000 + step, cb); });
        ASSERT_TRUE(r.ok());
      }
      // No two messages share a millisecond: the two stores' orders cannot differ by a tie.
      for (const auto t = base::now_millis(); base::now_millis() == t;) std::this_thread::yield();
    }
    const auto& reader = users[pick(users.size())];
    ASSERT_EQ(summaries(*cached, reader), summaries(*plain, reader)) << "step " << step;
    auto u1 = cached->find_user(reader), u2 = plain->find_user(reader);
    ASSERT_EQ((*u1)->name, (*u2)->name);
    ASSERT_EQ((*u1)->last_seen, (*u2)->last_seen);
    auto id1 = conversation_with(*cached, reader, other), id2 = conversation_with(*plain, reader, other);
    ASSERT_EQ(id1.has_value(), id2.has_value());
    if (id1) {
      const auto skip = static_cast<std::int64_t>(pick(12));
      const auto limit = static_cast<std::int64_t>(1 + pick(10));
      ASSERT_EQ(page(*cached, *id1, skip, limit), page(*plain, *id2, skip, limit))
          << "step " << step << " skip " << skip << " limit " << limit;
      ASSERT_EQ(cached->find_conversation(*id1).value()->participants,
                plain->find_conversation(*id2).value()->participants);
    }
  }
}

// Readers filling the cache while messages are committed must never leave it behind the
// database: after each send is acknowledged, the newest page read back holds it. The budget holds
// one history tail and a few lists, so the readers keep evicting and refilling entries while the
// writer commits.
TEST(SqliteStore, ReadersRacingWritesNeverLeaveTheCacheStale) {
  TempDir dir;
  auto o = options(dir);
  o.cache_bytes = 4 << 10;
  o.cache_tail = 8;
  auto s = storage::SqliteStore::open(o);
  const std::vector<std::string> others = {"b@x.io", "c@x.io", "d@x.io", "e@x.io", "f@x.io"};
  upsert(*s, "a@x.io", "A");
  std::vector<chat::ConversationId> ids;
  for (const auto& u : others) {
    upsert(*s, u, "U");
    auto first = append(*s, message("a@x.io", u, "m0"));
    ASSERT_TRUE(first.ok());
    ids.push_back(first->conversation.id);
  }

  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      for (std::size_t i = static_cast<std::size_t>(r); !stop.load(); ++i) {
        (void)s->list_messages(ids[i % ids.size()], 0, 5);
        (void)s->list_conversations(others[i % others.size()]);
      }
    });
  }
  int stale = 0;
  for (int i = 1; i <= 1500 && stale == 0; ++i) {
    const auto body = "m" + std::to_string(i);
    ASSERT_TRUE(append(*s, message("a@x.io", "b@x.io", body)).ok());
    auto newest = s->list_messages(ids[0], 0, 1);
    auto list = s->list_conversations("b@x.io");
    if (newest->empty() || newest->back().body != body) {
      ++stale;
      ADD_FAILURE() << "history after " << body << ": " << (newest->empty() ? "empty" : newest->back().body);
    }
    if (list->empty() || list->front().last_message != body || list->front().unread_count != i + 1) {
      ++stale;
      ADD_FAILURE() << "list of b after " << body << ": "
                    << (list->empty() ? "empty" : list->front().last_message.value_or("-") + " unread " +
                                                      std::to_string(list->front().unread_count));
    }
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(stale, 0);
}

// Checkpoints happen on the checkpointer's connection once the WAL passes checkpoint_pages, and the
// WAL is reused instead of growing with every write.
TEST(SqliteStore, CheckpointsRunOutsideTheWriterAndKeepTheWalBounded) {
  TempDir dir;
  auto o = options(dir);
  o.checkpoint_pages = 20;
  auto s = storage::SqliteStore::open(o);
  upsert(*s, "a@x.io", "A");
  upsert(*s, "b@x.io", "B");
  const std::string body(2000, 'x');  // about half a page each
  std::uintmax_t largest_wal = 0;
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(append(*s, message("a@x.io", "b@x.io", body + std::to_string(i))).ok());
    largest_wal = std::max(largest_wal, fs::file_size(o.path + "-wal"));
  }
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (s->checkpointed_frames() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_GT(s->checkpoints(), 0u);
  // The checkpointer itself copied pages back (not only the writer's top-up after each round).
  EXPECT_GT(s->checkpointed_frames(), 0u);
  // 400 messages of 2 KB wrote ~4 MB of WAL frames (4.4 MB when the WAL never restarts). A WAL
  // that restarts after each round stays near the threshold; a checkpointer that lags behind (a
  // loaded machine) is caught up by the writer at 8 x the threshold, so that bounds it, with room
  // for the commits of one round.
  const std::uintmax_t frame = 4096 + 24;
  EXPECT_LT(largest_wal, (8u * 20u + 40u) * frame) << "WAL grew to " << largest_wal << " bytes";
  s.reset();
  auto reopened = storage::SqliteStore::open(o);
  auto conv = reopened->list_conversations("a@x.io");
  ASSERT_EQ(conv->size(), 1u);
  EXPECT_EQ(reopened->list_messages(conv->front().conversation.id, 0, 1000)->size(), 400u);
}
