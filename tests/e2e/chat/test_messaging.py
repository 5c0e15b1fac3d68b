"""Messages in real time with python-socketio: send_message (with and without an ack), the same
events for POST /api/messages/send, marked_as_read for POST .../mark-read, REST history and unread
counts of socket-sent messages, failures that store nothing, and other pairs' privacy.
Two users with two sockets (tabs) each."""

import pytest

from chat_e2e import NOTIFICATION_KEYS, assert_message


def by_id(mid):
    return lambda m: isinstance(m, dict) and m.get("id") == mid


def two_users_two_tabs(chat):
    alice = chat.api.new_user("alice")
    bob = chat.api.new_user("bob")
    return (alice, bob, chat.connect(alice, "alice#1"), chat.connect(alice, "alice#2"),
            chat.connect(bob, "bob#1"), chat.connect(bob, "bob#2"))


def test_the_first_message_reaches_every_tab_of_both_users_without_a_join(chat):
    alice, bob, a1, a2, b1, b2 = two_users_two_tabs(chat)
    assert chat.api.conversation_with(alice, bob) is None
    ack = a1.call("send_message", {"to_email": bob.email, "message": "Hello there!",
                                   "message_type": "text", "reply_to": None})
    assert set(ack) == {"ok", "message"} and ack["ok"] is True, ack
    assert_message(ack["message"], sender=alice, text="Hello there!")
    msg = ack["message"]
    for s in (a1, a2, b1, b2):
        assert s.rec.next("new_message", by_id(msg["id"])) == msg, s.label
    for s in (b1, b2):
        n = s.rec.next("message_notification")
        assert set(n) == NOTIFICATION_KEYS, n
        assert n == {"conversation_id": msg["conversation_id"], "sender_email": alice.email,
                     "sender_name": alice.name, "message": "Hello there!"}
    chat.barrier([a1, a2, b1, b2])
    for s in (a1, a2):
        s.rec.assert_none("message_notification", lambda n: n["sender_email"] == alice.email,
                          "(for their own message)")
    for s in (b1, b2):  # a recipient's tab sees the message before its notification
        order = [e for e, a, _ in s.rec.entries if e in ("new_message", "message_notification")
                 and a[0]["conversation_id"] == msg["conversation_id"]]
        assert order == ["new_message", "message_notification"], s.rec.summary()
    for s in (a1, a2, b1, b2):
        assert len(s.rec.all("new_message", by_id(msg["id"]))) == 1, s.rec.summary()
    assert chat.api.conversation_with(bob, alice)["conversation_id"] == msg["conversation_id"]


def test_replies_travel_both_ways_to_every_tab_with_reply_to_and_message_type(chat):
    alice, bob, a1, a2, b1, b2 = two_users_two_tabs(chat)
    first = a1.call("send_message", {"to_email": bob.email, "message": "ping"})["message"]
    assert_message(first, sender=alice, text="ping")  # message_type defaults to text
    reply = b2.call("send_message", {"to_email": alice.email, "message": "cat.png",
                                     "message_type": "image", "reply_to": first["id"]})
    assert reply["ok"] is True, reply
    assert_message(reply["message"], sender=bob, text="cat.png", message_type="image",
                   reply_to=first["id"], conversation_id=first["conversation_id"])
    for s in (a1, a2, b1, b2):
        assert s.rec.next("new_message", by_id(reply["message"]["id"])) == reply["message"]
    for s in (a1, a2):
        assert s.rec.next("message_notification", lambda n: n["sender_email"] == bob.email) == {
            "conversation_id": first["conversation_id"], "sender_email": bob.email,
            "sender_name": bob.name, "message": "cat.png"}
    f = a2.call("send_message", {"to_email": bob.email, "message": "report.pdf", "message_type": "file"})
    assert f["message"]["message_type"] == "file"
    assert b1.rec.next("new_message", by_id(f["message"]["id"])) == f["message"]


