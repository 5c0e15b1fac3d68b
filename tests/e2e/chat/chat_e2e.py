"""Support code for the realtime chat end-to-end tests (fixtures: conftest.py): the REAL natter
binary, REST through requests, and REAL Socket.IO clients (Debian's python3-socketio 5.7 /
python3-engineio 4.3): Api, User, Sock (a socketio.Client with a Recorder of every event it
receives), Chat (per-test factory plus ordering barriers), payload checks.

Binary: $NATTER_BIN, else <repo>/build/release/natter, else <repo>/build/dev/natter.

Negative assertions ("bob was NOT told") use ordering barriers instead of sleeps: a fresh user sends
the watching sockets a REST message and the test waits for it; Socket.IO delivers in order per
connection, so anything emitted to those sockets before has arrived by then. For that to hold on
the client side too, events are dispatched in arrival order (see _dispatch_messages_in_order).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Optional

import pytest
import requests
import socketio

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "tests" / "support"))

from natter_server import NatterServer  # noqa: E402

EVENT_TIMEOUT = 5.0  # seconds to wait for any expected event / ack
HTTP_TIMEOUT = 10.0
NOT_AUTHENTICATED = "User not authenticated"

ALL_MODES = {"websocket": ["websocket"], "default": None}


def _modes() -> list[str]:
    wanted = os.environ.get("CHAT_E2E_MODES")
    if not wanted:
        return list(ALL_MODES)
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_MODES]
    if unknown or not names:
        raise pytest.UsageError(f"CHAT_E2E_MODES={wanted}: modes are {list(ALL_MODES)}")
    return names


def chat_binary() -> Path:
    env = os.environ.get("NATTER_BIN")
    if env:
        return Path(env).resolve()
    release = REPO_ROOT / "build" / "release" / "natter"
    if release.is_file():
        return release
    return REPO_ROOT / "build" / "dev" / "natter"


def new_server(root: Path, args=()) -> NatterServer:
    binary = chat_binary()
    if not binary.is_file():
        pytest.fail(f"natter binary not found at {binary}; build it "
                    f"(cmake --build build/dev --target natter) or set NATTER_BIN", pytrace=False)
    return NatterServer(root / "data", binary=binary, jwt_secret="e2e-" + secrets.token_hex(24),
                        extra_args=list(args), log_dir=root)


def status(server: Optional[NatterServer]) -> str:
    """One line (plus its output if it died) for error messages: is the server still up?"""
    if server is None or server.proc is None:
        return "server not started"
    rc = server.proc.poll()
    if rc is None:
        return f"server running on port {server.port}"
    return f"SERVER IS GONE (exit code {rc})\n{server.logs()}"


# ---- REST --------------------------------------------------------------------------------------

class User:
    def __init__(self, email: str, name: str, token: str):
        self.email, self.name, self.token = email, name, token

    def __repr__(self):
        return f"User({self.email})"


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


class Api:
    """REST helpers; every call asserts its status and returns the parsed JSON."""

    def __init__(self, server: NatterServer):
        self.server = server

    @property
    def base(self) -> str:
        return self.server.base_url

    def request(self, method: str, path: str, user: Optional[User] = None, **kw) -> requests.Response:
        headers = dict(kw.pop("headers", None) or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {user.token}"
        kw.setdefault("timeout", HTTP_TIMEOUT)
        try:
            return requests.request(method, self.base + path, headers=headers, **kw)
        except requests.RequestException as e:
            raise AssertionError(f"{method} {path} failed: {e}\n{status(self.server)}") from None

    def ok(self, method: str, path: str, user: Optional[User] = None, **kw):
        r = self.request(method, path, user, **kw)
        assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r.json()

    def login(self, email: str, name: str) -> str:
        return self.ok("POST", "/api/auth/login", data={"email": email, "name": name})["access_token"]

    def new_user(self, prefix: str = "user") -> User:
        email = unique_email(prefix)
        name = f"{prefix.capitalize()} Tester"
        return User(email, name, self.login(email, name))

    def me(self, user: User) -> dict:
        return self.ok("GET", "/api/users/me", user)

    def search(self, user: User, query: str) -> list:
        return self.ok("GET", "/api/users/search", user, params={"query": query})

    def search_online(self, viewer: User, other: User) -> bool:
        found = [u for u in self.search(viewer, other.email) if u["email"] == other.email]
        assert len(found) == 1, f"search for {other.email}: {found}"
        return found[0]["is_online"]

    def conversations(self, user: User) -> list:
        return self.ok("GET", "/api/conversations", user)

    def conversation_with(self, user: User, other: User) -> Optional[dict]:
        found = [c for c in self.conversations(user) if other.email in c["participants"]]
        assert len(found) <= 1, found
        return found[0] if found else None

    def messages(self, user: User, conversation_id: str, skip: int = 0, limit: int = 100) -> list:
        return self.ok("GET", f"/api/conversations/{conversation_id}/messages", user,
                       params={"skip": skip, "limit": limit})

    def send(self, user: User, to: User, message: str, **extra) -> dict:
        body = {"to_email": to.email, "message": message, "message_type": "text", **extra}
        return self.ok("POST", "/api/messages/send", user, json=body)

    def mark_read(self, user: User, conversation_id: str) -> dict:
        return self.ok("POST", f"/api/conversations/{conversation_id}/mark-read", user)

    def start(self, user: User, other: User) -> dict:
        return self.ok("POST", "/api/conversations/start", user, data={"to_email": other.email})


# ---- sockets -----------------------------------------------------------------------------------

class Recorder:
    """Every event one socketio.Client receives, in arrival order, thread-safe.

    `next(event)` blocks until the next not-yet-consumed occurrence (optionally matching `where`)
    and returns its first argument; it fails the test after `timeout` seconds, listing what did
    arrive and whether the server is still up.
    """

    def __init__(self, label: str, server: Optional[NatterServer]):
        self.label = label
        self.server = server
        self._cond = threading.Condition()
        self.entries: list[list] = []  # [event, args, consumed]

    def record(self, event: str, args: tuple):
        with self._cond:
            self.entries.append([event, args, False])
            self._cond.notify_all()

    def attach(self, client: socketio.Client):
        client.on("*", lambda event, *args: self.record(event, args))
        for reserved in ("connect", "connect_error", "disconnect"):
            client.on(reserved, (lambda name: lambda *args: self.record(name, args))(reserved))

    @staticmethod
    def _first(args: tuple):
        return args[0] if args else None

    def mark(self) -> int:
        with self._cond:
            return len(self.entries)

    def all(self, event: str, where: Callable = lambda p: True, since: int = 0) -> list:
        with self._cond:
            return [self._first(a) for e, a, _ in self.entries[since:] if e == event and where(self._first(a))]

    def summary(self) -> str:
        with self._cond:
            return "\n    ".join(f"{e}{a!r}" for e, a, _ in self.entries) or "(none)"

    def next_of(self, events, where: Callable = lambda p: True, timeout: float = EVENT_TIMEOUT):
        """(event, payload) of the first unconsumed occurrence of any of `events`."""
        def find():
            for entry in self.entries:
                if not entry[2] and entry[0] in events and where(self._first(entry[1])):
                    return entry
            return None

        with self._cond:
            entry = None
            deadline = time.monotonic() + timeout
            while True:
                entry = find()
                if entry is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if entry is None:
                pytest.fail(f"{self.label}: timed out after {timeout} s waiting for {events}\n"
                            f"  received so far:\n    {self.summary_unlocked()}\n  {status(self.server)}",
                            pytrace=False)
            entry[2] = True
            return entry[0], self._first(entry[1])

    def summary_unlocked(self) -> str:
        return "\n    ".join(f"{e}{a!r}" for e, a, _ in self.entries) or "(none)"

    def next(self, event: str, where: Callable = lambda p: True, timeout: float = EVENT_TIMEOUT):
        return self.next_of((event,), where, timeout)[1]

    def assert_none(self, event: str, where: Callable = lambda p: True, why: str = "", since: int = 0):
        got = self.all(event, where, since)
        assert got == [], (f"{self.label} unexpectedly received {event!r} {why}: {got}\n"
                           f"  received:\n    {self.summary()}")


def _dispatch_messages_in_order(client: socketio.Client):
    """python-engineio 4.3's client hands every received message to a new thread
    (`run_async=True`), so two events sent in order may be handled out of order — which would break
    the ordering barriers these tests rely on (and reorders a binary attachment from its header,
    python-socketio #37/#403). Messages are dispatched on the read-loop thread instead, in arrival
    order; the handlers here only record, they never block. (Same workaround as
    tests/e2e/python/conftest.py.)"""
    eio = client.eio
    trigger = eio._trigger_event

    def in_order(event, *args, run_async=False):
        return trigger(event, *args, run_async=run_async and event != "message")

    eio._trigger_event = in_order


class Sock:
    """A socketio.Client of one user, with a Recorder of everything it receives."""

    def __init__(self, label: str, server: NatterServer, transports, user: Optional[User] = None):
        self.label = label
        self.user = user
        self.server = server
        self.transports = transports
        self.sio = socketio.Client(reconnection=False, handle_sigint=False)
        _dispatch_messages_in_order(self.sio)
        self.rec = Recorder(label, server)
        self.rec.attach(self.sio)

    @property
    def connected(self) -> bool:
        return self.sio.connected

    def connect(self, url: Optional[str] = None, **kw):
        kw.setdefault("transports", self.transports)
        self.sio.connect(url or self.server.base_url, wait_timeout=EVENT_TIMEOUT, **kw)
        return self

    def emit(self, event: str, *args):
        """emit with exactly these positional arguments (none, one, or several)."""
        self.sio.emit(event, tuple(args))

    def call(self, event: str, *args):
        """emit with an ack callback; returns the ack's first argument."""
        try:
            return self.sio.call(event, tuple(args), timeout=EVENT_TIMEOUT)
        except socketio.exceptions.TimeoutError:
            pytest.fail(f"{self.label}: no ack for {event!r} within {EVENT_TIMEOUT} s\n"
                        f"  received:\n    {self.rec.summary()}\n  {status(self.server)}", pytrace=False)

    def round_trip(self) -> dict:
        """get_online_users with an ack (natter acks, then also emits online_users, consumed
        here). When it returns, everything this socket sent before — and the server's handling
        of its connection — is done: a socket's packets are handled in order."""
        reply = self.call("get_online_users")
        assert isinstance(reply, dict) and isinstance(reply.get("users"), list), reply
        assert self.rec.next("online_users") == reply, "the online_users event carries the ack's list"
        return reply

    def disconnect(self):
        self.sio.disconnect()

    def close(self):
        try:
            self.sio.reconnection = False
            if getattr(self.sio, "_reconnect_abort", None) is not None:
                self.sio._reconnect_abort.set()
            self.sio.disconnect()
        except Exception:  # noqa: BLE001 - teardown must try every client
            pass


class Chat:
    """Per-test helper bound to one server and transport mode."""

    def __init__(self, server: NatterServer, transports):
        self.server = server
        self.transports = transports
        self.api = Api(server)
        self.socks: list[Sock] = []
        self._n = 0

    def open(self, label: Optional[str] = None, user: Optional[User] = None) -> Sock:
        self._n += 1
        sock = Sock(label or f"socket{self._n}", self.server, self.transports, user)
        self.socks.append(sock)
        return sock

    def connect(self, user: User, label: Optional[str] = None, settle: bool = True, **kw) -> Sock:
        """A connected socket of `user` (token in the CONNECT auth). Unless settle=False, also
        waits with a round trip until the server has handled the connection (presence counted)."""
        sock = self.open(label or f"{user.email.split('-')[0]}#{self._n + 1}", user)
        kw.setdefault("auth", {"token": user.token})
        try:
            sock.connect(**kw)
        except socketio.exceptions.ConnectionError as e:
            pytest.fail(f"{sock.label}: could not connect: {e}\n  received: {sock.rec.summary()}\n"
                        f"  {status(self.server)}", pytrace=False)
        if settle:
            sock.round_trip()
        return sock

    def refused(self, url: Optional[str] = None, **kw):
        """Connects with `kw` expecting a refusal; returns the connect_error payload.
        (wait=False: python-socketio would otherwise sit out its whole wait_timeout on a refusal.)"""
        sock = self.open("refused")
        sock.connect(url, wait=False, **kw)
        event, payload = sock.rec.next_of(("connect", "connect_error"))
        assert event == "connect_error", f"the connection was accepted but should have been refused ({kw})"
        assert not sock.sio.namespaces, sock.sio.namespaces
        return payload

    def barrier(self, socks: list[Sock]) -> User:
        """A fresh user sends each distinct user of `socks` a REST message; returns once every
        socket got it. Everything emitted to these sockets before has arrived by then."""
        sender = self.api.new_user("barrier")
        sent = {}
        for s in socks:
            if s.user.email not in sent:
                sent[s.user.email] = self.api.send(sender, s.user, f"barrier {uuid.uuid4()}")["id"]
        for s in socks:
            s.rec.next("new_message", lambda m, i=sent[s.user.email]: m["id"] == i)
        return sender

    def close_all(self):
        for s in self.socks:
            s.close()
        self.socks.clear()


# ---- payload shapes (from the API document) ----------------------------------------------------

MESSAGE_KEYS = {"id", "conversation_id", "sender_email", "sender_name", "message", "timestamp",
                "message_type", "edited", "reply_to"}
NOTIFICATION_KEYS = {"conversation_id", "sender_email", "sender_name", "message"}
OBJECT_ID_RE = re.compile(r"^[0-9a-f]{24}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def assert_message(m: dict, *, sender: Optional[User] = None, text: Optional[str] = None,
                   message_type: str = "text", reply_to: Optional[str] = None,
                   conversation_id: Optional[str] = None):
    assert isinstance(m, dict) and set(m) == MESSAGE_KEYS, f"message keys: {m!r}"
    assert OBJECT_ID_RE.match(m["id"]), m
    assert OBJECT_ID_RE.match(m["conversation_id"]), m
    assert TIMESTAMP_RE.match(m["timestamp"]), m
    if sender is not None:
        assert (m["sender_email"], m["sender_name"]) == (sender.email, sender.name), m
    if text is not None:
        assert m["message"] == text, m
    if conversation_id is not None:
        assert m["conversation_id"] == conversation_id, m
    assert m["message_type"] == message_type, m
    assert m["edited"] is False, m
    assert m["reply_to"] == reply_to, m


def iso_millis(ts: str) -> int:
    from datetime import datetime, timezone
    dt = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))
