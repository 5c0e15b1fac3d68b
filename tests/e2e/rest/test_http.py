"""HTTP-level behaviour: root and health, error bodies, 404/405/413/422, CORS, id and time formats."""

import socket

import pytest

from natter_checks import (assert_detail, assert_object_id, assert_timestamp,
                           assert_validation_error)
from natter_server import (HTTP_TIMEOUT, get, new_user, post, request, send_ok,
                           start_conversation)

MIB = 1024 * 1024


def test_root_answers_the_api_name(base_url):
    r = get(base_url, "/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"message": "Chat Socket Backend API"}


def test_health_is_healthy_and_reports_the_store(base_url):
    r = get(base_url, "/health")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "healthy", body
    assert body.get("store") == "ok", f"health should report the store's state: {body}"


# ---- 404 / 405 -------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/nope"), ("GET", "/api"), ("GET", "/api/"), ("GET", "/api/nothing"),
    ("POST", "/api/messages"), ("GET", "/api/users"), ("GET", "/api/users/me/extra"),
    ("GET", "/api/conversations/0123456789abcdef01234567"),
    ("GET", "/api/conversations/0123456789abcdef01234567/other"),
    ("GET", "/docs.php"),
])
def test_an_unknown_route_is_404_not_found(base_url, method, path):
    assert_detail(request(method, base_url + path), 404, "Not Found")


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/auth/login"), ("PUT", "/api/auth/login"),
    ("DELETE", "/api/conversations"), ("POST", "/api/conversations"),
    ("GET", "/api/conversations/start"), ("GET", "/api/messages/send"),
    ("POST", "/api/users/me"), ("DELETE", "/api/users/search"),
    ("POST", "/api/conversations/0123456789abcdef01234567/messages"),
    ("GET", "/api/conversations/0123456789abcdef01234567/mark-read"),
    ("POST", "/health"), ("DELETE", "/"),
])
def test_a_wrong_method_is_405_method_not_allowed(base_url, method, path):
    r = request(method, base_url + path)
    assert_detail(r, 405, "Method Not Allowed")
    allowed = {m.strip().upper() for m in r.headers.get("Allow", "").split(",") if m.strip()}
    assert allowed, f"405 without an Allow header: {r.headers}"
    assert method not in allowed, r.headers
    assert allowed & {"GET", "POST"}, r.headers


@pytest.mark.parametrize("path,method", [("/api/auth/login", "POST"), ("/api/conversations", "GET"),
                                         ("/api/messages/send", "POST"), ("/health", "GET")])
def test_the_allow_header_of_a_405_names_the_routes_method(base_url, path, method):
    r = request("PUT", base_url + path)
    assert r.status_code == 405
    allowed = {m.strip().upper() for m in r.headers.get("Allow", "").split(",")}
    assert method in allowed, r.headers


def test_a_wrong_method_on_a_protected_route_is_405_even_with_a_token(base_url):
    _, t = new_user(base_url, "method")
    assert_detail(request("DELETE", base_url + "/api/conversations", t), 405, "Method Not Allowed")


# ---- 422 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b'{"to_email": ', b"{not json}", b'{"a":1,}', b"\x00",
                                  b'{"to_email": "x@example.com", "message": "hi"} trailing'])
def test_malformed_json_is_a_422_in_fastapis_shape(base_url, body):
    _, t = new_user(base_url, "badjson")
    r = post(base_url, "/api/messages/send", t, data=body,
             headers={"Content-Type": "application/json"})
    assert_validation_error(r, loc_prefix="body")


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_a_json_body_that_is_not_an_object_is_a_422(base_url, body):
    _, t = new_user(base_url, "notobj")
    r = post(base_url, "/api/messages/send", t, data=body,
             headers={"Content-Type": "application/json"})
    assert_validation_error(r, loc_prefix="body")


def test_malformed_json_on_login_is_a_422(base_url):
    r = post(base_url, "/api/auth/login", data=b'{"email": "a@example.com"',
             headers={"Content-Type": "application/json"})
    assert_validation_error(r, loc_prefix="body")


def test_validation_errors_list_every_invalid_field(base_url):
    _, t = new_user(base_url, "many")
    r = post(base_url, "/api/messages/send", t, json={"message_type": "video"})
    items = assert_validation_error(r)
    locs = [i["loc"] for i in items]
    assert ["body", "to_email"] in locs and ["body", "message"] in locs, locs


def test_every_error_has_a_json_detail(base_url):
    _, t = new_user(base_url, "errors")
    for r in (get(base_url, "/api/users/me"),
              get(base_url, "/api/missing"),
              request("PATCH", base_url + "/api/conversations", t),
              get(base_url, "/api/conversations/0123456789abcdef01234567/messages", t),
              start_conversation(base_url, t, "nobody-at-all@example.com")):
        assert r.status_code >= 400
        assert r.headers["Content-Type"].startswith("application/json"), r.headers
        assert set(r.json()) == {"detail"}, r.text


