// storage::Lru and storage::ReadCache without a database: budgets, the generation check that keeps
// rows read before a write out of the cache, and how committed changes update what is cached.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/lru.hpp"
#include "storage/read_cache.hpp"

namespace {

using storage::ReadCache;

TEST(Lru, KeepsTheMostRecentlyUsedWithinItsBudget) {
  storage::Lru<std::string, int> lru(30);
  lru.put("a", 1, 10);
  lru.put("b", 2, 10);
  lru.put("c", 3, 10);
  ASSERT_NE(lru.find(std::string("a")), nullptr);  // a is now the most recent
  lru.put("d", 4, 10);                              // evicts b, the least recent
  EXPECT_EQ(lru.find(std::string("b")), nullptr);
  EXPECT_EQ(*lru.find(std::string("a")), 1);
  EXPECT_EQ(lru.bytes(), 30u);
  lru.put("huge", 5, 31);  // larger than the budget: not kept, nothing evicted
  EXPECT_EQ(lru.find(std::string("huge")), nullptr);
  EXPECT_EQ(lru.size(), 3u);
  // Recency is now d, a, c. An update that grows an entry evicts the least recent ones.
  EXPECT_TRUE(lru.update(std::string("a"), [](int& v) {
    v = 30;
    return std::size_t{20};
  }));
  EXPECT_EQ(lru.bytes(), 30u);
  EXPECT_EQ(lru.find(std::string("c")), nullptr);
  EXPECT_EQ(*lru.find(std::string("a")), 30);
  EXPECT_FALSE(lru.update(std::string("zzz"), [](int&) { return std::size_t{1}; }));
}

chat::Conversation conversation(const char* hex, std::string a, std::string b) {
  return chat::Conversation{*base::ObjectId::parse(hex), {std::move(a), std::move(b)}, 100};
}

std::shared_ptr<const chat::Message> msg(const chat::Conversation& c, std::string from,
                                         std::string body, chat::UnixMillis ts) {
  auto m = std::make_shared<chat::Message>();
  m->id = base::ObjectId::generate();
  m->conversation_id = c.id;
  m->sender_email = std::move(from);
  m->sender_name = "N";
  m->body = std::move(body);
  m->timestamp = ts;
  return m;
}

// What the store's writer does around a COMMIT.
void commit(ReadCache& cache, const std::vector<ReadCache::Change>& changes) {
  cache.begin_commit();
  cache.end_commit(changes);
}

std::vector<std::string> bodies(const std::vector<chat::Message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.body);
  return out;
}

TEST(ReadCache, RowsReadBeforeAWriteAreNotKept) {
  ReadCache cache(1 << 20, 8);
  ReadCache::Generation gen = 99;
  EXPECT_FALSE(cache.user("a@x.io", gen).has_value());
  EXPECT_EQ(gen, 0u);
  // A write commits between the miss and the fill: the rows read may predate it.
  commit(cache, {ReadCache::LastSeen{"other@x.io", 5}});
  cache.fill_user(chat::User{"a@x.io", "Stale", std::nullopt, 1, std::nullopt}, gen);
  EXPECT_FALSE(cache.user("a@x.io", gen).has_value());
  EXPECT_EQ(gen, 2u);
  cache.fill_user(chat::User{"a@x.io", "Fresh", std::nullopt, 1, std::nullopt}, gen);
  auto hit = cache.user("a@x.io", gen);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->name, "Fresh");
  commit(cache, {ReadCache::LastSeen{"a@x.io", 77}});
  EXPECT_EQ(cache.user("a@x.io", gen)->last_seen, 77);
  commit(cache, {ReadCache::UserStored{chat::User{"a@x.io", "Renamed", "img", 1, 77}}});
  EXPECT_EQ(cache.user("a@x.io", gen)->name, "Renamed");

  // A miss while a commit is in flight: the rows read may or may not include it, so they are not
  // kept even if nothing else happens before the fill.
  cache.begin_commit();
  EXPECT_FALSE(cache.user("b@x.io", gen).has_value());
  cache.fill_user(chat::User{"b@x.io", "B", std::nullopt, 1, std::nullopt}, gen);
  cache.end_commit({});
  EXPECT_FALSE(cache.user("b@x.io", gen).has_value());
  // ... nor rows read before the commit began and offered while it is in flight.
  cache.begin_commit();
  cache.fill_user(chat::User{"b@x.io", "B", std::nullopt, 1, std::nullopt}, gen);
  cache.end_commit({});
  EXPECT_FALSE(cache.user("b@x.io", gen).has_value());
  // A failed COMMIT empties the cache.
  cache.begin_commit();
  cache.abandon_commit();
  EXPECT_FALSE(cache.user("a@x.io", gen).has_value());
}

