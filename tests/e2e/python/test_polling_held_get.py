"""A held long-polling GET (Engine.IO v4 over HTTP) against examples/conformance_server: a client
that closes its connection while its GET is held ends the session; one that keeps it open gets
the server's ping on it."""
import json
import socket
import time
from urllib.parse import urlparse

import requests


def open_session(server):
    r = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=5)
    assert r.status_code == 200 and r.text.startswith("0"), r.text
    return json.loads(r.text[1:])["sid"]


def held_get(server, sid):
    u = urlparse(server.url)
    s = socket.create_connection((u.hostname, u.port), timeout=5)
    s.sendall((f"GET /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
               f"Host: {u.hostname}:{u.port}\r\n\r\n").encode())
    return s


def test_closing_the_connection_of_a_held_get_ends_the_session(conformance_server):
    sid = open_session(conformance_server)
    held_get(conformance_server, sid).close()  # gives up before the first ping (300 ms)
    deadline = time.monotonic() + 5
    while True:
        r = requests.post(f"{conformance_server.url}/socket.io/?EIO=4&transport=polling&sid={sid}",
                          data="6", timeout=5)  # a noop packet
        if r.status_code == 400 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 1  # unknown session id: the session is gone


def test_a_held_get_that_stays_open_is_answered_with_a_ping(conformance_server):
    sid = open_session(conformance_server)
    with held_get(conformance_server, sid) as s:
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"2"):
            chunk = s.recv(4096)
            assert chunk, f"closed by the server: {data!r}"
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data
