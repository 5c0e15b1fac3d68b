"""GET /api/conversations, POST /api/conversations/start, GET .../{id}/messages, POST .../mark-read."""

import time

import pytest

from natter_checks import (CONVERSATION_KEYS, START_KEYS, assert_detail, assert_message,
                           assert_object_id, assert_timestamp, assert_validation_error)
from natter_server import (conversation_with, conversations, get, messages, new_user, post,
                           send_ok, start_conversation, unique_email)

HOWS = ["form", "query", "json"]


def wait_next_millisecond():
    """Everything the server did before this call has a timestamp < everything it does after."""
    t = int(time.time() * 1000)
    while int(time.time() * 1000) <= t:
        time.sleep(0.0002)


def start_ok(base, token, to_email, how="form"):
    r = start_conversation(base, token, to_email, how)
    assert r.status_code == 200, f"start with {to_email} via {how}: {r.status_code} {r.text}"
    body = r.json()
    assert set(body) == START_KEYS, sorted(body)
    assert_object_id(body["conversation_id"])
    return body


def unread(base, token, other_email):
    conv = conversation_with(base, token, other_email)
    assert conv is not None, f"no conversation with {other_email}"
    return conv["unread_count"]


def mark_read(base, token, conversation_id):
    return post(base, f"/api/conversations/{conversation_id}/mark-read", token)


# ---- start ------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", HOWS)
def test_start_takes_to_email_from_form_query_or_json_and_returns_id_and_participants(
        base_url, how):
    a, ta = new_user(base_url, "starter")
    b, _ = new_user(base_url, "target")
    body = start_ok(base_url, ta, b, how)
    assert sorted(body["participants"]) == sorted([a, b])
    assert len(body["participants"]) == 2


def test_starting_again_returns_the_same_conversation_whoever_starts_it(base_url):
    a, ta = new_user(base_url, "pair")
    b, tb = new_user(base_url, "pair")
    first = start_ok(base_url, ta, b, "form")["conversation_id"]
    assert start_ok(base_url, ta, b, "json")["conversation_id"] == first
    assert start_ok(base_url, tb, a, "query")["conversation_id"] == first
    assert [c["conversation_id"] for c in conversations(base_url, ta)] == [first]
    assert [c["conversation_id"] for c in conversations(base_url, tb)] == [first]


def test_start_normalises_the_to_email(base_url):
    a, ta = new_user(base_url, "norm")
    b, _ = new_user(base_url, "norm")
    first = start_ok(base_url, ta, b)["conversation_id"]
    assert start_ok(base_url, ta, f"  {b.upper()} ")["conversation_id"] == first


@pytest.mark.parametrize("how", HOWS)
def test_start_with_an_unknown_user_is_404(base_url, how):
    _, ta = new_user(base_url, "lonely")
    r = start_conversation(base_url, ta, unique_email("ghost"), how)
    assert_detail(r, 404)


@pytest.mark.parametrize("how", HOWS)
def test_start_with_yourself_is_400(base_url, how):
    a, ta = new_user(base_url, "narcissus")
    assert_detail(start_conversation(base_url, ta, a, how), 400)
    assert conversations(base_url, ta) == []


def test_start_without_to_email_is_a_422_on_to_email(base_url):
    _, ta = new_user(base_url, "forgetful")
    assert_validation_error(post(base_url, "/api/conversations/start", ta, data={"x": "y"}),
                            ["body", "to_email"])
    assert_validation_error(post(base_url, "/api/conversations/start", ta), loc_field="to_email")
    assert_validation_error(post(base_url, "/api/conversations/start", ta, json={}),
                            loc_field="to_email")


# ---- list -------------------------------------------------------------------------------------

def test_a_new_user_has_no_conversations(base_url):
    _, t = new_user(base_url, "fresh")
    r = get(base_url, "/api/conversations", t)
    assert r.status_code == 200
    assert r.json() == []


def test_a_started_conversation_without_messages_is_listed_for_both_with_null_last_message(
        base_url):
    a, ta = new_user(base_url, "empty")
    b, tb = new_user(base_url, "empty")
    cid = start_ok(base_url, ta, b)["conversation_id"]
    for token in (ta, tb):
        listed = conversations(base_url, token)
        assert len(listed) == 1
        conv = listed[0]
        assert set(conv) == CONVERSATION_KEYS, sorted(conv)
        assert conv == {"conversation_id": cid, "participants": conv["participants"],
                        "last_message": None, "last_message_time": None,
                        "last_message_sender": None, "unread_count": 0}
        assert sorted(conv["participants"]) == sorted([a, b])


