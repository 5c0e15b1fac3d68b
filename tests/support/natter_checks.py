"""Shape checks shared by the natter e2e tests (wire formats from the API document)."""

from __future__ import annotations

import re
import time
from typing import Optional

OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

LOGIN_KEYS = {"access_token", "token_type", "user"}
LOGIN_USER_KEYS = {"email", "name", "profile_image"}
ME_KEYS = {"email", "name", "profile_image", "is_online", "last_seen"}
SEARCH_KEYS = {"email", "name", "profile_image", "is_online"}
CONVERSATION_KEYS = {"conversation_id", "participants", "last_message", "last_message_time",
                     "last_message_sender", "unread_count"}
START_KEYS = {"conversation_id", "participants"}
MESSAGE_KEYS = {"id", "conversation_id", "sender_email", "sender_name", "message", "timestamp",
                "message_type", "edited", "reply_to"}
SENT_KEYS = MESSAGE_KEYS  # the send response is the documented one plus "edited": false


def assert_object_id(value, *, near_now: bool = True) -> None:
    assert isinstance(value, str) and OBJECT_ID_RE.match(value), f"not an ObjectId: {value!r}"
    if near_now:
        seconds = int(value[:8], 16)
        assert abs(seconds - time.time()) < 300, (
            f"ObjectId {value} encodes {seconds}, not the current Unix time {int(time.time())}")


def assert_timestamp(value) -> None:
    assert isinstance(value, str) and TIMESTAMP_RE.match(value), (
        f"not an ISO-8601 UTC millisecond timestamp: {value!r}")


def assert_detail(r, status: int, detail: Optional[str] = None) -> None:
    """Status plus a JSON body {"detail": <str>} (exact text when `detail` is given)."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:500]}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"detail"}, f"not a detail body: {body!r}"
    if detail is None:
        assert isinstance(body["detail"], str) and body["detail"], body
    else:
        assert body["detail"] == detail, body


def assert_validation_error(r, loc: Optional[list] = None, *, loc_prefix: Optional[str] = None,
                            loc_field: Optional[str] = None) -> list:
    """422 with FastAPI's {"detail": [{"loc": [...], "msg": str, "type": str}, ...]}.

    `loc`: some item's loc equals this list. `loc_prefix` / `loc_field`: some item's loc starts
    with / ends with this element. Returns the items."""
    assert r.status_code == 422, f"expected 422, got {r.status_code}: {r.text[:500]}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"detail"}, f"not a detail body: {body!r}"
    items = body["detail"]
    assert isinstance(items, list) and items, f"detail is not a non-empty list: {body!r}"
    for item in items:
        assert isinstance(item, dict), item
        assert {"loc", "msg", "type"} <= set(item), f"validation item lacks loc/msg/type: {item}"
        assert isinstance(item["loc"], list) and item["loc"], item
        assert all(isinstance(x, (str, int)) for x in item["loc"]), item
        assert isinstance(item["msg"], str) and item["msg"], item
        assert isinstance(item["type"], str) and item["type"], item
    locs = [item["loc"] for item in items]
    if loc is not None:
        assert loc in locs, f"no error at loc {loc}: {locs}"
    if loc_prefix is not None:
        assert any(l[0] == loc_prefix for l in locs), f"no error under {loc_prefix!r}: {locs}"
    if loc_field is not None:
        assert any(l[-1] == loc_field for l in locs), f"no error for field {loc_field!r}: {locs}"
    return items


def assert_message(m: dict, *, conversation_id: Optional[str] = None,
                   sender_email: Optional[str] = None, text: Optional[str] = None) -> None:
    assert set(m) == MESSAGE_KEYS, f"message keys {sorted(m)} != {sorted(MESSAGE_KEYS)}"
    assert_object_id(m["id"])
    assert_object_id(m["conversation_id"], near_now=False)
    assert_timestamp(m["timestamp"])
    assert m["message_type"] in ("text", "image", "file"), m
    assert m["edited"] is False, m
    assert m["reply_to"] is None or OBJECT_ID_RE.match(m["reply_to"]), m
    assert isinstance(m["sender_name"], str), m
    if conversation_id is not None:
        assert m["conversation_id"] == conversation_id, m
    if sender_email is not None:
        assert m["sender_email"] == sender_email, m
    if text is not None:
        assert m["message"] == text, m