TEST(ReadCache, HistoryTailAnswersOnlyWhatItCovers) {
  ReadCache cache(1 << 20, 4);
  const auto c = conversation("65a1b2c3d4e5f60718293a4c", "a@x.io", "b@x.io");
  ReadCache::Generation gen = 0;
  EXPECT_FALSE(cache.messages(c.id, 0, 2, gen).has_value());
  // The four newest of a longer history (newest first, as read).
  std::vector<chat::Message> newest_first;
  for (int i = 9; i >= 6; --i) newest_first.push_back(*msg(c, "a@x.io", "m" + std::to_string(i), i));
  cache.fill_messages(c.id, newest_first, /*whole=*/false, gen);
  EXPECT_EQ(bodies(*cache.messages(c.id, 0, 2, gen)), (std::vector<std::string>{"m8", "m9"}));
  EXPECT_EQ(bodies(*cache.messages(c.id, 1, 3, gen)), (std::vector<std::string>{"m6", "m7", "m8"}));
  EXPECT_FALSE(cache.messages(c.id, 2, 3, gen).has_value());  // m5 is older than the tail
  // A new message pushes the oldest out.
  commit(cache, {ReadCache::MessageAppended{msg(c, "b@x.io", "m10", 10), c, false}});
  EXPECT_EQ(bodies(*cache.messages(c.id, 0, 4, gen)),
            (std::vector<std::string>{"m7", "m8", "m9", "m10"}));
  EXPECT_FALSE(cache.messages(c.id, 0, 5, gen).has_value());

  // A whole history answers any page, however far back.
  const auto d = conversation("65a1b2c3d4e5f60718293a4d", "a@x.io", "c@x.io");
  commit(cache, {ReadCache::MessageAppended{msg(d, "a@x.io", "first", 1), d, true}});
  EXPECT_EQ(bodies(*cache.messages(d.id, 0, 50, gen)), (std::vector<std::string>{"first"}));
  EXPECT_TRUE(cache.messages(d.id, 5, 50, gen)->empty());
  ASSERT_TRUE(cache.conversation(d.id).has_value());
  EXPECT_EQ(cache.conversation(d.id)->participants, d.participants);
}

TEST(ReadCache, ConversationListsFollowMessagesAndReads) {
  ReadCache cache(1 << 20, 4);
  const auto c = conversation("65a1b2c3d4e5f60718293a4c", "a@x.io", "b@x.io");
  ReadCache::Generation gen = 0;
  ASSERT_FALSE(cache.conversations_of("a@x.io", gen).has_value());
  cache.fill_conversations_of("a@x.io", {}, gen);
  ASSERT_FALSE(cache.conversations_of("b@x.io", gen).has_value());
  cache.fill_conversations_of("b@x.io", {}, gen);

  commit(cache, {ReadCache::MessageAppended{msg(c, "a@x.io", "hi", 5), c, true},
               ReadCache::MessageAppended{msg(c, "a@x.io", "there", 6), c, false}});
  auto a = *cache.conversations_of("a@x.io", gen);
  auto b = *cache.conversations_of("b@x.io", gen);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0].last_message, "there");
  EXPECT_EQ(a[0].last_message_time, 6);
  EXPECT_EQ(a[0].last_message_sender, "a@x.io");
  EXPECT_EQ(a[0].unread_count, 0);  // own messages are not unread
  EXPECT_EQ(b[0].unread_count, 2);
  commit(cache, {ReadCache::MarkedRead{c.id, "b@x.io"}});
  EXPECT_EQ((*cache.conversations_of("b@x.io", gen))[0].unread_count, 0);

  const auto d = conversation("65a1b2c3d4e5f60718293a4d", "a@x.io", "z@x.io");
  commit(cache, {ReadCache::ConversationCreated{d}});
  a = *cache.conversations_of("a@x.io", gen);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_FALSE(a[1].last_message.has_value());
  EXPECT_FALSE(cache.conversations_of("z@x.io", gen).has_value());  // was never read: not made up
}

TEST(ReadCache, StaysWithinItsBudget) {
  ReadCache cache(64 << 10, 64);
  const auto c = conversation("65a1b2c3d4e5f60718293a4c", "a@x.io", "b@x.io");
  commit(cache, {ReadCache::MessageAppended{msg(c, "a@x.io", "x", 1), c, true}});
  // 64 messages of 1 KiB exceed the half of the budget the tails have: the tail is dropped, and
  // reads fall back to the database rather than answering from a partial tail.
  for (int i = 0; i < 64; ++i)
    commit(cache, {ReadCache::MessageAppended{msg(c, "a@x.io", std::string(1024, 'y'), i), c, false}});
  ReadCache::Generation gen = 0;
  EXPECT_FALSE(cache.messages(c.id, 0, 1, gen).has_value());
}

}  // namespace
