"""Presence with --presence-scope all: user_online / user_offline reach every connected user,
strangers included, and get_online_users lists every online user."""

NATTER_ARGS = ["--presence-scope", "all"]


def about(user):
    return lambda p: isinstance(p, dict) and p.get("email") == user.email


def test_presence_reaches_every_connected_user_including_strangers(chat):
    alice = chat.api.new_user("alice")
    stranger = chat.api.new_user("stranger")
    s1, s2 = chat.connect(stranger, "stranger#1"), chat.connect(stranger, "stranger#2")
    alice1 = chat.connect(alice, "alice#1")
    for s in (s1, s2):
        assert s.rec.next("user_online", about(alice)) == {"email": alice.email}
    alice2 = chat.connect(alice, "alice#2")
    alice2.disconnect()
    alice1.round_trip()
    chat.barrier([s1, s2])
    for s in (s1, s2):
        assert len(s.rec.all("user_online", about(alice))) == 1, s.rec.summary()
        s.rec.assert_none("user_offline", about(alice), "(alice still has a tab)")
    alice1.disconnect()
    for s in (s1, s2):
        assert s.rec.next("user_offline", about(alice)) == {"email": alice.email}


def test_online_users_lists_every_online_user(chat):
    users = [chat.api.new_user(n) for n in ("alice", "bob", "carol")]
    offline = chat.api.new_user("offline")
    socks = [chat.connect(u) for u in users]
    socks[0].emit("get_online_users")
    online = socks[0].rec.next("online_users")["users"]
    for u in users:
        assert u.email in online, (u.email, online)
    assert offline.email not in online
    assert len(set(online)) == len(online), online
