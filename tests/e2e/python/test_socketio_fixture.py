"""Socket.IO end-to-end tests with Debian's python3-socketio client (5.x) against natter's
conformance fixture (examples/conformance_server), each in three modes: websocket-only,
polling-then-upgrade and polling-only (the `transports` fixture in conftest.py).

Fixture events used (documented at the top of examples/conformance_server.cpp): on connect
`auth`(payload); `message`(...) -> `message-back`(...); `message-with-ack`(...) -> ack(...);
`join`(room); `to-room`(room, ...) -> `room-message`(...) to the room's members; `ask`(...) ->
`question`(..., ack) whose ack arguments come back as `answer`(...); `binary` -> `binary`(bytes,
{nested: bytes}); `disconnect-me` -> server-side disconnect. Namespace /custom emits `auth` too;
/private needs auth {"token": "secret"} and then emits `welcome`(sid).

Run: /usr/bin/python3 -m pytest -q tests/e2e/python
"""

from __future__ import annotations

import threading
import time

import pytest

PING_INTERVAL = 0.3  # the fixture's Engine.IO pingInterval, seconds
TIMEOUT = 5.0

NESTED = {
    "str": "hello",
    "int": 42,
    "neg": -7,
    "float": 3.25,
    "big": 9007199254740991,
    "t": True,
    "f": False,
    "nil": None,
    "empty": {},
    "list": [1, "two", [3, [4, {"five": 5}]], None],
    "deep": {"a": {"b": {"c": {"d": ["e"]}}}},
}

UNICODE = [
    "héllo wörld",
    "日本語のテキスト",
    "emoji 🎉🚀 and a surrogate pair 𝄞",
    "مرحبا",
    'quotes " and backslash \\ and slash /',
    "control chars \n\t\r\b\f",
    "record separator \x1e inside a string",  # the EIO v4 polling payload separator
    "U+2028 \u2028 U+2029 \u2029",
]

ALL_BYTES = bytes(range(256))


def connect(clients, recorder, *, auth=None, namespaces=("/",), events=("auth", "message-back"),
            **client_kw):
    """A connected client whose `events` (per namespace) are recorded; returns (client, rec).

    Handlers are registered before connecting so the `auth` event sent on connect is not missed.
    """
    client = clients.new(**client_kw)
    rec = recorder()
    for ns in namespaces:
        for event in events:
            rec.on(client, event, ns)
        rec.on(client, "disconnect", ns)
        rec.on(client, "connect", ns)
        rec.on(client, "connect_error", ns)
    clients.connect(client, namespaces=namespaces, auth=auth)
    return client, rec


def round_trip(client, rec, *args):
    """Emits `message` with `args` and returns the arguments of the next `message-back`."""
    client.emit("message", tuple(args))
    return rec.wait("message-back")


def call_with_all_args(client, event, *args):
    """Emits with an ack and returns every ack argument (socketio.Client.call collapses them)."""
    done = threading.Event()
    got = []

    def callback(*ack_args):
        got.append(ack_args)
        done.set()

    client.emit(event, tuple(args), callback=callback)
    assert done.wait(TIMEOUT), f"no ack for {event!r} within {TIMEOUT} s"
    return got[0]


# ---- connecting ------------------------------------------------------------------------------

def test_the_server_echoes_the_connect_auth_payload_in_an_auth_event(clients, recorder):
    auth = {"token": "abc-123", "user": {"id": 7, "roles": ["a", "b"]}, "ok": True, "none": None}
    client, rec = connect(clients, recorder, auth=auth)
    assert rec.wait("auth") == (auth,)
    assert client.connected
    assert client.get_sid("/")


def test_a_client_without_auth_data_gets_an_empty_object_in_the_auth_event(clients, recorder):
    _, rec = connect(clients, recorder)
    assert rec.wait("auth") == ({},)


def test_the_custom_namespace_accepts_a_connection_and_echoes_its_auth_payload(clients, recorder):
    auth = {"room": "custom", "n": 42}
    client, rec = connect(clients, recorder, auth=auth, namespaces=("/custom",))
    assert rec.wait("auth", "/custom") == (auth,)
    assert client.get_sid("/custom")


