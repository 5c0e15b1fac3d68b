#!/usr/bin/env python3
"""ctest for natter-echo (run as: echo_server_test.py NATTER_ECHO NATTER_BENCH [echo|group|bench]).

Each part starts natter-echo (2 threads) on a free port.
echo (default):
  1. a raw client: the upgrade request and a first frame in one write, a fragmented masked text
     message with a ping between its fragments, a masked binary message, close 1000 → expects
     101 with the right Sec-WebSocket-Accept, pong, the echoes with their opcodes, close 1000;
     a plain GET, another WebSocket version and a bad key → 426, 426 + the version, 400;
  2. `natter-bench echo --sockets 4 --window 4 --duration 0.5 --warmup 0.1` → ok, round trips > 0;
  3. SIGTERM with a client still connected → that client gets close 1001, the server exits 0.
group: three members of /group/g1 (consecutive connects land on alternate threads, so the
  messages cross threads): one member's messages reach the two others with their opcodes and in
  order, not itself, not another group, not a plain echo connection; a member that does not read
  is dropped once 4 MiB wait for it, the others go on.
bench: `natter-bench echo --mode connect` (50 sockets) and `--mode fanout` (6 receivers,
  2 generator processes) → ok, every socket connected, every message delivered once to all.
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
    if n < 126:
        head = bytes([first_byte, 0x80 | n])
    elif n < 65536:
        head = bytes([first_byte, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([first_byte, 0x80 | 127]) + n.to_bytes(8, "big")
    mask = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big")
    return head + key + masked


def read_exact(s, n):
    data = bytearray()
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise AssertionError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def read_frame(s):
    b0, b1 = read_exact(s, 2)
    assert not b1 & 0x80, "server frames must not be masked"
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(read_exact(s, 2), "big")
    elif n == 127:
        n = int.from_bytes(read_exact(s, 8), "big")
    return b0, read_exact(s, n)


def upgrade(port, path="/any/path", key=None, version="13", first_frames=b"", rcvbuf=0):
    """Sends an upgrade request; returns the socket, the key and the response head."""
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    key = key or base64.b64encode(os.urandom(16)).decode()
    req = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n")
    s.sendall(req.encode() + first_frames)
    head = b""
    while b"\r\n\r\n" not in head:
        c = s.recv(1)
        assert c, "closed during the handshake"
        head += c
    return s, key, head.decode()


def connect(port, first_frames=b"", path="/any/path", rcvbuf=0):
    s, key, text = upgrade(port, path, first_frames=first_frames, rcvbuf=rcvbuf)
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


def refusals(port):
    plain = socket.create_connection(("127.0.0.1", port), timeout=5)
    plain.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    assert plain.recv(4096).startswith(b"HTTP/1.1 426"), "a plain GET gets 426"
    plain.close()
    s, _, text = upgrade(port, version="8")
    assert text.startswith("HTTP/1.1 426") and re.search(r"(?i)^sec-websocket-version:\s*13\s*$", text, re.M), text
    s.close()
    s, _, text = upgrade(port, key="not-base64-of-16-bytes")
    assert text.startswith("HTTP/1.1 400"), text
    s.close()


def pong_next(s, tag):
    """A ping's pong is the next frame: nothing else was sent to `s` before it."""
    s.sendall(frame(0x89, tag))
    assert read_frame(s) == (0x8A, tag), "a frame other than the pong came first"


def group(port):
    a, b, c = (connect(port, path="/group/g1") for _ in range(3))
    other = connect(port, path="/group/g2")
    plain = connect(port, path="/group/")  # no name: an echo connection
    a.sendall(frame(0x81, b"m1") + frame(0x82, b"\x00bin"))
    for r in (b, c):
        assert read_frame(r) == (0x81, b"m1")
        assert read_frame(r) == (0x82, b"\x00bin")
    for s, tag in ((a, b"a"), (other, b"o"), (plain, b"p")):
        pong_next(s, tag)
    plain.sendall(frame(0x81, b"echo"))
    assert read_frame(plain) == (0x81, b"echo")
    b.sendall(b"".join(frame(0x81, str(i).encode()) for i in range(200)))
    for r in (a, c):
        assert [read_frame(r) for _ in range(200)] == [(0x81, str(i).encode()) for i in range(200)]
    c.close()  # a member that left gets nothing, and the others still do
    a.sendall(frame(0x81, b"after c"))
    assert read_frame(b) == (0x81, b"after c")
    pong_next(a, b"a2")
    for s in (a, b, other, plain):
        s.close()

    # A member that does not read (small receive buffer) while 16 × 900 kB are sent to the group.
    slow = connect(port, path="/group/g3", rcvbuf=4096)
    sender, reader = connect(port, path="/group/g3"), connect(port, path="/group/g3")
    payload = os.urandom(900_000)
    for _ in range(16):
        sender.sendall(frame(0x82, payload))
        assert read_frame(reader) == (0x82, payload)
    pong_next(sender, b"s")
    got = 0
    try:
        while chunk := slow.recv(1 << 16):
            got += len(chunk)
    except ConnectionResetError:
        pass
    assert got < 16 * 900_000, f"the member that did not read got all {got} bytes: not dropped"
    for s in (slow, sender, reader):
        s.close()


