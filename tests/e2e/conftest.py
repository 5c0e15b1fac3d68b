"""Fixtures for end-to-end tests that run the real natter binary.

- `natter`          one server per test module (fresh data dir, known JWT secret `natter.jwt_secret`)
- `base_url`        that server's http://127.0.0.1:<port>
- `natter_factory`  start extra servers with custom flags / env / data dir; all are stopped with
                    SIGTERM at the end of the test and must exit 0.

Binary: $NATTER_BIN, default <repo>/build/release/natter.
"""

import os
import secrets
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from natter_server import NatterServer, natter_binary  # noqa: E402


@pytest.fixture(scope="session")
def natter_bin() -> Path:
    path = natter_binary()
    if not path.is_file():
        pytest.fail(f"natter binary not found at {path}; build it or set NATTER_BIN", pytrace=False)
    if not os.access(path, os.X_OK):
        pytest.fail(f"natter binary at {path} is not executable", pytrace=False)
    return path


@pytest.fixture(scope="module")
def natter(natter_bin, tmp_path_factory):
    root = tmp_path_factory.mktemp("natter")
    server = NatterServer(root / "data", binary=natter_bin,
                          jwt_secret="e2e-" + secrets.token_hex(24), log_dir=root)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def base_url(natter) -> str:
    assert natter.running(), f"the module's natter server is not running\n{natter.logs()}"
    return natter.base_url


class NatterFactory:
    def __init__(self, binary: Path, root: Path):
        self._binary = binary
        self._root = root
        self._n = 0
        self.servers: list[NatterServer] = []

    def make(self, *, data_dir=None, jwt_secret=None, extra_args=(), env=None, port=0,
             pass_data_dir=True) -> NatterServer:
        """A configured but not yet started server."""
        self._n += 1
        run_dir = self._root / f"server{self._n}"
        server = NatterServer(Path(data_dir) if data_dir else run_dir / "data",
                              binary=self._binary, jwt_secret=jwt_secret, extra_args=extra_args,
                              env=env, port=port, pass_data_dir=pass_data_dir, log_dir=run_dir)
        self.servers.append(server)
        return server

    def __call__(self, **kw) -> NatterServer:
        """Starts a server (waiting until it listens) and returns it."""
        return self.make(**kw).start()


@pytest.fixture
def natter_factory(natter_bin, tmp_path):
    factory = NatterFactory(natter_bin, tmp_path)
    yield factory
    errors = []
    for server in factory.servers:
        if server.running():
            try:
                server.stop()
            except AssertionError as e:
                errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors), pytrace=False)
