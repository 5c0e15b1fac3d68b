#include "storage/read_cache.hpp"

#include <algorithm>
#include <cstring>

namespace storage {
namespace {

// Estimates of the memory an entry holds (payload plus node and allocation overhead).
constexpr std::size_t kNode = 64;

std::size_t bytes_of(const std::string& s) { return s.size() > 15 ? s.size() + 1 : 0; }
std::size_t bytes_of(const std::optional<std::string>& s) { return s ? bytes_of(*s) : 0; }

std::size_t bytes_of(const chat::User& u) {
  return kNode + sizeof u + bytes_of(u.email) + bytes_of(u.name) + bytes_of(u.profile_image);
}

std::size_t bytes_of(const chat::Conversation& c) {
  std::size_t n = kNode + sizeof c + c.participants.size() * sizeof(std::string);
  for (const auto& p : c.participants) n += bytes_of(p);
  return n;
}

std::size_t bytes_of(const std::vector<chat::ConversationSummary>& list) {
  std::size_t n = kNode;
  for (const auto& s : list) {
    n += sizeof s + bytes_of(s.conversation) - kNode - sizeof s.conversation +
         bytes_of(s.last_message) + bytes_of(s.last_message_sender);
  }
  return n;
}

std::size_t bytes_of(const chat::Message& m) {
  return 32 + sizeof m + bytes_of(m.sender_email) + bytes_of(m.sender_name) + bytes_of(m.body);
}

chat::ConversationSummary* find_summary(std::vector<chat::ConversationSummary>& list,
                                        const chat::ConversationId& id) {
  for (auto& s : list)
    if (s.conversation.id == id) return &s;
  return nullptr;
}

}  // namespace

std::size_t ObjectIdHash::operator()(const base::ObjectId& id) const noexcept {
  // The last 8 bytes: the random per-process part and the counter.
  std::uint64_t h;
  std::memcpy(&h, id.bytes().data() + 4, sizeof h);
  return static_cast<std::size_t>(h * 0x9E3779B97F4A7C15ULL);
}

ReadCache::ReadCache(std::size_t budget_bytes, std::size_t tail_length)
    : tail_length_(tail_length),
      users_(budget_bytes / 8),
      conversations_(budget_bytes / 8),
      lists_(budget_bytes / 4),
      tails_(budget_bytes / 2) {}

void ReadCache::Tail::push_back(std::shared_ptr<const chat::Message> m) {
  bytes += storage::bytes_of(*m);
  messages.push_back(std::move(m));
}

void ReadCache::Tail::pop_front() {
  bytes -= storage::bytes_of(*messages.front());
  messages.pop_front();
}

// ---- Readers ----------------------------------------------------------------------------------

std::optional<chat::User> ReadCache::user(std::string_view email, Generation& gen) {
  std::lock_guard lock(mu_);
  if (const auto* u = users_.find(email)) return *u;
  gen = generation_;
  return std::nullopt;
}

void ReadCache::fill_user(const chat::User& u, Generation gen) {
  std::lock_guard lock(mu_);
  if (fresh(gen)) users_.put(u.email, u, storage::bytes_of(u));
}

std::optional<chat::Conversation> ReadCache::conversation(const chat::ConversationId& id) {
  std::lock_guard lock(mu_);
  if (const auto* c = conversations_.find(id)) return *c;
  return std::nullopt;
}

void ReadCache::fill_conversation(const chat::Conversation& c) {
  std::lock_guard lock(mu_);
  conversations_.put(c.id, c, storage::bytes_of(c));
}

std::optional<std::vector<chat::ConversationSummary>> ReadCache::conversations_of(
    std::string_view email, Generation& gen) {
  std::lock_guard lock(mu_);
  if (const auto* list = lists_.find(email)) return *list;
  gen = generation_;
  return std::nullopt;
}

void ReadCache::fill_conversations_of(std::string_view email,
                                      const std::vector<chat::ConversationSummary>& list,
                                      Generation gen) {
  std::lock_guard lock(mu_);
  if (fresh(gen)) lists_.put(std::string(email), list, storage::bytes_of(list));
}

std::optional<std::vector<chat::Message>> ReadCache::messages(const chat::ConversationId& id,
                                                              std::int64_t skip,
                                                              std::int64_t limit,
                                                              Generation& gen) {
  skip = std::max<std::int64_t>(skip, 0);
  limit = std::max<std::int64_t>(limit, 0);
  std::vector<std::shared_ptr<const chat::Message>> picked;
  {
    std::lock_guard lock(mu_);
    auto* t = tails_.find(id);
    if (t == nullptr) {
      gen = generation_;
      return std::nullopt;
    }
    const auto size = static_cast<std::int64_t>(t->messages.size());
    if (!t->whole && skip + limit > size) {  // older than the tail
      gen = generation_;
      return std::nullopt;
    }
    const auto end = std::max<std::int64_t>(size - skip, 0);
    const auto begin = std::max<std::int64_t>(end - limit, 0);
    picked.assign(t->messages.begin() + begin, t->messages.begin() + end);
  }
  std::vector<chat::Message> out;
  out.reserve(picked.size());
  for (const auto& m : picked) out.push_back(*m);
  return out;
}

void ReadCache::fill_messages(const chat::ConversationId& id,
                              const std::vector<chat::Message>& newest_first, bool whole,
                              Generation gen) {
  Tail t;
  t.whole = whole;
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it)
    t.push_back(std::make_shared<const chat::Message>(*it));
  std::lock_guard lock(mu_);
  if (fresh(gen)) tails_.put(id, t, t.bytes);
}