def test_conversations_are_ordered_by_last_activity_newest_first(base_url):
    a, ta = new_user(base_url, "hub")
    b, tb = new_user(base_url, "spoke")
    c, _ = new_user(base_url, "spoke")
    d, _ = new_user(base_url, "spoke")
    conv_d = start_ok(base_url, ta, d)["conversation_id"]
    wait_next_millisecond()
    m1 = send_ok(base_url, ta, b, "to b")
    wait_next_millisecond()
    m2 = send_ok(base_url, ta, c, "to c")
    wait_next_millisecond()
    m3 = send_ok(base_url, tb, a, "b answers")
    conv_b, conv_c = m1["conversation_id"], m2["conversation_id"]
    assert m3["conversation_id"] == conv_b

    listed = conversations(base_url, ta)
    assert [x["conversation_id"] for x in listed] == [conv_b, conv_c, conv_d]
    by_id = {x["conversation_id"]: x for x in listed}
    assert by_id[conv_b]["last_message"] == "b answers"
    assert by_id[conv_b]["last_message_sender"] == b
    assert by_id[conv_b]["last_message_time"] == m3["timestamp"]
    assert by_id[conv_c]["last_message"] == "to c"
    assert by_id[conv_c]["last_message_sender"] == a
    assert by_id[conv_c]["last_message_time"] == m2["timestamp"]
    assert by_id[conv_d]["last_message"] is None
    for x in listed:
        assert set(x) == CONVERSATION_KEYS
        if x["last_message_time"] is not None:
            assert_timestamp(x["last_message_time"])

    wait_next_millisecond()
    send_ok(base_url, ta, c, "c again")
    assert [x["conversation_id"] for x in conversations(base_url, ta)] == [conv_c, conv_b, conv_d]


def test_unread_count_is_exact_per_participant(base_url):
    a, ta = new_user(base_url, "counter")
    b, tb = new_user(base_url, "counter")
    for i in range(3):
        send_ok(base_url, ta, b, f"a{i}")
    assert unread(base_url, tb, a) == 3
    assert unread(base_url, ta, b) == 0, "your own messages are not unread"

    for i in range(2):
        send_ok(base_url, tb, a, f"b{i}")
    assert unread(base_url, ta, b) == 2
    assert unread(base_url, tb, a) == 3

    cid = conversation_with(base_url, tb, a)["conversation_id"]
    r = mark_read(base_url, tb, cid)
    assert r.status_code == 200, r.text
    assert unread(base_url, tb, a) == 0
    assert unread(base_url, ta, b) == 2, "marking read is per user"

    send_ok(base_url, ta, b, "after read")
    assert unread(base_url, tb, a) == 1
    assert mark_read(base_url, ta, cid).status_code == 200
    assert unread(base_url, ta, b) == 0
    assert unread(base_url, tb, a) == 1


# ---- mark-read --------------------------------------------------------------------------------

def test_mark_read_answers_conversation_marked_as_read(base_url):
    a, ta = new_user(base_url, "reader")
    b, tb = new_user(base_url, "reader")
    cid = send_ok(base_url, ta, b, "read me")["conversation_id"]
    r = mark_read(base_url, tb, cid)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"message": "Conversation marked as read"}


def test_mark_read_on_a_conversation_without_messages_succeeds(base_url):
    a, ta = new_user(base_url, "reader")
    b, _ = new_user(base_url, "reader")
    cid = start_ok(base_url, ta, b)["conversation_id"]
    r = mark_read(base_url, ta, cid)
    assert r.status_code == 200 and r.json() == {"message": "Conversation marked as read"}
    assert unread(base_url, ta, b) == 0


@pytest.mark.parametrize("cid", ["0" * 24, "ffffffffffffffffffffffff", "not-an-id", "123",
                                 "g" * 24, "0" * 23, "0" * 25])
def test_mark_read_on_an_unknown_or_malformed_conversation_is_404(base_url, cid):
    _, t = new_user(base_url, "reader")
    assert_detail(mark_read(base_url, t, cid), 404)


def test_mark_read_by_a_non_participant_is_403_and_changes_nothing(base_url):
    a, ta = new_user(base_url, "member")
    b, tb = new_user(base_url, "member")
    _, tc = new_user(base_url, "outsider")
    cid = send_ok(base_url, ta, b, "private")["conversation_id"]
    assert_detail(mark_read(base_url, tc, cid), 403)
    assert unread(base_url, tb, a) == 1