def test_a_message_sent_without_an_ack_is_delivered_the_same(chat):
    alice, bob, a1, a2, b1, b2 = two_users_two_tabs(chat)
    a2.emit("send_message", {"to_email": bob.email, "message": "no ack wanted", "message_type": "text"})
    m = b1.rec.next("new_message")
    assert_message(m, sender=alice, text="no ack wanted")
    for s in (a1, a2, b2):
        assert s.rec.next("new_message", by_id(m["id"])) == m
    b2.rec.next("message_notification", lambda n: n["message"] == "no ack wanted")


def test_tabs_opened_and_closed_between_messages_get_the_messages_sent_while_open(chat):
    # A user's room changes between broadcasts (the server shares one member list per room until
    # the next join or leave): each message reaches exactly the tabs open when it was sent.
    alice = chat.api.new_user("alice")
    bob = chat.api.new_user("bob")
    a1, b1 = chat.connect(alice, "alice#1"), chat.connect(bob, "bob#1")
    m1 = a1.call("send_message", {"to_email": bob.email, "message": "one tab"})["message"]
    assert b1.rec.next("new_message", by_id(m1["id"])) == m1
    b2 = chat.connect(bob, "bob#2")
    m2 = a1.call("send_message", {"to_email": bob.email, "message": "two tabs"})["message"]
    for s in (b1, b2):
        assert s.rec.next("new_message", by_id(m2["id"])) == m2, s.label
        s.rec.next("message_notification", lambda n: n["message"] == "two tabs")
    b1.disconnect()
    b3 = chat.connect(bob, "bob#3")
    m3 = a1.call("send_message", {"to_email": bob.email, "message": "after a close"})["message"]
    for s in (b2, b3):
        assert s.rec.next("new_message", by_id(m3["id"])) == m3, s.label
    chat.barrier([a1, b2, b3])
    assert b3.rec.all("new_message", by_id(m1["id"])) == [] and b3.rec.all("new_message", by_id(m2["id"])) == []
    assert b2.rec.all("new_message", by_id(m1["id"])) == []
    for s in (b2, b3):
        assert len(s.rec.all("new_message", by_id(m3["id"]))) == 1, s.rec.summary()


def test_socket_messages_show_in_rest_history_with_the_right_unread_counts(chat):
    alice, bob, a1, _, b1, _ = two_users_two_tabs(chat)
    sent = [a1.call("send_message", {"to_email": bob.email, "message": t})["message"]
            for t in ("one", "two", "three")]
    back = b1.call("send_message", {"to_email": alice.email, "message": "four",
                                    "reply_to": sent[2]["id"]})["message"]
    sent.append(back)
    cid = sent[0]["conversation_id"]
    assert chat.api.messages(bob, cid) == sent
    assert chat.api.messages(alice, cid) == sent
    conv = chat.api.conversation_with(bob, alice)
    assert (conv["unread_count"], conv["last_message"], conv["last_message_sender"],
            conv["last_message_time"]) == (3, "four", bob.email, back["timestamp"]), conv
    assert chat.api.conversation_with(alice, bob)["unread_count"] == 1


def test_rest_send_emits_the_same_new_message_and_notification(chat):
    alice, bob, a1, a2, b1, b2 = two_users_two_tabs(chat)
    via_rest = chat.api.send(alice, bob, "sent over REST")
    assert_message(via_rest, sender=alice, text="sent over REST")
    for s in (a1, a2, b1, b2):
        assert s.rec.next("new_message", by_id(via_rest["id"])) == via_rest, s.label
    for s in (b1, b2):
        assert s.rec.next("message_notification") == {
            "conversation_id": via_rest["conversation_id"], "sender_email": alice.email,
            "sender_name": alice.name, "message": "sent over REST"}
    chat.barrier([a1, a2])
    for s in (a1, a2):
        s.rec.assert_none("message_notification", lambda n: n["sender_email"] == alice.email)
    reply = b2.call("send_message", {"to_email": alice.email, "message": "socket reply",
                                     "reply_to": via_rest["id"]})["message"]
    assert a2.rec.next("new_message", by_id(reply["id"])) == reply
    assert chat.api.messages(alice, via_rest["conversation_id"]) == [via_rest, reply]


