"""The WebSocket opening handshake (RFC 6455 §4.2) as natter's Engine.IO server answers it, spoken
over a raw TCP socket against examples/conformance_server."""
import socket
from urllib.parse import urlparse

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def upgrade(server, headers):
    """Sends a WebSocket upgrade request for a new Engine.IO session; returns (status line,
    {lower-case header: value}, bytes after the head that arrived with it)."""
    u = urlparse(server.url)
    with socket.create_connection((u.hostname, u.port), timeout=5) as s:
        lines = ["GET /socket.io/?EIO=4&transport=websocket HTTP/1.1", f"Host: {u.hostname}:{u.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            assert chunk, f"connection closed before the response head: {data!r}"
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status, *fields = head.decode().split("\r\n")
    return status, {k.lower(): v.strip() for k, v in (f.split(":", 1) for f in fields)}, rest


def good_headers(**over):
    h = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
         "Sec-WebSocket-Key": RFC_KEY}
    h.update(over)
    return h


def test_valid_upgrade_gets_101_with_the_rfc_accept_key(conformance_server):
    status, fields, _ = upgrade(conformance_server, good_headers())
    assert status == "HTTP/1.1 101 Switching Protocols"
    assert fields["sec-websocket-accept"] == RFC_ACCEPT
    assert fields["upgrade"].lower() == "websocket"
    assert fields["connection"].lower() == "upgrade"


def test_connection_header_with_several_tokens_is_accepted(conformance_server):
    status, fields, _ = upgrade(conformance_server, good_headers(Connection="keep-alive, Upgrade"))
    assert status.startswith("HTTP/1.1 101")
    assert fields["sec-websocket-accept"] == RFC_ACCEPT


def test_other_protocol_version_gets_426_naming_version_13(conformance_server):
    status, fields, _ = upgrade(conformance_server, good_headers(**{"Sec-WebSocket-Version": "8"}))
    assert status == "HTTP/1.1 426 Upgrade Required"
    assert fields["sec-websocket-version"] == "13"


def test_key_that_is_not_16_base64_bytes_gets_400(conformance_server):
    for key in ["", "short", "dGhlIHNhbXBsZSBub25jZSE=", "!!!!!!!!!!!!!!!!!!!!!!=="]:
        status, _, _ = upgrade(conformance_server, good_headers(**{"Sec-WebSocket-Key": key}))
        assert status == "HTTP/1.1 400 Bad Request", key
