"""POST /api/auth/login, the JWTs natter issues and accepts, and 401s on protected endpoints."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest

from natter_checks import (LOGIN_KEYS, LOGIN_USER_KEYS, assert_detail, assert_validation_error)
from natter_server import (auth, get, login, login_response, new_user, post, request,
                           unique_email)

DAY = 24 * 60 * 60
HOWS = ["form", "query", "json"]


def me(base, token):
    r = get(base, "/api/users/me", token)
    assert r.status_code == 200, f"GET /api/users/me: {r.status_code} {r.text}"
    return r.json()


# ---- login ------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", HOWS)
def test_login_creates_the_user_and_returns_exactly_token_type_and_user(base_url, how):
    email = unique_email("new")
    r = login_response(base_url, email, "New Person", "https://example.com/p.jpg", how=how)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == LOGIN_KEYS
    assert body["token_type"] == "bearer"
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    assert set(body["user"]) == LOGIN_USER_KEYS
    assert body["user"] == {"email": email, "name": "New Person",
                            "profile_image": "https://example.com/p.jpg"}
    got = me(base_url, body["access_token"])
    assert got["email"] == email and got["name"] == "New Person"
    assert got["profile_image"] == "https://example.com/p.jpg"


@pytest.mark.parametrize("how", HOWS)
def test_login_without_profile_image_gives_null_profile_image(base_url, how):
    email = unique_email("noimg")
    r = login_response(base_url, email, "No Image", how=how)
    assert r.status_code == 200, r.text
    assert r.json()["user"] == {"email": email, "name": "No Image", "profile_image": None}


@pytest.mark.parametrize("how", HOWS)
def test_login_trims_and_lower_cases_the_email(base_url, how):
    local = unique_email("Mixed").split("@")[0]
    r = login_response(base_url, f"  {local.upper()}@Example.COM  ", "Mixed Case", how=how)
    assert r.status_code == 200, r.text
    expected = f"{local.lower()}@example.com"
    assert r.json()["user"]["email"] == expected
    token = r.json()["access_token"]
    assert me(base_url, token)["email"] == expected
    # The same person logging in with another spelling is the same user.
    again = login_response(base_url, expected.upper(), how=how)
    assert again.status_code == 200, again.text
    assert again.json()["user"]["email"] == expected
    assert again.json()["user"]["name"] == "Mixed Case"


@pytest.mark.parametrize("how", ["form", "json"])
def test_login_parameters_in_the_body_win_over_the_query_string(base_url, how):
    email = unique_email("both")
    body = {"email": email, "name": "From Body"}
    kw = {"data": body} if how == "form" else {"json": body}
    r = post(base_url, "/api/auth/login",
             params={"email": unique_email("query"), "name": "From Query"}, **kw)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email"] == email
    assert r.json()["user"]["name"] == "From Body"


def test_a_second_login_updates_name_and_profile_image_when_given(base_url):
    email = unique_email("upd")
    login(base_url, email, "First Name", "https://example.com/1.png")
    r = login_response(base_url, email, "Second Name", "http://example.com/2.png")
    assert r.status_code == 200, r.text
    assert r.json()["user"] == {"email": email, "name": "Second Name",
                                "profile_image": "http://example.com/2.png"}
    got = me(base_url, r.json()["access_token"])
    assert (got["name"], got["profile_image"]) == ("Second Name", "http://example.com/2.png")


@pytest.mark.parametrize("how", HOWS)
def test_a_second_login_without_name_or_image_keeps_them(base_url, how):
    email = unique_email("keep")
    login(base_url, email, "Kept Name", "https://example.com/kept.png")
    r = login_response(base_url, email, how=how)
    assert r.status_code == 200, r.text
    assert r.json()["user"] == {"email": email, "name": "Kept Name",
                                "profile_image": "https://example.com/kept.png"}
    got = me(base_url, r.json()["access_token"])
    assert (got["name"], got["profile_image"]) == ("Kept Name", "https://example.com/kept.png")


def test_a_second_login_with_only_a_new_name_keeps_the_profile_image(base_url):
    email = unique_email("half")
    login(base_url, email, "Old", "https://example.com/old.png")
    r = login_response(base_url, email, "New")
    assert r.status_code == 200, r.text
    assert r.json()["user"] == {"email": email, "name": "New",
                                "profile_image": "https://example.com/old.png"}


@pytest.mark.parametrize("bad", [
    "plainaddress", "@example.com", "user@", "user@@example.com", "user name@example.com",
    "user@exa mple.com", "",
])
@pytest.mark.parametrize("how", HOWS)
def test_login_with_an_invalid_email_is_a_422_on_email(base_url, bad, how):
    r = login_response(base_url, bad, "Someone", how=how)
    assert_validation_error(r, loc_field="email")


def test_login_without_email_is_a_422_at_body_email(base_url):
    r = post(base_url, "/api/auth/login", data={"name": "Nobody"})
    assert_validation_error(r, ["body", "email"])


@pytest.mark.parametrize("how", HOWS)
def test_login_without_any_parameters_is_a_422_on_email(base_url, how):
    kw = {"form": {"data": {}}, "query": {}, "json": {"json": {}}}[how]
    r = post(base_url, "/api/auth/login", **kw)
    assert_validation_error(r, loc_field="email")


@pytest.mark.parametrize("name", ["", "x" * 101, "é" * 101])
@pytest.mark.parametrize("how", HOWS)
def test_login_with_a_name_of_0_or_101_characters_is_a_422_on_name(base_url, name, how):
    r = login_response(base_url, unique_email("badname"), name, how=how)
    assert_validation_error(r, loc_field="name")


@pytest.mark.parametrize("name", ["x", "x" * 100, "é" * 100, "Zoë 👩‍💻 O'Brien"])
def test_login_accepts_names_of_1_to_100_characters(base_url, name):
    email = unique_email("okname")
    r = login_response(base_url, email, name, how="json")
    assert r.status_code == 200, r.text
    assert r.json()["user"]["name"] == name
    assert me(base_url, r.json()["access_token"])["name"] == name


@pytest.mark.parametrize("image", [
    "ftp://example.com/a.png", "example.com/a.png", "not a url", "javascript:alert(1)",
    "file:///etc/passwd", "https://",
])
@pytest.mark.parametrize("how", HOWS)
def test_login_with_a_non_http_profile_image_is_a_422_on_profile_image(base_url, image, how):
    r = login_response(base_url, unique_email("badimg"), "Img", image, how=how)
    assert_validation_error(r, loc_field="profile_image")


@pytest.mark.parametrize("image", ["http://example.com/a.png",
                                   "https://cdn.example.com/u/1/avatar.jpg?size=64&v=2"])
def test_login_accepts_http_and_https_profile_images(base_url, image):
    email = unique_email("img")
    r = login_response(base_url, email, "Img", image)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["profile_image"] == image


def test_an_invalid_second_login_does_not_change_the_user(base_url):
    email = unique_email("stay")
    token = login(base_url, email, "Stays", "https://example.com/s.png")
    r = login_response(base_url, email, "x" * 101, "ftp://nope")
    assert r.status_code == 422
    got = me(base_url, token)
    assert (got["name"], got["profile_image"]) == ("Stays", "https://example.com/s.png")


# ---- the token --------------------------------------------------------------------------------

def test_the_token_is_an_hs256_jwt_with_sub_iat_and_a_24_hour_exp(natter, base_url):
    email = unique_email("jwt")
    before = int(time.time())
    token = login(base_url, email, "Jwt")
    after = int(time.time())
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256", header
    claims = jwt.decode(token, natter.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == email
    assert before - 2 <= claims["iat"] <= after + 2, claims
    assert claims["exp"] - claims["iat"] == DAY, claims


def test_the_token_sub_is_the_normalised_email(natter, base_url):
    local = unique_email("Norm").split("@")[0]
    token = login(base_url, f" {local.upper()}@EXAMPLE.com ", "Norm")
    claims = jwt.decode(token, natter.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == f"{local.lower()}@example.com"


def test_jwt_expire_minutes_sets_the_token_lifetime(natter_factory):
    server = natter_factory(jwt_secret="s" * 32, extra_args=["--jwt-expire-minutes", "5"])
    token = login(server.base_url, unique_email("short"), "Short")
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 5 * 60, claims


def test_a_token_signed_by_python_jwt_with_the_secret_is_accepted(natter, base_url):
    email = unique_email("pyjwt")
    login(base_url, email, "Py Jwt")
    now = int(time.time())
    token = jwt.encode({"sub": email, "iat": now, "exp": now + 600}, natter.jwt_secret,
                       algorithm="HS256")
    assert me(base_url, token)["email"] == email


def test_a_python_jwt_token_with_only_sub_and_exp_is_accepted(natter, base_url):
    email = unique_email("subexp")
    login(base_url, email, "Sub Exp")
    token = jwt.encode({"sub": email, "exp": int(time.time()) + 600}, natter.jwt_secret,
                       algorithm="HS256")
    assert me(base_url, token)["email"] == email


def test_a_token_for_an_email_that_never_logged_in_gives_404_on_users_me(natter, base_url):
    now = int(time.time())
    token = jwt.encode({"sub": unique_email("ghost"), "iat": now, "exp": now + 600},
                       natter.jwt_secret, algorithm="HS256")
    assert_detail(get(base_url, "/api/users/me", token), 404)


def test_without_a_configured_secret_natter_keeps_a_generated_one_in_the_data_dir(natter_factory):
    first = natter_factory()
    email = unique_email("persist")
    token = login(first.base_url, email, "Persist")
    assert me(first.base_url, token)["email"] == email
    first.restart()
    assert me(first.base_url, token)["email"] == email, "token rejected after restart"
    # A server with another data dir generates another secret.
    other = natter_factory()
    login(other.base_url, email, "Persist")  # the user exists there too
    r = get(other.base_url, "/api/users/me", token)
    assert_detail(r, 401)
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer")


def test_two_fresh_data_dirs_generate_different_secrets(natter_factory):
    a = natter_factory()
    b = natter_factory()
    email = unique_email("twodirs")
    ta = login(a.base_url, email, "A")
    tb = login(b.base_url, email, "B")
    assert get(a.base_url, "/api/users/me", tb).status_code == 401
    assert get(b.base_url, "/api/users/me", ta).status_code == 401


# ---- 401 on protected endpoints -----------------------------------------------------------------

ZERO_ID = "0" * 24
PROTECTED = [
    ("GET", "/api/users/me", {}),
    ("GET", "/api/users/search", {"params": {"query": "a"}}),
    ("GET", "/api/conversations", {}),
    ("POST", "/api/conversations/start", {"data": {"to_email": "someone@example.com"}}),
    ("GET", f"/api/conversations/{ZERO_ID}/messages", {}),
    ("POST", f"/api/conversations/{ZERO_ID}/mark-read", {}),
    ("POST", "/api/messages/send", {"json": {"to_email": "someone@example.com", "message": "hi"}}),
]


def _b64(obj) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def bad_authorization(kind: str, secret: str, email: str):
    """The Authorization header value for one kind of bad credential (None: no header)."""
    now = int(time.time())
    claims = {"sub": email, "iat": now, "exp": now + 600}
    good = jwt.encode(claims, secret, algorithm="HS256")
    if kind == "missing":
        return None
    if kind == "empty bearer":
        return "Bearer "
    if kind == "scheme only":
        return "Bearer"
    if kind == "malformed":
        return "Bearer abc.def"
    if kind == "garbage":
        return "Bearer !!!not-a-token!!!"
    if kind == "basic scheme":
        return "Basic " + base64.b64encode(b"user:pass").decode()
    if kind == "valid token with another scheme":
        return "Token " + good
    if kind == "expired":
        return "Bearer " + jwt.encode({"sub": email, "iat": now - 7200, "exp": now - 3600},
                                      secret, algorithm="HS256")
    if kind == "wrong signature":
        return "Bearer " + jwt.encode(claims, secret + "-other", algorithm="HS256")
    if kind == "tampered payload":
        h, _, s = good.split(".")
        return "Bearer " + ".".join([h, _b64({**claims, "sub": "admin@example.com"}), s])
    if kind == "alg none":
        return "Bearer " + jwt.encode(claims, None, algorithm="none")
    if kind == "alg none with signature":
        h, p, s = good.split(".")
        return "Bearer " + ".".join([_b64({"alg": "none", "typ": "JWT"}), p, s])
    if kind == "HS384":
        return "Bearer " + jwt.encode(claims, secret, algorithm="HS384")
    if kind == "HS512":
        return "Bearer " + jwt.encode(claims, secret, algorithm="HS512")
    if kind == "no sub":
        return "Bearer " + jwt.encode({"iat": now, "exp": now + 600}, secret, algorithm="HS256")
    if kind == "payload not json":
        h, _, _ = good.split(".")
        p = base64.urlsafe_b64encode(b"not json").rstrip(b"=").decode()
        sig = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
        return "Bearer " + ".".join([h, p, base64.urlsafe_b64encode(sig).rstrip(b"=").decode()])
    raise ValueError(kind)


BAD_KINDS = ["missing", "empty bearer", "scheme only", "malformed", "garbage", "basic scheme",
             "valid token with another scheme", "expired", "wrong signature", "tampered payload",
             "alg none", "alg none with signature", "HS384", "HS512", "no sub",
             "payload not json"]


@pytest.fixture(scope="module")
def known_user(natter):
    email = unique_email("known")
    login(natter.base_url, email, "Known")
    return email


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("method,path,kw", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_protected_endpoints_answer_401_with_www_authenticate_bearer(
        natter, base_url, known_user, method, path, kw, kind):
    value = bad_authorization(kind, natter.jwt_secret, known_user)
    headers = {} if value is None else {"Authorization": value}
    r = request(method, base_url + path, headers=headers, **kw)
    assert_detail(r, 401)
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), r.headers


def test_the_same_user_with_a_valid_token_passes_authentication(natter, base_url, known_user):
    # Control for the test above: the user exists and a well-formed token works everywhere.
    now = int(time.time())
    token = jwt.encode({"sub": known_user, "iat": now, "exp": now + 600}, natter.jwt_secret,
                       algorithm="HS256")
    assert get(base_url, "/api/users/me", token).status_code == 200
    assert get(base_url, "/api/conversations", token).status_code == 200
    assert get(base_url, "/api/users/search", token, params={"query": "a"}).status_code == 200


def test_the_bearer_scheme_is_case_insensitive(base_url):
    email, token = new_user(base_url, "scheme")
    r = get(base_url, "/api/users/me", headers={"Authorization": f"bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == email
    assert auth(token)["Authorization"].startswith("Bearer ")