// ---- The writer -------------------------------------------------------------------------------

void ReadCache::begin_commit() {
  std::lock_guard lock(mu_);
  if (generation_ % 2 == 0) ++generation_;
}

void ReadCache::end_commit(const std::vector<Change>& changes) {
  std::lock_guard lock(mu_);
  if (generation_ % 2 == 1) ++generation_;
  for (const auto& c : changes) std::visit([this](const auto& x) { apply_one(x); }, c);
}

void ReadCache::abandon_commit() {
  std::lock_guard lock(mu_);
  if (generation_ % 2 == 1) ++generation_;
  users_.clear();
  conversations_.clear();
  lists_.clear();
  tails_.clear();
}

void ReadCache::apply_one(const UserStored& c) {
  users_.put(c.user.email, c.user, storage::bytes_of(c.user));
}

void ReadCache::apply_one(const LastSeen& c) {
  users_.update(c.email, [&](chat::User& u) {
    u.last_seen = c.when;
    return storage::bytes_of(u);
  });
}

// A conversation the participant's cached list does not have yet (it was just created).
void ReadCache::add_to_list(const chat::Conversation& c, const chat::Message* last,
                            const std::string& email) {
  lists_.update(email, [&](Summaries& list) {
    auto* s = find_summary(list, c.id);
    if (s == nullptr) {
      list.push_back(chat::ConversationSummary{c, std::nullopt, std::nullopt, std::nullopt, 0});
      s = &list.back();
    }
    if (last != nullptr) {
      s->last_message = last->body;
      s->last_message_time = last->timestamp;
      s->last_message_sender = last->sender_email;
      if (email != last->sender_email) ++s->unread_count;
    }
    return storage::bytes_of(list);
  });
}

void ReadCache::apply_one(const ConversationCreated& c) {
  conversations_.put(c.conversation.id, c.conversation, storage::bytes_of(c.conversation));
  Tail t;
  t.whole = true;
  tails_.put(c.conversation.id, t, t.bytes);
  for (const auto& p : c.conversation.participants) add_to_list(c.conversation, nullptr, p);
}

void ReadCache::apply_one(const MessageAppended& c) {
  const auto& id = c.conversation.id;
  if (c.conversation_created) {
    conversations_.put(id, c.conversation, storage::bytes_of(c.conversation));
    Tail t;
    t.whole = true;
    t.push_back(c.message);
    tails_.put(id, t, t.bytes);
  } else {
    tails_.update(id, [&](Tail& t) {
      t.push_back(c.message);
      if (t.messages.size() > tail_length_) {
        t.pop_front();
        t.whole = false;
      }
      return t.bytes;
    });
  }
  for (const auto& p : c.conversation.participants) add_to_list(c.conversation, c.message.get(), p);
}

void ReadCache::apply_one(const MarkedRead& c) {
  lists_.update(c.email, [&](Summaries& list) {
    if (auto* s = find_summary(list, c.id)) s->unread_count = 0;
    return storage::bytes_of(list);
  });
}

}  // namespace storage
