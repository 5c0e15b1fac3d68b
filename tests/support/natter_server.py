"""Start and stop a real natter binary for black-box tests, plus small REST helpers.

Used by tests/e2e (pytest). Only the Python standard library and Debian's python3-requests /
python3-jwt are needed.

A server is started as

    natter --host 127.0.0.1 --port 0 --data-dir <dir> --log-level info [--jwt-secret S] [extra...]

and is ready when its stderr shows `listening on http://127.0.0.1:<port>`. Its stderr and stdout
are copied to files beside the data dir (see NatterServer.stderr_path) for debugging.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Iterable, Mapping, Optional

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / "build" / "release" / "natter"

START_TIMEOUT = 20.0  # seconds to wait for the "listening" line
STOP_TIMEOUT = 15.0  # seconds to wait for a graceful exit after SIGTERM
HTTP_TIMEOUT = 15.0  # per request

# Environment variables natter reads (every NATTER_* plus the Python prototype's names); they are
# removed from the inherited environment so that a developer's shell cannot change what a test
# sees. Tests pass them explicitly through `env=`.
LEGACY_ENV_VARS = ("HOST", "PORT", "JWT_SECRET_KEY", "JWT_EXPIRE_MINUTES", "CORS_ORIGINS")


def _is_natter_var(name: str) -> bool:
    return name.startswith("NATTER_") or name in LEGACY_ENV_VARS


_LISTEN_RE = re.compile(r"listening on http://(?P<host>[^\s:/\]]+|\[[^\]]+\]):(?P<port>\d+)")
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def natter_binary() -> Path:
    """The binary under test: $NATTER_BIN, else <repo>/build/release/natter."""
    return Path(os.environ.get("NATTER_BIN") or DEFAULT_BIN)


def clean_env(extra: Optional[Mapping[str, str]] = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not _is_natter_var(k)}
    if extra:
        env.update(extra)
    return env


def free_port() -> int:
    """A TCP port that was free a moment ago (for tests that must name a port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Pump(threading.Thread):
    """Copies one pipe of the child to a file, line by line, and watches for the listening line."""

    def __init__(self, pipe, path: Path, on_line=None):
        super().__init__(daemon=True)
        self._pipe = pipe
        self._path = path
        self._on_line = on_line
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def run(self):
        with open(self._path, "ab", buffering=0) as out:
            for raw in iter(self._pipe.readline, b""):
                out.write(raw)
                line = _ANSI_RE.sub("", raw.decode("utf-8", "replace")).rstrip("\r\n")
                with self._lock:
                    self.lines.append(line)
                if self._on_line:
                    self._on_line(line)
        self._pipe.close()
        if self._on_line:
            self._on_line(None)  # EOF

    def text(self, last: int = 80) -> str:
        with self._lock:
            return "\n".join(self.lines[-last:])


class NatterServer:
    """One natter process. start() waits for readiness; stop() sends SIGTERM and checks exit 0."""

    def __init__(
        self,
        data_dir: Path,
        *,
        binary: Optional[Path] = None,
        jwt_secret: Optional[str] = None,
        extra_args: Iterable[str] = (),
        env: Optional[Mapping[str, str]] = None,
        host: str = "127.0.0.1",
        port: Optional[int] = 0,
        pass_data_dir: bool = True,
        log_dir: Optional[Path] = None,
    ):
        self.binary = Path(binary or natter_binary())
        self.data_dir = Path(data_dir)
        self.jwt_secret = jwt_secret
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.host = host
        self.port_arg = port
        self.pass_data_dir = pass_data_dir
        self.log_dir = Path(log_dir) if log_dir else self.data_dir.parent
        self.proc: Optional[subprocess.Popen] = None
        self.port: Optional[int] = None
        self.starts = 0
        self._err: Optional[_Pump] = None
        self._out: Optional[_Pump] = None
        self._ready = threading.Event()
        self._listen_port: Optional[int] = None

    # ---- paths / urls -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self.port, "server not started"
        return f"http://{self.host}:{self.port}"

    @property
    def stderr_path(self) -> Path:
        return self.log_dir / f"natter-{self.starts}.stderr.log"

    @property
    def stdout_path(self) -> Path:
        return self.log_dir / f"natter-{self.starts}.stdout.log"

    def command(self) -> list[str]:
        cmd = [str(self.binary)]
        if self.host is not None:
            cmd += ["--host", self.host]
        if self.port_arg is not None:
            cmd += ["--port", str(self.port_arg)]
        if self.pass_data_dir:
            cmd += ["--data-dir", str(self.data_dir)]
        cmd += ["--log-level", "info"]
        if self.jwt_secret is not None:
            cmd += ["--jwt-secret", self.jwt_secret]
        cmd += self.extra_args
        return cmd

    def logs(self) -> str:
        parts = []
        if self._err:
            parts.append(f"--- natter stderr ({self.stderr_path}) ---\n{self._err.text()}")
        if self._out:
            parts.append(f"--- natter stdout ({self.stdout_path}) ---\n{self._out.text()}")
        return "\n".join(parts)

    # ---- lifecycle ----------------------------------------------------------------------------
    def _on_stderr_line(self, line: Optional[str]):
        if line is None:
            self._ready.set()  # EOF: the process is gone; start() reports it
            return
        if self._listen_port is None:
            m = _LISTEN_RE.search(line)
            if m:
                self._listen_port = int(m.group("port"))
                self._ready.set()

    def start(self, timeout: float = START_TIMEOUT) -> "NatterServer":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if not self.binary.is_file():
            raise AssertionError(
                f"natter binary not found at {self.binary} (set NATTER_BIN or build the release "
                f"preset: cmake --workflow / cmake --build --preset release)")
        if self.pass_data_dir:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self._ready.clear()
        self._listen_port = None
        self.port = None
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=clean_env(self.env))
        self._err = _Pump(self.proc.stderr, self.stderr_path, self._on_stderr_line)
        self._out = _Pump(self.proc.stdout, self.stdout_path)
        self._err.start()
        self._out.start()
        ready = self._ready.wait(timeout)
        if self._listen_port is None:
            rc = self.proc.poll()
            if rc is None:
                self._kill()
                why = f"no 'listening on http://{self.host}:<port>' line within {timeout:.0f}s"
            else:
                self._join_pumps()
                why = f"natter exited with code {rc} before listening"
            raise AssertionError(f"{why}\ncommand: {' '.join(self.command())}\n{self.logs()}")
        assert ready
        self.port = self._listen_port
        return self

    def _join_pumps(self):
        for p in (self._err, self._out):
            if p:
                p.join(5)

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._join_pumps()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM; wait for exit; SIGKILL after `timeout`. Returns the exit code (or raises if
        the process had to be killed)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise AssertionError(
                    f"natter did not exit within {timeout:.0f}s of SIGTERM; killed\n{self.logs()}")
        self._join_pumps()
        return self.proc.returncode

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Graceful stop; asserts exit code 0."""
        if self.proc is None:
            return
        rc = self.terminate(timeout)
        assert rc == 0, f"natter exited with code {rc} after SIGTERM (expected 0)\n{self.logs()}"

    def restart(self) -> "NatterServer":
        """SIGTERM (asserting exit 0) and start again on the same data dir and flags."""
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---- REST helpers ---------------------------------------------------------------------------------

def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def request(method: str, url: str, token: Optional[str] = None, **kw) -> requests.Response:
    headers = dict(kw.pop("headers", None) or {})
    if token is not None:
        headers.update(auth(token))
    kw.setdefault("timeout", HTTP_TIMEOUT)
    kw.setdefault("allow_redirects", False)
    return requests.request(method, url, headers=headers, **kw)


def get(base: str, path: str, token: Optional[str] = None, **kw) -> requests.Response:
    return request("GET", base + path, token, **kw)


def post(base: str, path: str, token: Optional[str] = None, **kw) -> requests.Response:
    return request("POST", base + path, token, **kw)


def login_response(base: str, email: str, name: Optional[str] = None,
                   profile_image: Optional[str] = None, how: str = "form") -> requests.Response:
    """POST /api/auth/login with the parameters in a form body, the query string or a JSON body."""
    params = {"email": email}
    if name is not None:
        params["name"] = name
    if profile_image is not None:
        params["profile_image"] = profile_image
    url = base + "/api/auth/login"
    if how == "form":
        return request("POST", url, data=params)
    if how == "query":
        return request("POST", url, params=params)
    if how == "json":
        return request("POST", url, json=params)
    raise ValueError(how)


def login(base: str, email: str, name: Optional[str] = None,
          profile_image: Optional[str] = None, how: str = "form") -> str:
    """Logs in (creating the user if needed) and returns the access token."""
    r = login_response(base, email, name, profile_image, how)
    assert r.status_code == 200, f"login {email!r} via {how}: {r.status_code} {r.text}"
    return r.json()["access_token"]


def unique_email(prefix: str = "user", domain: str = "example.com") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@{domain}"


def new_user(base: str, prefix: str = "user", name: Optional[str] = None) -> tuple[str, str]:
    """A freshly created user: (email, token)."""
    email = unique_email(prefix)
    return email, login(base, email, name or prefix.capitalize())


def send(base: str, token: str, to_email: str, message: str, **extra) -> requests.Response:
    body = {"to_email": to_email, "message": message}
    body.update(extra)
    return post(base, "/api/messages/send", token, json=body)


def send_ok(base: str, token: str, to_email: str, message: str, **extra) -> dict:
    r = send(base, token, to_email, message, **extra)
    assert r.status_code == 200, f"send to {to_email}: {r.status_code} {r.text}"
    return r.json()


def start_conversation(base: str, token: str, to_email: str, how: str = "form") -> requests.Response:
    url = base + "/api/conversations/start"
    if how == "form":
        return request("POST", url, token, data={"to_email": to_email})
    if how == "query":
        return request("POST", url, token, params={"to_email": to_email})
    if how == "json":
        return request("POST", url, token, json={"to_email": to_email})
    raise ValueError(how)


def conversations(base: str, token: str) -> list:
    r = get(base, "/api/conversations", token)
    assert r.status_code == 200, f"GET /api/conversations: {r.status_code} {r.text}"
    return r.json()


def conversation_with(base: str, token: str, other_email: str) -> Optional[dict]:
    found = [c for c in conversations(base, token) if other_email in c["participants"]]
    assert len(found) <= 1, f"more than one conversation with {other_email}: {found}"
    return found[0] if found else None


def messages(base: str, token: str, conversation_id: str, **params) -> list:
    r = get(base, f"/api/conversations/{conversation_id}/messages", token, params=params)
    assert r.status_code == 200, f"GET messages: {r.status_code} {r.text}"
    return r.json()


def all_messages(base: str, token: str, conversation_id: str) -> list:
    """Whole history, oldest first, paging with skip/limit=100 from the newest end."""
    pages = []
    skip = 0
    while True:
        page = messages(base, token, conversation_id, skip=skip, limit=100)
        pages.insert(0, page)
        if len(page) < 100:
            break
        skip += 100
    return [m for page in pages for m in page]


def iso_to_millis(ts: str) -> int:
    """'2023-12-07T10:30:00.123Z' -> Unix milliseconds."""
    from datetime import datetime, timezone
    dt = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


def wait_clock_past(ts: str) -> None:
    """Returns once the wall clock has moved past the millisecond of `ts` (server and tests share
    the machine's clock), so that the next server event gets a strictly later timestamp."""
    target = iso_to_millis(ts)
    while int(time.time() * 1000) <= target:
        time.sleep(0.0005)
