"""Conversation-scoped events with python-socketio: join_conversation / leave_conversation,
typing_start / typing_stop and mark_as_read — for participants (two tabs each), a non-participant
(two tabs) and unknown conversations."""

import pytest

UNKNOWN_ID = "0123456789abcdef01234567"  # well-formed, names no conversation


class Setup:
    def __init__(self, chat):
        api = chat.api
        self.alice, self.bob, self.carol = (api.new_user(n) for n in ("alice", "bob", "carol"))
        self.cid = api.start(self.alice, self.bob)["conversation_id"]
        self.a1, self.a2 = chat.connect(self.alice, "alice#1"), chat.connect(self.alice, "alice#2")
        self.b1, self.b2 = chat.connect(self.bob, "bob#1"), chat.connect(self.bob, "bob#2")
        self.c1, self.c2 = chat.connect(self.carol, "carol#1"), chat.connect(self.carol, "carol#2")


def expect_error(sock, event, payload, expected):
    sock.emit(event, payload)
    err = sock.rec.next("error")
    assert err == {"message": expected}, (event, payload, err)


def test_a_participant_socket_gets_joined_and_left_confirmations(chat):
    s = Setup(chat)
    s.a1.emit("join_conversation", {"conversation_id": s.cid})
    assert s.a1.rec.next("joined_conversation") == {"conversation_id": s.cid}
    s.a1.emit("leave_conversation", {"conversation_id": s.cid})
    assert s.a1.rec.next("left_conversation") == {"conversation_id": s.cid}
    marks = [x.rec.mark() for x in (s.a1, s.a2, s.b2)]
    s.b1.emit("join_conversation", {"conversation_id": s.cid})
    s.b1.emit("join_conversation", {"conversation_id": s.cid})  # twice: confirmed twice
    assert s.b1.rec.next("joined_conversation") == {"conversation_id": s.cid}
    assert s.b1.rec.next("joined_conversation") == {"conversation_id": s.cid}
    chat.barrier([s.a1, s.a2, s.b2])
    for sock, mark in zip((s.a1, s.a2, s.b2), marks):
        sock.rec.assert_none("joined_conversation", why="(bob#1 joined)", since=mark)
    for sock in (s.a1, s.a2, s.b1):
        sock.rec.assert_none("error")


def test_messages_reach_a_participant_whether_joined_or_left(chat):
    s = Setup(chat)
    s.b1.emit("join_conversation", {"conversation_id": s.cid})
    s.b1.rec.next("joined_conversation")
    s.b1.emit("leave_conversation", {"conversation_id": s.cid})
    s.b1.rec.next("left_conversation")
    m = s.a1.call("send_message", {"to_email": s.bob.email, "message": "after leave"})["message"]
    assert m["conversation_id"] == s.cid
    for sock in (s.b1, s.b2):
        assert sock.rec.next("new_message", lambda x: x["id"] == m["id"]) == m


def test_a_non_participant_may_not_join_or_leave(chat):
    s = Setup(chat)
    expect_error(s.c1, "join_conversation", {"conversation_id": s.cid}, "Access denied")
    expect_error(s.c1, "leave_conversation", {"conversation_id": s.cid}, "Access denied")
    s.c1.rec.assert_none("joined_conversation")
    s.c1.rec.assert_none("left_conversation")


@pytest.mark.parametrize("event", ["join_conversation", "leave_conversation", "typing_start",
                                   "typing_stop", "mark_as_read"])
def test_an_unknown_or_malformed_conversation_id_is_not_found(chat, event):
    s = Setup(chat)
    expect_error(s.a1, event, {"conversation_id": UNKNOWN_ID}, "Conversation not found")
    expect_error(s.a1, event, {"conversation_id": "not-an-object-id"}, "Conversation not found")
    s.a1.round_trip()


