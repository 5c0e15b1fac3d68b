"""Malformed event payloads sent with python-socketio: each gets an error event {message} naming
the problem, and the connection stays up (a round trip and a delivered message afterwards)."""

import pytest

CONVERSATION_EVENTS = ["join_conversation", "leave_conversation", "typing_start", "typing_stop",
                       "mark_as_read"]


def conversation_cases(event):
    not_object = f"Invalid payload for {event}: expected an object"
    return [
        ("no arguments", (), not_object),
        ("a string instead of an object", ("0123456789abcdef01234567",), not_object),
        ("a number instead of an object", (42,), not_object),
        ("null", (None,), not_object),
        ("a list", ([{"conversation_id": "0123456789abcdef01234567"}],), not_object),
        ("no conversation_id", ({},), "conversation_id is required"),
        ("an empty conversation_id", ({"conversation_id": ""},), "conversation_id is required"),
        ("a null conversation_id", ({"conversation_id": None},), "conversation_id is required"),
        ("a number as conversation_id", ({"conversation_id": 123},), "conversation_id must be a string"),
        ("a bool as conversation_id", ({"conversation_id": True},), "conversation_id must be a string"),
    ]


def pair(chat):
    alice = chat.api.new_user("alice")
    bob = chat.api.new_user("bob")
    return alice, bob, chat.connect(alice, "alice#1"), chat.connect(bob, "bob#1")


def assert_still_usable(a1, b1, bob, after):
    assert a1.connected, f"disconnected after {after}"
    a1.round_trip()
    ok = a1.call("send_message", {"to_email": bob.email, "message": f"after {after}"})
    assert ok["ok"] is True, (after, ok)
    b1.rec.next("new_message", lambda m: m["id"] == ok["message"]["id"])
    a1.rec.assert_none("disconnect")


@pytest.mark.parametrize("event", CONVERSATION_EVENTS)
def test_every_malformed_conversation_event_gets_an_error_and_the_connection_stays_up(chat, event):
    alice, bob, a1, b1 = pair(chat)
    for what, args, expected in conversation_cases(event):
        a1.emit(event, *args)
        assert a1.rec.next("error") == {"message": expected}, f"{event} with {what}"
        assert_still_usable(a1, b1, bob, f"{event} with {what}")
    watcher, effect = {
        "join_conversation": (a1, "joined_conversation"),
        "leave_conversation": (a1, "left_conversation"),
        "typing_start": (b1, "user_typing"),
        "typing_stop": (b1, "user_typing"),
        "mark_as_read": (b1, "marked_as_read"),
    }[event]
    watcher.rec.assert_none(effect)


def test_every_malformed_send_message_gets_an_error_and_a_failed_ack(chat):
    alice, bob, a1, b1 = pair(chat)
    not_object = "Invalid payload for send_message: expected an object"
    cases = [
        ("no arguments", (), not_object),
        ("a string instead of an object", ("hello",), not_object),
        ("null", (None,), not_object),
        ("a list", ([{"to_email": bob.email, "message": "hi"}],), not_object),
        ("a number as to_email", ({"to_email": 42, "message": "hi"},), "to_email must be a string"),
        ("a number as message", ({"to_email": bob.email, "message": 42},), "message must be a string"),
        ("a dict as message", ({"to_email": bob.email, "message": {"t": 1}},), "message must be a string"),
        ("a number as message_type", ({"to_email": bob.email, "message": "hi", "message_type": 1},),
         "message_type must be a string"),
        ("a number as reply_to", ({"to_email": bob.email, "message": "hi", "reply_to": 7},),
         "reply_to must be a string"),
        ("no to_email", ({"message": "hi"},), "to_email is required"),
    ]
    for what, args, expected in cases:
        a1.emit("send_message", *args)
        assert a1.rec.next("error") == {"message": expected}, f"send_message with {what}"
        if args:
            assert a1.call("send_message", *args) == {"ok": False, "error": expected}, what
            assert a1.rec.next("error") == {"message": expected}
        assert_still_usable(a1, b1, bob, f"send_message with {what}")
    cid = chat.api.conversation_with(alice, bob)["conversation_id"]
    stored = [m["message"] for m in chat.api.messages(alice, cid)]
    assert [t for t in stored if not t.startswith("after ")] == [], stored


def test_unknown_fields_and_extra_arguments_are_ignored(chat):
    alice, bob, a1, b1 = pair(chat)
    ack = a1.call("send_message", {"to_email": bob.email, "message": "extra", "colour": "red"})
    assert ack["ok"] is True, ack
    assert b1.rec.next("new_message")["message"] == "extra"
    a1.emit("join_conversation", {"conversation_id": ack["message"]["conversation_id"], "x": 1}, "second")
    assert a1.rec.next("joined_conversation") == {"conversation_id": ack["message"]["conversation_id"]}
    a1.rec.assert_none("error")