def test_a_rest_send_to_an_offline_user_reaches_the_senders_tabs_and_the_history(chat):
    # Only one side has sockets: the sender's tabs get new_message (no notification), and the
    # recipient, connecting later, finds the message in the history and the unread count.
    alice = chat.api.new_user("alice")
    bob = chat.api.new_user("bob")
    a1 = chat.connect(alice, "alice#1")
    sent = chat.api.send(alice, bob, "while you were away")
    assert a1.rec.next("new_message", by_id(sent["id"])) == sent
    b1 = chat.connect(bob, "bob#1")
    chat.barrier([a1, b1])
    a1.rec.assert_none("message_notification", lambda n: n["message"] == "while you were away")
    assert b1.rec.all("new_message", by_id(sent["id"])) == []
    assert chat.api.messages(bob, sent["conversation_id"]) == [sent]
    assert chat.api.conversation_with(bob, alice)["unread_count"] == 1
    # And the other way round: only the recipient online.
    a1.disconnect()
    back = chat.api.send(bob, alice, "now you are away")
    assert b1.rec.next("new_message", by_id(back["id"])) == back


def test_rest_mark_read_emits_marked_as_read_to_every_tab_of_both_users(chat):
    alice, bob, a1, a2, b1, b2 = two_users_two_tabs(chat)
    m = chat.api.send(alice, bob, "read me")
    assert chat.api.conversation_with(bob, alice)["unread_count"] == 1
    assert chat.api.mark_read(bob, m["conversation_id"]) == {"message": "Conversation marked as read"}
    for s in (a1, a2, b1, b2):
        assert s.rec.next("marked_as_read") == {"conversation_id": m["conversation_id"],
                                                "user_email": bob.email}, s.label
    assert chat.api.conversation_with(bob, alice)["unread_count"] == 0


def test_a_third_user_never_sees_another_pairs_messages_or_receipts(chat):
    alice, bob, a1, _, b1, _ = two_users_two_tabs(chat)
    carol = chat.api.new_user("carol")
    c1, c2 = chat.connect(carol, "carol#1"), chat.connect(carol, "carol#2")
    m1 = a1.call("send_message", {"to_email": bob.email, "message": "private 1"})["message"]
    m2 = chat.api.send(bob, alice, "private 2")
    assert b1.call("mark_as_read", {"conversation_id": m1["conversation_id"]}) == {"ok": True}
    chat.api.mark_read(alice, m1["conversation_id"])
    a1.rec.next("new_message", by_id(m2["id"]))
    chat.barrier([c1, c2])
    for s in (c1, c2):
        s.rec.assert_none("new_message", lambda m: m["conversation_id"] == m1["conversation_id"])
        s.rec.assert_none("message_notification", lambda n: n["conversation_id"] == m1["conversation_id"])
        s.rec.assert_none("marked_as_read")


# ---- failures -----------------------------------------------------------------------------------

def pair(chat):
    alice = chat.api.new_user("alice")
    bob = chat.api.new_user("bob")
    return alice, bob, chat.connect(alice, "alice#1"), chat.connect(bob, "bob#1")


