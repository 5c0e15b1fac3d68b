"""Parallel clients: one conversation per pair, every message stored once, exact unread counts."""

import threading
from concurrent.futures import ThreadPoolExecutor

from natter_checks import assert_message, assert_object_id
from natter_server import (all_messages, conversation_with, conversations, get, login_response,
                           new_user, post, send, start_conversation, unique_email)


def run_together(n, fn):
    """Runs fn(i) for i in range(n) on n threads released at the same moment; returns results."""
    barrier = threading.Barrier(n)

    def task(i):
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(task, range(n)))


def test_20_parallel_starts_for_one_pair_give_one_conversation(base_url):
    a, ta = new_user(base_url, "racer")
    b, tb = new_user(base_url, "racer")

    def start(i):
        return start_conversation(base_url, ta if i % 2 == 0 else tb, b if i % 2 == 0 else a)

    results = run_together(20, start)
    assert [r.status_code for r in results] == [200] * 20, [r.text for r in results]
    ids = {r.json()["conversation_id"] for r in results}
    assert len(ids) == 1, ids
    assert [c["conversation_id"] for c in conversations(base_url, ta)] == list(ids)
    assert [c["conversation_id"] for c in conversations(base_url, tb)] == list(ids)


def test_parallel_first_messages_from_both_sides_create_one_conversation(base_url):
    a, ta = new_user(base_url, "firsts")
    b, tb = new_user(base_url, "firsts")

    def first(i):
        return send(base_url, ta if i % 2 == 0 else tb, b if i % 2 == 0 else a, f"first {i}")

    results = run_together(16, first)
    assert [r.status_code for r in results] == [200] * 16, [r.text for r in results]
    assert len({r.json()["conversation_id"] for r in results}) == 1
    assert len(conversations(base_url, ta)) == 1 and len(conversations(base_url, tb)) == 1


def test_parallel_sends_from_both_sides_are_all_stored_with_exact_unread_counts(base_url):
    a, ta = new_user(base_url, "busy", "Busy A")
    b, tb = new_user(base_url, "busy", "Busy B")
    threads_per_side, per_thread = 8, 25

    def worker(i):
        token, to = (ta, b) if i < threads_per_side else (tb, a)
        out = []
        for j in range(per_thread):
            r = send(base_url, token, to, f"t{i}-{j}")
            assert r.status_code == 200, r.text
            out.append(r.json())
        return out

    results = run_together(2 * threads_per_side, worker)
    sent = [m for batch in results for m in batch]
    total = 2 * threads_per_side * per_thread
    assert len(sent) == total
    assert len({m["id"] for m in sent}) == total, "message ids are not unique"
    cids = {m["conversation_id"] for m in sent}
    assert len(cids) == 1, cids
    cid = cids.pop()

    history = all_messages(base_url, ta, cid)
    assert len(history) == total
    assert sorted(m["id"] for m in history) == sorted(m["id"] for m in sent)
    assert {m["message"] for m in history} == {f"t{i}-{j}" for i in range(2 * threads_per_side)
                                              for j in range(per_thread)}
    by_id = {m["id"]: m for m in sent}
    for m in history:
        assert m == by_id[m["id"]], "history differs from what send returned"
        assert_message(m, conversation_id=cid)
    stamps = [m["timestamp"] for m in history]
    inversions = [(history[i - 1]["id"], stamps[i - 1], history[i]["id"], stamps[i])
                  for i in range(1, len(stamps)) if stamps[i] < stamps[i - 1]]
    assert not inversions, f"history is not oldest first (id, timestamp pairs): {inversions[:5]}"
    # Each thread's own messages keep their order.
    for i in range(2 * threads_per_side):
        mine = [m["message"] for m in history if m["message"].startswith(f"t{i}-")]
        assert mine == [f"t{i}-{j}" for j in range(per_thread)]

    half = threads_per_side * per_thread
    conv_a = conversation_with(base_url, ta, b)
    conv_b = conversation_with(base_url, tb, a)
    assert conv_a["unread_count"] == half
    assert conv_b["unread_count"] == half
    # The conversation's last message is the last one of the history.
    for conv in (conv_a, conv_b):
        assert (conv["last_message"], conv["last_message_sender"], conv["last_message_time"]) == (
            history[-1]["message"], history[-1]["sender_email"], history[-1]["timestamp"])
    assert all_messages(base_url, tb, cid) == history


def test_parallel_mark_read_and_sends_leave_consistent_unread_counts(base_url):
    a, ta = new_user(base_url, "mixer")
    b, tb = new_user(base_url, "mixer")
    cid = send(base_url, ta, b, "seed").json()["conversation_id"]

    def work(i):
        if i % 4 == 0:
            return get(base_url, f"/api/conversations/{cid}/messages", tb).status_code
        if i % 4 == 1:
            return post(base_url, f"/api/conversations/{cid}/mark-read", tb).status_code
        return send(base_url, ta, b, f"x{i}").status_code

    assert set(run_together(24, work)) == {200}
    assert post(base_url, f"/api/conversations/{cid}/mark-read", tb).status_code == 200
    assert conversation_with(base_url, tb, a)["unread_count"] == 0
    send(base_url, ta, b, "one more")
    assert conversation_with(base_url, tb, a)["unread_count"] == 1
    assert conversation_with(base_url, ta, b)["unread_count"] == 0


def test_parallel_first_logins_of_one_email_create_one_user(base_url):
    email = unique_email("twin")
    results = run_together(12, lambda i: login_response(base_url, email, f"Twin {i}"))
    assert [r.status_code for r in results] == [200] * 12
    for r in results:
        assert get(base_url, "/api/users/me", r.json()["access_token"]).status_code == 200
    _, t = new_user(base_url, "finder")
    found = get(base_url, "/api/users/search", t, params={"query": email}).json()
    assert [u["email"] for u in found] == [email]


def test_many_parallel_users_each_get_their_own_conversation(base_url):
    hub, th = new_user(base_url, "hub")
    spokes = [new_user(base_url, "spoke") for _ in range(12)]

    def talk(i):
        email, token = spokes[i]
        r = send(base_url, token, hub, f"hello from {i}")
        assert r.status_code == 200, r.text
        return r.json()

    sent = run_together(len(spokes), talk)
    assert len({m["conversation_id"] for m in sent}) == len(spokes)
    listed = conversations(base_url, th)
    assert len(listed) == len(spokes)
    for conv in listed:
        assert_object_id(conv["conversation_id"])
        assert conv["unread_count"] == 1
        assert conv["last_message"].startswith("hello from ")