def bench_json(args):
    bench = subprocess.run([BENCH, "echo", *args, "--max-runtime", "20"], capture_output=True, text=True, timeout=30)
    sys.stderr.write(bench.stderr)
    line = json.loads(bench.stdout.strip().splitlines()[-1])
    assert bench.returncode == 0 and line["ok"], (bench.returncode, line.get("problems"))
    return line["results"]


def bench_modes(port, pid):
    url = ["--url", f"http://127.0.0.1:{port}", "--server-pid", str(pid)]
    res = bench_json(["--mode", "connect", *url, "--sockets", "50", "--hold", "0.1", "--settle", "0.1"])
    print(f"connect: {res['connects_per_s']} connects/s, server {res.get('server_cpu_us_per_connect')} us/connect")
    assert res["connected"] == 50 and res["connect_failed"] == 0 and res["handshake"]["n"] == 50, res
    # The server's CPU time comes in clock ticks: 50 connects may take less than one.
    assert res["connects_per_s"] > 0 and res["server_cpu_us_per_connect"] >= 0, res
    assert res["generator_cpu_us_per_connect"] > 0 and res["events_received"] == 0, res

    res = bench_json(["--mode", "fanout", *url, "--receivers", "6", "--window", "4", "--duration", "0.5",
                      "--warmup", "0.1", "--procs", "2"])
    print(f"fanout: {res['deliveries_per_s']} deliveries/s, {res['messages_sent']} messages")
    assert res["messages_sent"] > 0 and res["messages_complete"] == res["messages_sent"], res
    assert res["deliveries"] == 6 * res["messages_sent"] and res["deliveries_per_s"] > 0, res
    assert res["lost"] == 0 and res["duplicates"] == 0 and res["foreign"] == 0, res


def start_server(tmp):
    log_path = os.path.join(tmp, "echo.log")
    with open(log_path, "w") as log:
        env = dict(os.environ, PORT="0")
        server = subprocess.Popen([ECHO, "--threads", "2"], stdout=log, stderr=log, env=env)
    for _ in range(100):
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            return server, int(m.group(1))
        assert server.poll() is None, open(log_path).read()
        time.sleep(0.05)
    server.kill()
    raise AssertionError("no 'listening' line: " + open(log_path).read())


def echo(server, port):
    raw_client(port)
    refusals(port)
    print("raw client: ok")
    res = bench_json(["--url", f"http://127.0.0.1:{port}", "--path", "/", "--server", "natter-echo",
                      "--server-pid", str(server.pid), "--sockets", "4", "--window", "4", "--duration", "0.5",
                      "--warmup", "0.1"])
    print(f"natter-bench: round trips/s {res['msgs_per_s']}, received {res['received']}, lost {res['lost']}")
    assert res["msgs_per_s"] > 0 and res["received"] > 0 and res["lost"] == 0, res

    s = connect(port)
    server.send_signal(signal.SIGTERM)
    assert read_frame(s) == (0x88, (1001).to_bytes(2, "big")), "close 1001 on shutdown"
    s.close()
    assert server.wait(timeout=5) == 0, "exit status on SIGTERM"
    print("SIGTERM: ok")


def main():
    part = sys.argv[3] if len(sys.argv) > 3 else "echo"
    with tempfile.TemporaryDirectory() as tmp:
        server, port = start_server(tmp)
        try:
            if part == "echo":
                echo(server, port)
            elif part == "group":
                group(port)
                print("group: ok")
            elif part == "bench":
                bench_modes(port, server.pid)
            else:
                raise SystemExit(f"unknown part {part}")
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
