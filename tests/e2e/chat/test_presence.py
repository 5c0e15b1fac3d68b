"""Presence with the default contacts scope: user_online / user_offline with several tabs per user,
get_online_users, REST is_online / last_seen, a client that stops answering pings, and a server
restart.

Negative assertions use ordering barriers (chat.barrier), never sleeps. One exception: closing one
of two tabs correctly emits nothing, so there is no completion to wait for; that check runs after
REST and socket round trips that follow the close.
"""

import time

from chat_e2e import Chat, iso_millis


def about(user):
    return lambda p: isinstance(p, dict) and p.get("email") == user.email


def contacts(chat):
    alice = chat.api.new_user("alice")
    bob = chat.api.new_user("bob")
    chat.api.send(alice, bob, "hello before anyone connects")
    return alice, bob


def test_a_contact_is_told_user_online_for_the_first_tab_only(chat):
    alice, bob = contacts(chat)
    bob1 = chat.connect(bob, "bob#1")
    bob2 = chat.connect(bob, "bob#2")
    alice1 = chat.connect(alice, "alice#1")
    for s in (bob1, bob2):
        assert s.rec.next("user_online", about(alice)) == {"email": alice.email}
    alice2 = chat.connect(alice, "alice#2")  # settles: its connection handling is over
    chat.barrier([bob1, bob2, alice1, alice2])
    for s in (bob1, bob2):
        assert len(s.rec.all("user_online", about(alice))) == 1, s.rec.summary()
    for s in (alice1, alice2):
        s.rec.assert_none("user_online", about(bob), "(bob was online before alice connected)")
        s.rec.assert_none("user_online", about(alice), "(about herself)")


def test_a_contact_is_told_user_offline_only_when_the_last_tab_closes(chat):
    alice, bob = contacts(chat)
    bob1 = chat.connect(bob, "bob#1")
    bob2 = chat.connect(bob, "bob#2")
    alice1 = chat.connect(alice, "alice#1")
    alice2 = chat.connect(alice, "alice#2")
    bob1.rec.next("user_online", about(alice))

    alice2.disconnect()
    assert chat.api.me(alice)["is_online"] is True, "alice still has a tab open"
    assert bob1.round_trip()["users"] == [alice.email]
    alice1.round_trip()
    chat.barrier([bob1, bob2])
    for s in (bob1, bob2):
        s.rec.assert_none("user_offline", about(alice), "(one of alice's two tabs closed)")

    alice1.disconnect()
    for s in (bob1, bob2):
        assert s.rec.next("user_offline", about(alice)) == {"email": alice.email}
    chat.barrier([bob1, bob2])
    for s in (bob1, bob2):
        assert len(s.rec.all("user_offline", about(alice))) == 1, s.rec.summary()
    assert chat.api.me(alice)["is_online"] is False


def test_rest_is_online_and_last_seen_follow_the_sockets(chat):
    alice, bob = contacts(chat)
    bob1 = chat.connect(bob)
    me = chat.api.me(alice)
    assert set(me) == {"email", "name", "profile_image", "is_online", "last_seen"}, me
    assert me["is_online"] is False
    assert chat.api.search_online(bob, alice) is False

    t_connect = int(time.time() * 1000)
    alice1 = chat.connect(alice)
    bob1.rec.next("user_online", about(alice))
    me = chat.api.me(alice)
    assert me["is_online"] is True
    assert chat.api.search_online(bob, alice) is True
    assert me["last_seen"] is not None and iso_millis(me["last_seen"]) >= t_connect, (
        f"last_seen {me['last_seen']} should be refreshed on connect (at or after {t_connect})")

    alice2 = chat.connect(alice)
    alice2.disconnect()
    assert chat.api.me(alice)["is_online"] is True, "one tab is still open"

    t_disconnect = int(time.time() * 1000)
    alice1.disconnect()
    bob1.rec.next("user_offline", about(alice))
    me = chat.api.me(alice)
    assert me["is_online"] is False
    assert chat.api.search_online(bob, alice) is False
    assert iso_millis(me["last_seen"]) >= t_disconnect, (
        f"last_seen {me['last_seen']} should be refreshed on disconnect (at or after {t_disconnect})")