def test_an_unknown_namespace_is_refused_with_invalid_namespace_while_root_still_works(
        clients, recorder):
    client = clients.new()
    rec = recorder()
    for ns in ("/", "/does-not-exist"):
        rec.on(client, "connect_error", ns).on(client, "connect", ns).on(client, "auth", ns)
    rec.on(client, "message-back")
    clients.connect(client, namespaces=("/", "/does-not-exist"), auth={"who": "good"}, wait=False)

    (error,) = rec.wait("connect_error", "/does-not-exist")
    assert error == {"message": "Invalid namespace"}
    assert rec.wait("auth", "/") == ({"who": "good"},)
    assert rec.all("connect", "/does-not-exist") == []
    assert rec.all("connect_error", "/") == []
    assert round_trip(client, rec, "still here") == ("still here",)


def test_the_private_namespace_admits_a_client_whose_token_passes_its_middleware(
        clients, recorder):
    client, rec = connect(clients, recorder, auth={"token": "secret"}, namespaces=("/private",),
                          events=("welcome",))
    assert rec.wait("welcome", "/private") == (client.get_sid("/private"),)


def test_the_private_namespace_refuses_a_bad_token_with_the_middlewares_message_and_data(
        clients, recorder):
    client = clients.new()
    rec = recorder()
    rec.on(client, "connect_error", "/private").on(client, "connect", "/private")
    clients.connect(client, namespaces=("/private",), auth={"token": "wrong"}, wait=False)
    (error,) = rec.wait("connect_error", "/private")
    assert error == {"message": "unauthorized", "data": {"reason": "bad token"}}
    assert rec.all("connect", "/private") == []


def test_the_connection_uses_the_expected_transport(clients, recorder, transports):
    client, rec = connect(clients, recorder)
    # python-socketio upgrades synchronously inside connect(), so this is the settled transport
    expected = "polling" if transports == ["polling"] else "websocket"
    assert client.transport() == expected
    assert round_trip(client, rec, "over " + expected) == ("over " + expected,)


# ---- events and acks -------------------------------------------------------------------------

def test_an_event_without_ack_comes_back_as_message_back_with_identical_arguments(
        clients, recorder):
    client, rec = connect(clients, recorder)
    args = ("first", 2, NESTED, [NESTED, NESTED["list"]], None, True)
    assert round_trip(client, rec, *args) == args


def test_unicode_and_escape_worthy_strings_survive_the_round_trip(clients, recorder):
    client, rec = connect(clients, recorder)
    assert round_trip(client, rec, *UNICODE) == tuple(UNICODE)
    keyed = {s: i for i, s in enumerate(UNICODE)}
    assert round_trip(client, rec, keyed) == (keyed,)


def test_an_event_with_ack_is_acknowledged_with_identical_arguments(clients, recorder):
    client, _ = connect(clients, recorder)
    args = ("ack me", NESTED, UNICODE[2], 0)
    assert call_with_all_args(client, "message-with-ack", *args) == args
    assert client.call("message-with-ack", "single", timeout=TIMEOUT) == "single"


def test_binary_arguments_come_back_as_identical_bytes_mixed_with_json(clients, recorder):
    client, rec = connect(clients, recorder)
    small = bytes([0, 1, 2, 254, 255])
    back = round_trip(client, rec, "before", small, {"nested": ALL_BYTES, "list": [1, small]},
                      "after")
    assert back == ("before", small, {"nested": ALL_BYTES, "list": [1, small]}, "after")
    assert isinstance(back[1], bytes)


def test_an_ack_can_carry_binary_arguments_back(clients, recorder):
    client, _ = connect(clients, recorder)
    payload = b"binary ack \xff\x00"
    ack = call_with_all_args(client, "message-with-ack", payload, {"b": ALL_BYTES, "s": "x"})
    assert ack == (payload, {"b": ALL_BYTES, "s": "x"})
    assert isinstance(ack[0], bytes)


def test_the_server_can_emit_binary_of_its_own(clients, recorder):
    client, rec = connect(clients, recorder, events=("auth", "binary"))
    client.emit("binary")
    assert rec.wait("binary") == (b"\x01\x02\x03", {"nested": b"\x04\x05\x06"})


def test_a_large_text_and_a_large_binary_argument_survive_the_round_trip(clients, recorder):
    client, rec = connect(clients, recorder)
    text = "é🎉abc" * 25_000
    data = bytes((i * 31 + 7) & 0xFF for i in range(300_000))
    assert round_trip(client, rec, text, data) == (text, data)


