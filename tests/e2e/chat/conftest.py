"""Fixtures for the realtime chat end-to-end tests (support code: chat_e2e.py).

- `mode`         module-scoped, parametrised: "websocket" (transports=["websocket"]) and "default"
                 (python-socketio's default: polling, then upgrade to websocket). Set
                 CHAT_E2E_MODES=websocket (or default) to run one mode only.
- `server`       one natter per test module and mode (fresh data dir, random JWT secret; a module
                 may set NATTER_ARGS = [...] for extra flags). Stopped with SIGTERM after the
                 module; it must exit 0.
- `chat`         per test: `chat.api` (REST), `chat.connect(user)` (a connected Sock with a
                 Recorder), `chat.refused(...)`, `chat.barrier(socks)`; sockets closed afterwards.
- `make_server`  start extra servers (custom flags, restarts) inside a test; all are stopped (and
                 must exit 0) at the end of the test.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat_e2e import ALL_MODES, Chat, NatterServer, _modes, new_server, status  # noqa: E402


# ---- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=_modes())
def mode(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def server(mode, request, tmp_path_factory):
    args = getattr(request.module, "NATTER_ARGS", [])
    srv = new_server(tmp_path_factory.mktemp(f"natter-{mode}"), args)
    srv.start()
    yield srv
    srv.stop()  # SIGTERM; asserts exit 0 and shows the server's output otherwise


@pytest.fixture
def chat(server, mode):
    assert server.running(), f"the module's natter server is not running\n{status(server)}"
    c = Chat(server, ALL_MODES[mode])
    yield c
    c.close_all()


class ServerFactory:
    def __init__(self, root: Path):
        self.root = root
        self.servers: list[NatterServer] = []

    def __call__(self, args=(), start=True) -> NatterServer:
        srv = new_server(self.root / f"server{len(self.servers) + 1}", args)
        self.servers.append(srv)
        return srv.start() if start else srv


@pytest.fixture
def make_server(tmp_path):
    factory = ServerFactory(tmp_path)
    yield factory
    errors = []
    for srv in factory.servers:
        try:
            srv.stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)