# ---- 413 --------------------------------------------------------------------------------------

def raw_http(base_url: str, head: bytes, body: bytes) -> tuple[int, bytes]:
    """Sends a request on a plain socket; tolerates the server closing early. Returns the status
    and the raw response bytes."""
    host, port = base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=HTTP_TIMEOUT) as s:
        s.sendall(head)
        try:
            s.sendall(body)
        except OSError:
            pass  # the server may answer and close before reading the whole body
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data:
                    head_part, _, rest = data.partition(b"\r\n\r\n")
                    length = [l for l in head_part.split(b"\r\n")
                              if l.lower().startswith(b"content-length:")]
                    if length and len(rest) >= int(length[0].split(b":")[1]):
                        break
        except OSError:
            pass
    assert data.startswith(b"HTTP/1.1 "), f"no HTTP response: {data[:200]!r}"
    return int(data.split(b" ", 2)[1]), data


def post_head(path: str, token: str, length: int, ctype: str = "application/json") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {length}\r\n\r\n").encode()


def test_a_body_over_1_mib_is_413(base_url):
    _, t = new_user(base_url, "big")
    body = b"{" + b" " * MIB + b"}"
    status, data = raw_http(base_url, post_head("/api/messages/send", t, len(body)), body)
    assert status == 413, data[:300]


def test_a_body_over_1_mib_is_413_through_requests_too(base_url):
    _, t = new_user(base_url, "big")
    r = post(base_url, "/api/auth/login", data={"email": "big@example.com", "name": "x" * MIB})
    assert r.status_code == 413, r.text[:300]