# ---- rooms and server acks -------------------------------------------------------------------

def test_a_room_broadcast_reaches_the_members_and_not_the_other_clients(clients, recorder):
    room = f"py-room-{time.monotonic_ns()}"
    events = ("auth", "message-back", "room-message")
    member, member_rec = connect(clients, recorder, events=events)
    bystander, bystander_rec = connect(clients, recorder, events=events)
    sender, sender_rec = connect(clients, recorder, events=events)

    member.emit("join", room)
    # the server handles a client's events in order: once this echo is back, the join is done
    assert round_trip(member, member_rec, "joined") == ("joined",)

    sender.emit("to-room", (room, "hi room", {"text": "ünïcødé 🎉", "bin": b"\x00\x01"}))
    assert member_rec.wait("room-message") == ("hi room", {"text": "ünïcødé 🎉", "bin": b"\x00\x01"})

    # a broadcast sent before these echoes would have reached the non-members before them
    assert round_trip(bystander, bystander_rec, "settle") == ("settle",)
    assert round_trip(sender, sender_rec, "settle") == ("settle",)
    assert bystander_rec.all("room-message") == []
    assert sender_rec.all("room-message") == []


def test_the_server_can_emit_with_an_ack_and_receives_the_clients_answer(clients, recorder):
    questions = []

    def answer(*args):
        questions.append(args)
        return 42, {"because": "🎉 maths"}, b"\x01\x02"  # a tuple: three ack arguments

    client = clients.new()
    rec = recorder()
    rec.on(client, "question", reply=answer).on(client, "answer")
    clients.connect(client)
    client.emit("ask", ("what is 6*7?", {"hint": "número"}))
    assert rec.wait("answer") == (42, {"because": "🎉 maths"}, b"\x01\x02")
    assert questions == [("what is 6*7?", {"hint": "número"})]


# ---- lifecycle -------------------------------------------------------------------------------

def test_a_connection_stays_up_across_many_heartbeats(clients, recorder):
    client, rec = connect(clients, recorder)
    sid = client.get_sid("/")
    engine_sid = client.eio.sid
    time.sleep(5 * PING_INTERVAL)  # the point of this test is elapsed time, not synchronisation
    assert rec.all("disconnect") == []
    assert client.connected
    assert client.get_sid("/") == sid
    assert client.eio.sid == engine_sid
    assert round_trip(client, rec, "alive") == ("alive",)


def test_a_server_side_disconnect_ends_the_session_without_an_automatic_reconnect(
        clients, recorder):
    client, rec = connect(clients, recorder, auth={"round": 1}, reconnection=True,
                          reconnection_delay=0.1, reconnection_delay_max=0.2,
                          randomization_factor=0)
    rec.wait("auth")
    rec.wait("connect")
    client.emit("disconnect-me")
    rec.wait("disconnect")
    assert not client.connected
    # A dropped transport would make the client reconnect within ~0.1 s; a Socket.IO DISCONNECT
    # from the server must not. Waiting on a clock is the point here.
    time.sleep(1.0)
    assert len(rec.all("connect")) == 1, "the client reconnected after a server-side disconnect"

    # ...but an explicit new connection is accepted
    clients.connect(client, auth={"round": 2})
    assert rec.wait("auth") == ({"round": 2},)
    assert round_trip(client, rec, "back again") == ("back again",)


def test_the_client_reconnects_after_the_server_restarts(restartable_server, restartable_clients,
                                                        recorder):
    auth = {"user": "reconnecting"}
    client, rec = connect(restartable_clients, recorder, auth=auth, reconnection=True,
                          reconnection_delay=0.1, reconnection_delay_max=0.5,
                          randomization_factor=0)
    assert rec.wait("auth") == (auth,)
    rec.wait("connect")
    first_sid = client.get_sid("/")

    restartable_server.kill()  # connections drop without a goodbye
    rec.wait("disconnect")
    restartable_server.start(port=restartable_server.port)

    rec.wait("connect", timeout=15)
    assert rec.wait("auth", timeout=TIMEOUT) == (auth,), "auth is sent again on reconnection"
    # (client.connected is set by python-socketio a moment after the connect event; the round trip
    # below is the real proof that the new session works)
    assert client.get_sid("/") != first_sid
    assert round_trip(client, rec, {"after": "restart"}) == ({"after": "restart"},)