def test_a_stranger_is_told_nothing_about_presence(chat):
    alice, bob = contacts(chat)
    bob1 = chat.connect(bob)
    stranger = chat.connect(chat.api.new_user("stranger"))
    alice1 = chat.connect(alice)
    bob1.rec.next("user_online", about(alice))
    chat.barrier([stranger, bob1])
    stranger.rec.assert_none("user_online", about(alice), "(not a contact)")
    bob1.rec.assert_none("user_online", about(stranger.user), "(not a contact)")

    alice1.disconnect()
    bob1.rec.next("user_offline", about(alice))
    chat.barrier([stranger])
    stranger.rec.assert_none("user_offline", about(alice), "(not a contact)")


def test_online_users_lists_only_the_callers_online_contacts(chat):
    api = chat.api
    alice, bob, carol, dave = (api.new_user(n) for n in ("alice", "bob", "carol", "dave"))
    for other in (bob, carol, dave):  # dave stays offline
        api.send(alice, other, "hi")
    alice1 = chat.connect(alice)
    chat.connect(bob)
    chat.connect(carol)
    chat.connect(carol)  # a second tab: listed once
    chat.connect(api.new_user("stranger"))
    alice1.emit("get_online_users")
    data = alice1.rec.next("online_users")
    assert set(data) == {"users"}, data
    assert sorted(data["users"]) == sorted([bob.email, carol.email])
    loner = chat.connect(api.new_user("loner"))
    loner.emit("get_online_users")
    assert loner.rec.next("online_users") == {"users": []}


def test_a_client_that_stops_answering_pings_is_reported_offline(make_server, mode):
    from chat_e2e import ALL_MODES
    server = make_server(["--ping-interval-ms", "200", "--ping-timeout-ms", "200"])
    chat = Chat(server, ALL_MODES[mode])
    try:
        alice, bob = contacts(chat)
        bob1 = chat.connect(bob)
        alice1 = chat.connect(alice)
        bob1.rec.next("user_online", about(alice))
        # alice's client goes silent: it keeps the connection but stops answering pings
        eio = alice1.sio.eio
        real_send = eio._send_packet
        eio._send_packet = lambda pkt: None if pkt.packet_type == 3 else real_send(pkt)  # 3 = PONG
        assert bob1.rec.next("user_offline", about(alice)) == {"email": alice.email}
        assert chat.api.me(alice)["is_online"] is False
        bob1.round_trip()  # bob's connection answered its pings and is fine
    finally:
        chat.close_all()


def test_nobody_is_online_after_a_restart_until_they_reconnect(make_server, mode):
    from chat_e2e import ALL_MODES
    server = make_server()
    chat = Chat(server, ALL_MODES[mode])
    try:
        alice, bob = contacts(chat)
        alice1 = chat.connect(alice)
        bob1 = chat.connect(bob)
        alice1.rec.next("user_online", about(bob))
        server.restart()  # SIGTERM with both connected: must exit 0
        alice1.rec.next("disconnect")
        bob1.rec.next("disconnect")
        chat.close_all()
        chat = Chat(server, ALL_MODES[mode])  # the new port
        assert chat.api.me(alice)["is_online"] is False
        assert chat.api.me(bob)["is_online"] is False
        alice2 = chat.connect(alice)  # same secret: the old token is still valid
        assert alice2.round_trip()["users"] == [], "bob has not reconnected"
        assert chat.api.search_online(alice, bob) is False
        assert chat.api.me(alice)["is_online"] is True
        chat.connect(bob)
        assert alice2.rec.next("user_online", about(bob)) == {"email": bob.email}
        assert chat.api.search_online(alice, bob) is True
    finally:
        chat.close_all()