def test_typing_reaches_every_tab_of_the_other_participant_and_never_the_typist(chat):
    s = Setup(chat)
    s.a1.emit("typing_start", {"conversation_id": s.cid})
    for sock in (s.b1, s.b2):
        assert sock.rec.next("user_typing") == {"conversation_id": s.cid, "user_email": s.alice.email,
                                                "typing": True}
    s.a1.emit("typing_stop", {"conversation_id": s.cid})
    for sock in (s.b1, s.b2):
        assert sock.rec.next("user_typing") == {"conversation_id": s.cid, "user_email": s.alice.email,
                                                "typing": False}
    s.b2.emit("typing_start", {"conversation_id": s.cid})
    for sock in (s.a1, s.a2):
        assert sock.rec.next("user_typing") == {"conversation_id": s.cid, "user_email": s.bob.email,
                                                "typing": True}
    s.a1.round_trip()
    s.b2.round_trip()
    chat.barrier([s.a1, s.a2, s.b1, s.b2, s.c1, s.c2])
    for sock in (s.a1, s.a2):
        sock.rec.assert_none("user_typing", lambda t: t["user_email"] == s.alice.email, "(own typing)")
    for sock in (s.b1, s.b2):
        sock.rec.assert_none("user_typing", lambda t: t["user_email"] == s.bob.email, "(own typing)")
    for sock in (s.c1, s.c2):
        sock.rec.assert_none("user_typing", why="(not a participant)")
    assert len(s.b1.rec.all("user_typing")) == 2


def test_a_non_participant_may_not_type_and_nobody_hears_it(chat):
    s = Setup(chat)
    expect_error(s.c1, "typing_start", {"conversation_id": s.cid}, "Access denied")
    expect_error(s.c1, "typing_stop", {"conversation_id": s.cid}, "Access denied")
    chat.barrier([s.a1, s.a2, s.b1, s.b2])
    for sock in (s.a1, s.a2, s.b1, s.b2):
        sock.rec.assert_none("user_typing")


def test_mark_as_read_resets_unread_and_tells_every_tab_of_both_participants(chat):
    s = Setup(chat)
    api = chat.api
    api.send(s.alice, s.bob, "one")
    s.a2.call("send_message", {"to_email": s.bob.email, "message": "two"})
    assert api.conversation_with(s.bob, s.alice)["unread_count"] == 2
    assert s.b2.call("mark_as_read", {"conversation_id": s.cid}) == {"ok": True}
    for sock in (s.a1, s.a2, s.b1, s.b2):
        assert sock.rec.next("marked_as_read") == {"conversation_id": s.cid, "user_email": s.bob.email}
    assert api.conversation_with(s.bob, s.alice)["unread_count"] == 0
    assert api.conversation_with(s.alice, s.bob)["unread_count"] == 0
    # without an ack, as documented
    api.send(s.alice, s.bob, "three")
    assert api.conversation_with(s.bob, s.alice)["unread_count"] == 1
    s.b1.emit("mark_as_read", {"conversation_id": s.cid})
    for sock in (s.a1, s.b1):
        assert sock.rec.next("marked_as_read") == {"conversation_id": s.cid, "user_email": s.bob.email}
    assert api.conversation_with(s.bob, s.alice)["unread_count"] == 0
    chat.barrier([s.c1])
    s.c1.rec.assert_none("marked_as_read")


def test_a_non_participant_may_not_mark_read_and_nothing_changes(chat):
    s = Setup(chat)
    chat.api.send(s.alice, s.bob, "unread")
    assert s.c1.call("mark_as_read", {"conversation_id": s.cid}) == {"ok": False, "error": "Access denied"}
    assert s.c1.rec.next("error") == {"message": "Access denied"}
    chat.barrier([s.a1, s.a2, s.b1, s.b2])
    for sock in (s.a1, s.a2, s.b1, s.b2):
        sock.rec.assert_none("marked_as_read")
    assert chat.api.conversation_with(s.bob, s.alice)["unread_count"] == 1