def assert_rejected(chat, alice, bob, a1, b1, payload, expected):
    """ack {ok:false, error}, an error event with the same text, nothing delivered, nothing stored."""
    before = chat.api.conversations(alice)
    mark_a, mark_b = a1.rec.mark(), b1.rec.mark()
    ack = a1.call("send_message", payload)
    assert isinstance(ack, dict) and set(ack) == {"ok", "error"} and ack["ok"] is False, ack
    if expected is not None:
        assert ack["error"] == expected, (payload, ack)
    err = a1.rec.next("error")
    assert err == {"message": ack["error"]}, err
    chat.barrier([b1])
    why = f"after {str(payload)[:200]}"
    b1.rec.assert_none("new_message", lambda m: m["sender_email"] == alice.email, why, mark_b)
    b1.rec.assert_none("message_notification", lambda n: n["sender_email"] == alice.email, why, mark_b)
    a1.rec.assert_none("new_message", lambda m: m["sender_email"] == alice.email, why, mark_a)
    assert chat.api.conversations(alice) == before, "nothing stored"
    return ack["error"]


@pytest.mark.parametrize("payload_for, expected", [
    (lambda bob: {"to_email": "nobody-here@example.com", "message": "hello?"}, "Recipient not found"),
    (lambda bob: {"to_email": bob.email, "message": ""}, "message must not be empty"),
    (lambda bob: {"to_email": bob.email, "message": "  \n\t "}, "message must not be empty"),
    (lambda bob: {"to_email": bob.email, "message": "x" * 4097},
     "message: ensure this value has at most 4096 characters"),
    (lambda bob: {"to_email": bob.email, "message": "hi", "message_type": "video"},
     "message_type must be one of: text, image, file"),
    (lambda bob: {"to_email": bob.email, "message": "hi", "reply_to": "not-an-id"},
     "reply_to must reference a message of the same conversation"),
    (lambda bob: {"to_email": bob.email, "message": "hi", "reply_to": "0123456789abcdef01234567"},
     "reply_to must reference a message of the same conversation"),
    (lambda bob: {"message": "to nobody"}, "to_email is required"),
    (lambda bob: {"to_email": "not-an-email", "message": "hi"}, "to_email: value is not a valid email address"),
], ids=["unknown recipient", "empty message", "blank message", "too long", "bad message_type",
        "malformed reply_to", "reply_to of no message", "no to_email", "invalid to_email"])
def test_a_rejected_send_acks_an_error_emits_error_and_stores_nothing(chat, payload_for, expected):
    alice, bob, a1, b1 = pair(chat)
    assert_rejected(chat, alice, bob, a1, b1, payload_for(bob), expected)
    assert chat.api.conversation_with(bob, alice) is None, "no conversation was created"
    ok = a1.call("send_message", {"to_email": bob.email, "message": "still fine"})
    assert ok["ok"] is True and b1.rec.next("new_message", by_id(ok["message"]["id"]))


def test_a_message_at_the_length_limit_is_accepted(chat):
    alice, bob, a1, b1 = pair(chat)
    ok = a1.call("send_message", {"to_email": bob.email, "message": "é" * 4096})
    assert ok["ok"] is True, ok
    assert b1.rec.next("new_message")["message"] == "é" * 4096


def test_a_message_to_yourself_is_rejected(chat):
    alice, bob, a1, b1 = pair(chat)
    error = assert_rejected(chat, alice, bob, a1, b1, {"to_email": alice.email, "message": "me"}, None)
    assert "yourself" in error, error


def test_a_reply_to_a_message_of_another_conversation_is_rejected(chat):
    alice, bob, a1, b1 = pair(chat)
    carol = chat.api.new_user("carol")
    elsewhere = chat.api.send(alice, carol, "in another conversation")
    start = chat.api.send(alice, bob, "start")
    for s in (a1, b1):
        s.rec.next("new_message", by_id(start["id"]))
    assert_rejected(chat, alice, bob, a1, b1,
                    {"to_email": bob.email, "message": "hi", "reply_to": elsewhere["id"]},
                    "reply_to must reference a message of the same conversation")


def test_a_send_without_a_message_is_rejected_naming_the_missing_field(chat):
    alice, bob, a1, b1 = pair(chat)
    error = assert_rejected(chat, alice, bob, a1, b1, {"to_email": bob.email}, None)
    assert "message" in error, f"the error should say that 'message' is missing, got {error!r}"
