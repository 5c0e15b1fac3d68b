"""POST /api/messages/send."""

import time

import pytest

from natter_checks import (SENT_KEYS, assert_detail, assert_message, assert_validation_error)
from natter_server import (conversation_with, conversations, iso_to_millis, login, messages,
                           new_user, post, send, send_ok, unique_email)


@pytest.fixture
def pair(base_url):
    a, ta = new_user(base_url, "sender", "Sender Person")
    b, tb = new_user(base_url, "recipient", "Recipient Person")
    return a, ta, b, tb


def test_send_returns_the_documented_message_plus_edited_false(base_url, pair):
    a, ta, b, _ = pair
    before = time.time()
    r = send(base_url, ta, b, "Hello there!", message_type="text")
    after = time.time()
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    m = r.json()
    assert set(m) == SENT_KEYS, sorted(m)
    assert_message(m, sender_email=a, text="Hello there!")
    assert m["sender_name"] == "Sender Person"
    assert m["message_type"] == "text"
    assert m["reply_to"] is None
    assert m["edited"] is False
    assert before - 1 <= iso_to_millis(m["timestamp"]) / 1000 <= after + 1, m["timestamp"]


def test_the_first_message_to_a_new_user_creates_the_conversation_for_both(base_url, pair):
    a, ta, b, tb = pair
    assert conversations(base_url, ta) == [] and conversations(base_url, tb) == []
    m = send_ok(base_url, ta, b, "first!")
    for token, other in ((ta, b), (tb, a)):
        conv = conversation_with(base_url, token, other)
        assert conv is not None
        assert conv["conversation_id"] == m["conversation_id"]
        assert sorted(conv["participants"]) == sorted([a, b])
        assert conv["last_message"] == "first!"
        assert conv["last_message_sender"] == a
        assert conv["last_message_time"] == m["timestamp"]
    assert messages(base_url, tb, m["conversation_id"]) == [m]


def test_messages_in_both_directions_share_one_conversation(base_url, pair):
    a, ta, b, tb = pair
    m1 = send_ok(base_url, ta, b, "ping")
    m2 = send_ok(base_url, tb, a, "pong")
    assert m1["conversation_id"] == m2["conversation_id"]
    assert m2["sender_email"] == b and m2["sender_name"] == "Recipient Person"
    assert len(conversations(base_url, ta)) == 1


def test_send_normalises_to_email(base_url, pair):
    a, ta, b, _ = pair
    m1 = send_ok(base_url, ta, b, "lower")
    m2 = send_ok(base_url, ta, f"  {b.upper()}  ", "upper")
    assert m1["conversation_id"] == m2["conversation_id"]


def test_sender_name_follows_the_senders_current_name(base_url, pair):
    a, ta, b, _ = pair
    send_ok(base_url, ta, b, "old name")
    login(base_url, a, "Renamed Sender")
    assert send_ok(base_url, ta, b, "new name")["sender_name"] == "Renamed Sender"


@pytest.mark.parametrize("kind", ["text", "image", "file"])
def test_send_accepts_each_message_type_and_echoes_it(base_url, pair, kind):
    a, ta, b, tb = pair
    m = send_ok(base_url, ta, b, f"https://example.com/thing.{kind}", message_type=kind)
    assert m["message_type"] == kind
    assert messages(base_url, tb, m["conversation_id"])[-1]["message_type"] == kind


def test_message_type_defaults_to_text(base_url, pair):
    a, ta, b, _ = pair
    assert send_ok(base_url, ta, b, "no type")["message_type"] == "text"


@pytest.mark.parametrize("kind", ["video", "TEXT", "", "audio", 1])
def test_an_unknown_message_type_is_a_422_on_message_type(base_url, pair, kind):
    a, ta, b, _ = pair
    assert_validation_error(send(base_url, ta, b, "x", message_type=kind),
                            ["body", "message_type"])


def test_send_to_an_unknown_recipient_is_404_and_creates_nothing(base_url, pair):
    a, ta, _, _ = pair
    assert_detail(send(base_url, ta, unique_email("nobody"), "hello?"), 404)
    assert conversations(base_url, ta) == []


def test_an_empty_message_is_a_422_on_message(base_url, pair):
    a, ta, b, tb = pair
    assert_validation_error(send(base_url, ta, b, ""), ["body", "message"])
    assert conversations(base_url, tb) == []