def test_a_body_of_exactly_1_mib_is_accepted(base_url):
    a, ta = new_user(base_url, "edge")
    b, _ = new_user(base_url, "edge")
    payload = b'{"to_email": "' + b.encode() + b'", "message": "just fits"}'
    body = payload[:-1] + b" " * (MIB - len(payload)) + b"}"
    assert len(body) == MIB
    r = post(base_url, "/api/messages/send", ta, data=body,
             headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["message"] == "just fits"


def test_the_server_still_works_after_a_413(base_url):
    _, t = new_user(base_url, "after")
    body = b"x" * (MIB + 1)
    status, _ = raw_http(base_url, post_head("/api/messages/send", t, len(body)), body)
    assert status == 413
    assert get(base_url, "/api/users/me", t).status_code == 200


# ---- CORS -------------------------------------------------------------------------------------

def vary_has_origin(r) -> bool:
    return any(v.strip().lower() == "origin" for v in r.headers.get("Vary", "").split(","))


def test_cors_allows_localhost_3000_by_default(base_url):
    r = get(base_url, "/", headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000", r.headers
    assert vary_has_origin(r), r.headers


def test_cors_headers_are_on_error_responses_too(base_url):
    r = get(base_url, "/api/users/me", headers={"Origin": "http://localhost:3000"})
    assert r.status_code == 401
    assert r.headers.get("Access-Control-Allow-Origin") == "http://localhost:3000", r.headers


@pytest.mark.parametrize("origin", ["http://evil.test", "http://localhost:3001",
                                    "https://localhost:3000", "null"])
def test_cors_gives_no_allow_origin_to_other_origins(base_url, origin):
    r = get(base_url, "/", headers={"Origin": origin})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers


def test_a_request_without_origin_gets_no_cors_headers(base_url):
    r = get(base_url, "/")
    assert "Access-Control-Allow-Origin" not in r.headers


def preflight(base_url, origin, path="/api/messages/send", method="POST",
              headers="authorization, content-type"):
    return request("OPTIONS", base_url + path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers})


def assert_preflight_ok(r, origin):
    assert r.status_code in (200, 204), f"{r.status_code} {r.text}"
    assert r.headers.get("Access-Control-Allow-Origin") in (origin, "*"), r.headers
    methods = [m.strip().upper() for m in r.headers.get("Access-Control-Allow-Methods", "").split(",")]
    assert "POST" in methods or "*" in methods, r.headers
    allowed = [h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")]
    assert "*" in allowed or {"authorization", "content-type"} <= set(allowed), r.headers


def test_cors_preflight_from_the_allowed_origin_succeeds(base_url):
    assert_preflight_ok(preflight(base_url, "http://localhost:3000"), "http://localhost:3000")


def test_cors_preflight_works_on_every_api_route(base_url):
    for path, method in (("/api/auth/login", "POST"), ("/api/users/me", "GET"),
                         ("/api/conversations", "GET"),
                         ("/api/conversations/0123456789abcdef01234567/mark-read", "POST")):
        assert_preflight_ok(preflight(base_url, "http://localhost:3000", path, method),
                            "http://localhost:3000")


def test_cors_preflight_from_another_origin_is_not_allowed(base_url):
    r = preflight(base_url, "http://evil.test")
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers


def test_cors_origins_flag_sets_the_allowed_origins(natter_factory):
    server = natter_factory(extra_args=["--cors-origins", "http://a.test,http://b.test"])
    for origin in ("http://a.test", "http://b.test"):
        r = get(server.base_url, "/", headers={"Origin": origin})
        assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
        assert_preflight_ok(preflight(server.base_url, origin), origin)
    for origin in ("http://c.test", "http://localhost:3000"):
        r = get(server.base_url, "/", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in r.headers, (origin, r.headers)


def test_cors_origins_env_sets_the_allowed_origins(natter_factory):
    server = natter_factory(env={"CORS_ORIGINS": "http://a.test,http://b.test"})
    for origin in ("http://a.test", "http://b.test"):
        r = get(server.base_url, "/", headers={"Origin": origin})
        assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
    r = get(server.base_url, "/", headers={"Origin": "http://localhost:3000"})
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers


def test_cors_origins_flag_wins_over_env(natter_factory):
    server = natter_factory(env={"CORS_ORIGINS": "http://env.test"},
                            extra_args=["--cors-origins", "http://flag.test"])
    r = get(server.base_url, "/", headers={"Origin": "http://flag.test"})
    assert r.headers.get("Access-Control-Allow-Origin") == "http://flag.test", r.headers
    r = get(server.base_url, "/", headers={"Origin": "http://env.test"})
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers


def test_cors_star_allows_every_origin(natter_factory):
    server = natter_factory(extra_args=["--cors-origins", "*"])
    for origin in ("http://anything.test", "https://x.example:8443", "http://localhost:3000"):
        r = get(server.base_url, "/", headers={"Origin": origin})
        assert r.headers.get("Access-Control-Allow-Origin") in (origin, "*"), r.headers
        assert_preflight_ok(preflight(server.base_url, origin), origin)


# ---- ids and timestamps --------------------------------------------------------------------------

def test_ids_are_unique_object_ids_and_timestamps_are_iso_utc_millis(base_url):
    a, ta = new_user(base_url, "fmt")
    b, tb = new_user(base_url, "fmt")
    sent = [send_ok(base_url, ta if i % 2 else tb, b if i % 2 else a, f"#{i}") for i in range(30)]
    ids = [m["id"] for m in sent]
    assert len(set(ids)) == len(ids)
    for m in sent:
        assert_object_id(m["id"])
        assert_object_id(m["conversation_id"])
        assert_timestamp(m["timestamp"])
    assert len({m["conversation_id"] for m in sent}) == 1
    assert sent[0]["conversation_id"] not in ids


# ---- connection handling and content types -----------------------------------------------------

def test_many_requests_share_one_keep_alive_connection(base_url):
    import requests
    _, t = new_user(base_url, "keepalive")
    with requests.Session() as s:
        for _ in range(50):
            r = s.get(base_url + "/api/users/me", headers={"Authorization": f"Bearer {t}"},
                      timeout=HTTP_TIMEOUT)
            assert r.status_code == 200
            assert r.headers.get("Connection", "").lower() != "close"


def test_json_with_a_charset_parameter_is_accepted(base_url):
    a, ta = new_user(base_url, "charset")
    b, _ = new_user(base_url, "charset")
    r = post(base_url, "/api/messages/send", ta,
             data=('{"to_email": "%s", "message": "héllo"}' % b).encode("utf-8"),
             headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "héllo"


def test_a_form_with_a_charset_parameter_is_accepted(base_url):
    r = post(base_url, "/api/auth/login",
             data="email=charset-form%40example.com&name=Ren%C3%A9+Form".encode(),
             headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert r.status_code == 200, r.text
    assert r.json()["user"] == {"email": "charset-form@example.com", "name": "René Form",
                                "profile_image": None}


def test_max_body_bytes_flag_changes_the_body_limit(natter_factory):
    server = natter_factory(extra_args=["--max-body-bytes", "2048"])
    base = server.base_url
    a, ta = new_user(base, "small")
    b, _ = new_user(base, "small")
    fits = b'{"to_email": "' + b.encode() + b'", "message": "ok"}'
    fits = fits[:-1] + b" " * (2048 - len(fits)) + b"}"
    r = post(base, "/api/messages/send", ta, data=fits,
             headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    status, data = raw_http(base, post_head("/api/messages/send", ta, 2049), b" " * 2049)
    assert status == 413, data[:300]
    r = post(base, "/api/messages/send", ta, json={"to_email": b, "message": "x" * 3000})
    assert r.status_code == 413, r.text[:300]
    assert get(base, "/api/users/me", ta).status_code == 200