# ---- messages history -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seven(natter):
    """A conversation with messages m0..m6 (a sends even, b sends odd)."""
    base = natter.base_url
    a, ta = new_user(base, "hist")
    b, tb = new_user(base, "hist")
    sent = []
    for i in range(7):
        if i % 2 == 0:
            sent.append(send_ok(base, ta, b, f"m{i}"))
        else:
            sent.append(send_ok(base, tb, a, f"m{i}"))
    cid = sent[0]["conversation_id"]
    assert all(m["conversation_id"] == cid for m in sent)
    return {"a": a, "ta": ta, "b": b, "tb": tb, "cid": cid, "sent": sent}


def texts(msgs):
    return [m["message"] for m in msgs]


def test_messages_are_returned_oldest_first_with_exact_fields(base_url, seven):
    got = messages(base_url, seven["ta"], seven["cid"])
    assert texts(got) == [f"m{i}" for i in range(7)]
    assert got == seven["sent"], "history items equal what send returned"
    for i, m in enumerate(got):
        assert_message(m, conversation_id=seven["cid"],
                       sender_email=seven["a"] if i % 2 == 0 else seven["b"], text=f"m{i}")
        assert m["sender_name"] == "Hist"
        assert m["message_type"] == "text" and m["reply_to"] is None
    stamps = [m["timestamp"] for m in got]
    assert stamps == sorted(stamps)


def test_both_participants_see_the_same_history(base_url, seven):
    assert messages(base_url, seven["ta"], seven["cid"]) == messages(base_url, seven["tb"],
                                                                     seven["cid"])


@pytest.mark.parametrize("skip,limit,expected", [
    (0, 3, ["m4", "m5", "m6"]),
    (2, 3, ["m2", "m3", "m4"]),
    (5, 3, ["m0", "m1"]),
    (6, 1, ["m0"]),
    (7, 3, []),
    (100, 10, []),
    (0, 7, [f"m{i}" for i in range(7)]),
    (0, 100, [f"m{i}" for i in range(7)]),
    (3, 50, ["m0", "m1", "m2", "m3"]),
])
def test_messages_skip_the_newest_skip_and_return_the_next_limit_oldest_first(
        base_url, seven, skip, limit, expected):
    got = messages(base_url, seven["ta"], seven["cid"], skip=skip, limit=limit)
    assert texts(got) == expected


def test_messages_default_limit_is_50_newest(base_url):
    a, ta = new_user(base_url, "chatty")
    b, _ = new_user(base_url, "chatty")
    for i in range(55):
        cid = send_ok(base_url, ta, b, f"n{i}")["conversation_id"]
    got = messages(base_url, ta, cid)
    assert texts(got) == [f"n{i}" for i in range(5, 55)]
    assert texts(messages(base_url, ta, cid, skip=50)) == [f"n{i}" for i in range(5)]
    assert texts(messages(base_url, ta, cid, limit=100)) == [f"n{i}" for i in range(55)]


def test_messages_of_a_conversation_without_messages_is_an_empty_list(base_url):
    a, ta = new_user(base_url, "quiet")
    b, _ = new_user(base_url, "quiet")
    cid = start_ok(base_url, ta, b)["conversation_id"]
    assert messages(base_url, ta, cid) == []


@pytest.mark.parametrize("param,value", [
    ("limit", "101"), ("limit", "1000"), ("limit", "-1"), ("skip", "-1"),
    ("limit", "abc"), ("skip", "abc"), ("limit", "1.5"), ("skip", "2.0"),
])
def test_messages_with_a_bad_skip_or_limit_is_a_422_on_that_parameter(base_url, seven, param,
                                                                    value):
    r = get(base_url, f"/api/conversations/{seven['cid']}/messages", seven["ta"],
            params={param: value})
    assert_validation_error(r, ["query", param])


@pytest.mark.parametrize("cid", ["0" * 24, "ffffffffffffffffffffffff", "not-an-id", "123",
                                 "g" * 24, "0" * 23, "0" * 25])
def test_messages_of_an_unknown_or_malformed_conversation_is_404(base_url, seven, cid):
    assert_detail(get(base_url, f"/api/conversations/{cid}/messages", seven["ta"]), 404)


def test_messages_of_someone_elses_conversation_is_403(base_url, seven):
    _, tc = new_user(base_url, "snoop")
    assert_detail(get(base_url, f"/api/conversations/{seven['cid']}/messages", tc), 403)