def test_missing_fields_are_422_on_each_field(base_url, pair):
    a, ta, b, _ = pair
    r = post(base_url, "/api/messages/send", ta, json={"message": "hi"})
    assert_validation_error(r, ["body", "to_email"])
    r = post(base_url, "/api/messages/send", ta, json={"to_email": b})
    assert_validation_error(r, ["body", "message"])


@pytest.mark.parametrize("n", [1, 4095, 4096])
@pytest.mark.parametrize("ch", ["a", "é", "中"])
def test_messages_up_to_4096_characters_are_accepted(base_url, pair, ch, n):
    a, ta, b, tb = pair
    m = send_ok(base_url, ta, b, ch * n)
    assert m["message"] == ch * n
    assert messages(base_url, tb, m["conversation_id"])[-1]["message"] == ch * n


@pytest.mark.parametrize("n", [4097, 10000])
@pytest.mark.parametrize("ch", ["a", "é"])
def test_messages_over_4096_characters_are_a_422_on_message(base_url, pair, ch, n):
    a, ta, b, _ = pair
    assert_validation_error(send(base_url, ta, b, ch * n), ["body", "message"])


def test_max_message_length_flag_changes_the_limit(natter_factory):
    server = natter_factory(extra_args=["--max-message-length", "10"])
    base = server.base_url
    a, ta = new_user(base, "short")
    b, _ = new_user(base, "short")
    assert send_ok(base, ta, b, "é" * 10)["message"] == "é" * 10
    assert_validation_error(send(base, ta, b, "é" * 11), ["body", "message"])
    assert_validation_error(send(base, ta, b, "a" * 11), ["body", "message"])


def test_a_body_with_invalid_utf8_is_a_422(base_url, pair):
    a, ta, b, tb = pair
    body = b'{"to_email": "' + b.encode() + b'", "message": "bad \xff\xfe \xc3\x28 bytes"}'
    r = post(base_url, "/api/messages/send", ta, data=body,
             headers={"Content-Type": "application/json"})
    assert_validation_error(r)
    assert conversations(base_url, tb) == []


def test_unicode_and_special_characters_round_trip_exactly(base_url, pair):
    a, ta, b, tb = pair
    text = 'héllo 👋🏽 中文 "quoted" \\ back\tslash\nnew line </script> \u2028 \u00a0'
    m = send_ok(base_url, ta, b, text)
    assert m["message"] == text
    assert messages(base_url, tb, m["conversation_id"])[-1]["message"] == text
    assert conversation_with(base_url, tb, a)["last_message"] == text


# ---- reply_to ---------------------------------------------------------------------------------

def test_reply_to_a_message_of_the_same_conversation_is_kept(base_url, pair):
    a, ta, b, tb = pair
    original = send_ok(base_url, ta, b, "question?")
    reply = send_ok(base_url, tb, a, "answer!", reply_to=original["id"])
    assert reply["reply_to"] == original["id"]
    history = messages(base_url, ta, original["conversation_id"])
    assert [m["reply_to"] for m in history] == [None, original["id"]]


def test_reply_to_null_is_no_reply(base_url, pair):
    a, ta, b, _ = pair
    assert send_ok(base_url, ta, b, "plain", reply_to=None)["reply_to"] is None


def test_reply_to_a_message_of_another_conversation_is_a_422_on_reply_to(base_url, pair):
    a, ta, b, tb = pair
    c, tc = new_user(base_url, "third")
    elsewhere = send_ok(base_url, ta, c, "in a-c")
    send_ok(base_url, ta, b, "in a-b")
    r = send(base_url, tb, a, "reply across", reply_to=elsewhere["id"])
    assert_validation_error(r, ["body", "reply_to"])
    assert len(messages(base_url, ta, conversation_with(base_url, ta, b)["conversation_id"])) == 1


@pytest.mark.parametrize("reply_to", ["0" * 24, "ffffffffffffffffffffffff", "not-an-id", "", 42])
def test_reply_to_an_unknown_or_malformed_id_is_a_422_on_reply_to(base_url, pair, reply_to):
    a, ta, b, _ = pair
    send_ok(base_url, ta, b, "exists")
    assert_validation_error(send(base_url, ta, b, "reply", reply_to=reply_to),
                            ["body", "reply_to"])


def test_the_first_message_cannot_reply_to_anything(base_url, pair):
    a, ta, b, tb = pair
    c, tc = new_user(base_url, "third")
    other = send_ok(base_url, tc, a, "c to a")
    assert_validation_error(send(base_url, ta, b, "reply", reply_to=other["id"]),
                            ["body", "reply_to"])
    assert conversations(base_url, tb) == [], "a rejected first message creates no conversation"
