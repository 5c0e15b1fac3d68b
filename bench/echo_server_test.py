#!/usr/bin/env python3
"""ctest for natter-echo (run as: echo_server_test.py NATTER_ECHO NATTER_BENCH).

Starts natter-echo on a free port, then
  1. a raw client: the upgrade request and a first frame in one write, a fragmented masked text
     message with a ping between its fragments, a masked binary message, close 1000 → expects
     101 with the right Sec-WebSocket-Accept, pong, the echoes with their opcodes, close 1000;
  2. `natter-bench echo --sockets 4 --window 4 --duration 0.5 --warmup 0.1` → ok, round trips > 0;
  3. SIGTERM with a client still connected → that client gets close 1001, the server exits 0.
"""
import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

ECHO, BENCH = sys.argv[1], sys.argv[2]
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(first_byte, payload, key=b"\x11\x22\x33\x44"):
    n = len(payload)
    head = bytes([first_byte]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise AssertionError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_frame(s):
    b0, b1 = read_exact(s, 2)
    assert not b1 & 0x80, "server frames must not be masked"
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(read_exact(s, 2), "big")
    elif n == 127:
        n = int.from_bytes(read_exact(s, 8), "big")
    return b0, read_exact(s, n)


def connect(port, first_frames=b""):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    req = (f"GET /any/path HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
    s.sendall(req.encode() + first_frames)
    head = b""
    while b"\r\n\r\n" not in head:
        c = s.recv(1)
        assert c, "closed during the handshake"
        head += c
    text = head.decode()
    assert text.startswith("HTTP/1.1 101"), text
    want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    assert re.search(r"(?i)^sec-websocket-accept:\s*" + re.escape(want) + r"\s*$", text, re.M), text
    return s


def raw_client(port):
    s = connect(port, frame(0x81, b"early"))  # a frame sent together with the upgrade request
    assert read_frame(s) == (0x81, b"early")
    # "fragmented messäge" in two fragments that split the "ä", a ping between them
    s.sendall(frame(0x01, b"fragmented mess\xc3") + frame(0x89, b"p") + frame(0x80, b"\xa4ge"))
    assert read_frame(s) == (0x8A, b"p"), "pong"
    assert read_frame(s) == (0x81, "fragmented mess\u00e4ge".encode())
    big = bytes(range(256)) * 40  # 10240 bytes: a 16-bit length, written as its own buffer
    s.sendall(frame(0x82, big))
    assert read_frame(s) == (0x82, big)
    s.sendall(frame(0x88, (1000).to_bytes(2, "big")))
    assert read_frame(s) == (0x88, (1000).to_bytes(2, "big"))
    assert s.recv(1) == b"", "the server closes the TCP connection after the close handshake"
    s.close()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "echo.log")
        with open(log_path, "w") as log:
            env = dict(os.environ, PORT="0")
            server = subprocess.Popen([ECHO, "--threads", "2"], stdout=log, stderr=log, env=env)
        try:
            port = None
            for _ in range(100):
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log_path).read())
                if m:
                    port = int(m.group(1))
                    break
                assert server.poll() is None, open(log_path).read()
                time.sleep(0.05)
            assert port, "no 'listening' line: " + open(log_path).read()

            raw_client(port)
            print("raw client: ok")

            bench = subprocess.run(
                [BENCH, "echo", "--url", f"http://127.0.0.1:{port}", "--path", "/", "--server", "natter-echo",
                 "--server-pid", str(server.pid), "--sockets", "4", "--window", "4", "--duration", "0.5",
                 "--warmup", "0.1", "--max-runtime", "20"],
                capture_output=True, text=True, timeout=30)
            sys.stderr.write(bench.stderr)
            line = json.loads(bench.stdout.strip().splitlines()[-1])
            res = line["results"]
            print(f"natter-bench: exit {bench.returncode}, ok {line['ok']}, round trips/s {res['msgs_per_s']}, "
                  f"received {res['received']}, lost {res['lost']}")
            assert bench.returncode == 0 and line["ok"], line.get("problems")
            assert res["msgs_per_s"] > 0 and res["received"] > 0 and res["lost"] == 0, res

            s = connect(port)
            server.send_signal(signal.SIGTERM)
            assert read_frame(s) == (0x88, (1001).to_bytes(2, "big")), "close 1001 on shutdown"
            s.close()
            assert server.wait(timeout=5) == 0, "exit status on SIGTERM"
            print("SIGTERM: ok")
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
