"""GET /api/users/me and GET /api/users/search.

Every user this module's server holds is created here, so search results are fully predictable:
no email or name below contains any of the metacharacters probed by the literal-matching tests,
except the one user made for each of them.
"""

import time
import uuid

import jwt
import pytest

from natter_checks import (ME_KEYS, SEARCH_KEYS, assert_detail, assert_timestamp,
                           assert_validation_error)
from natter_server import get, iso_to_millis, login, login_response, unique_email


def search(base, token, **params):
    return get(base, "/api/users/search", token, params=params)


def search_ok(base, token, **params):
    r = search(base, token, **params)
    assert r.status_code == 200, f"search {params}: {r.status_code} {r.text}"
    body = r.json()
    assert isinstance(body, list), body
    for item in body:
        assert set(item) == SEARCH_KEYS, f"search item keys {sorted(item)}"
        assert isinstance(item["is_online"], bool), item
    return body


def emails(results):
    return [u["email"] for u in results]


@pytest.fixture(scope="module")
def searcher(natter):
    email = f"searcher-{uuid.uuid4().hex[:8]}@example.com"
    return email, login(natter.base_url, email, "Quill Searcher")


# ---- /api/users/me ------------------------------------------------------------------------------

def test_users_me_returns_exactly_email_name_profile_image_is_online_last_seen(base_url):
    email = unique_email("me")
    before = time.time()
    token = login(base_url, email, "Me Tester", "https://example.com/me.png")
    r = get(base_url, "/api/users/me", token)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == ME_KEYS, sorted(body)
    assert body["email"] == email
    assert body["name"] == "Me Tester"
    assert body["profile_image"] == "https://example.com/me.png"
    assert isinstance(body["is_online"], bool)
    assert body["is_online"] is False, "no socket is connected, so the user is offline"
    # last_seen is the last socket connect/disconnect (docs/API.md): null for a REST-only user.
    if body["last_seen"] is not None:
        assert_timestamp(body["last_seen"])
        assert abs(iso_to_millis(body["last_seen"]) / 1000 - before) < 120, body["last_seen"]


def test_users_me_shows_null_profile_image_when_none_was_given(base_url):
    email = unique_email("me")
    token = login(base_url, email, "Me Plain")
    body = get(base_url, "/api/users/me", token).json()
    assert body["profile_image"] is None


def test_users_me_is_404_when_the_tokens_user_does_not_exist(natter, base_url):
    now = int(time.time())
    token = jwt.encode({"sub": unique_email("nobody"), "iat": now, "exp": now + 600},
                       natter.jwt_secret, algorithm="HS256")
    assert_detail(get(base_url, "/api/users/me", token), 404)


# ---- search ordering, case, exclusion ---------------------------------------------------------

@pytest.fixture(scope="module")
def quill_users(natter):
    """Users matching "quill" in different ways, created in reverse of the expected ranking."""
    h = uuid.uuid4().hex[:6]
    base = natter.base_url
    users = {
        "email_substring": (f"aquill{h}@example.com", "Alpha"),
        "name_substring": (f"x{h}@example.com", "Has quill inside"),
        "email_prefix": (f"quillby{h}@example.com", "Bravo"),
        "name_prefix": (f"y{h}@example.com", "Quillan"),
        "name_exact": (f"z{h}@example.com", "quill"),
    }
    for email, name in users.values():
        login(base, email, name)
    return {k: v[0] for k, v in users.items()}


def test_search_ranks_exact_matches_then_prefix_matches_then_other_substrings(
        base_url, searcher, quill_users):
    got = emails(search_ok(base_url, searcher[1], query="quill"))
    assert sorted(got) == sorted(quill_users.values()), got
    tiers = [{quill_users["name_exact"]},
             {quill_users["email_prefix"], quill_users["name_prefix"]},
             {quill_users["email_substring"], quill_users["name_substring"]}]
    assert [set(got[0:1]), set(got[1:3]), set(got[3:5])] == tiers, got


def test_search_ranks_an_exact_email_first(base_url, searcher):
    h = uuid.uuid4().hex[:6]
    exact = f"exact{h}@example.com"
    for email in (f"notexact{h}@example.com", f"exact{h}@example.com.au", exact):
        login(base_url, email, "Ranked")
    got = emails(search_ok(base_url, searcher[1], query=exact))
    assert got == [exact, f"exact{h}@example.com.au", f"notexact{h}@example.com"], got


def test_search_is_case_insensitive_on_email_and_name(base_url, searcher, quill_users):
    lower = sorted(emails(search_ok(base_url, searcher[1], query="quill")))
    assert sorted(emails(search_ok(base_url, searcher[1], query="QUILL"))) == lower
    assert sorted(emails(search_ok(base_url, searcher[1], query="qUiLl"))) == lower
    assert emails(search_ok(base_url, searcher[1], query="HAS QUILL INSIDE")) == [
        quill_users["name_substring"]]


def test_search_matches_substrings_of_the_email(base_url, searcher, quill_users):
    fragment = quill_users["email_prefix"].split("@")[0][3:]  # "llby<h>"
    assert emails(search_ok(base_url, searcher[1], query=fragment)) == [quill_users["email_prefix"]]


def test_search_never_returns_the_caller(base_url, searcher, quill_users):
    email, token = searcher
    assert email not in emails(search_ok(base_url, token, query="quill"))
    assert email not in emails(search_ok(base_url, token, query=email))
    assert email not in emails(search_ok(base_url, token, query="searcher"))


def test_search_items_carry_name_profile_image_and_is_online(base_url, searcher):
    email = unique_email("carried")
    login(base_url, email, "Carried Person", "https://example.com/c.png")
    got = search_ok(base_url, searcher[1], query=email)
    assert got == [{"email": email, "name": "Carried Person",
                    "profile_image": "https://example.com/c.png", "is_online": False}]


def test_search_with_no_match_returns_an_empty_list(base_url, searcher):
    assert search_ok(base_url, searcher[1], query="no-such-user-" + uuid.uuid4().hex) == []


# ---- literal matching of metacharacters ---------------------------------------------------------

META = {
    ".*": "Dot Star a.*b",
    "%": "Percent 100%",
    "_": "Under snake_case",
    "(": "Paren f(x)",
    "[": "Bracket [x]",
    "'": "Quote O'Neil",
    "\\": "Backslash a\\b",
    "?": "Question why?",
    "^": "Caret ^up",
    "$": "Dollar $cash",
    "|": "Pipe a|b",
    "+": "Plus c++",
    "\"": "Dquote \"q\"",
}


@pytest.fixture(scope="module")
def meta_users(natter):
    out = {}
    for i, (query, name) in enumerate(META.items()):
        email = f"meta{i}-{uuid.uuid4().hex[:6]}@example.com"
        r = login_response(natter.base_url, email, name, how="json")
        assert r.status_code == 200, r.text
        out[query] = email
    return out


@pytest.mark.parametrize("query", list(META))
def test_search_treats_regex_and_like_metacharacters_literally(base_url, searcher, meta_users,
                                                               query):
    got = emails(search_ok(base_url, searcher[1], query=query, limit=50))
    assert got == [meta_users[query]], f"query {query!r} matched {got}"


def test_search_for_a_star_matches_only_names_containing_a_star(base_url, searcher, meta_users):
    got = emails(search_ok(base_url, searcher[1], query="*", limit=50))
    assert got == [meta_users[".*"]], got


# ---- limits and validation ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def many_users(natter):
    h = uuid.uuid4().hex[:6]
    out = []
    for i in range(55):
        email = f"many{h}-{i:02d}@example.com"
        login(natter.base_url, email, f"Crowd Member {i:02d}")
        out.append(email)
    return h, out


def test_search_returns_10_results_by_default(base_url, searcher, many_users):
    h, users = many_users
    got = emails(search_ok(base_url, searcher[1], query=f"many{h}"))
    assert len(got) == 10, got
    assert set(got) <= set(users)
    assert len(set(got)) == 10


@pytest.mark.parametrize("limit", [1, 25, 50])
def test_search_limit_up_to_50_bounds_the_results(base_url, searcher, many_users, limit):
    h, users = many_users
    got = emails(search_ok(base_url, searcher[1], query=f"many{h}", limit=limit))
    assert len(got) == limit and len(set(got)) == limit and set(got) <= set(users), got


@pytest.mark.parametrize("limit", ["0", "-1", "51", "1000", "abc", "1.5"])
def test_search_limit_outside_1_to_50_is_a_422_on_limit(base_url, searcher, limit):
    r = search(base_url, searcher[1], query="crowd", limit=limit)
    assert_validation_error(r, ["query", "limit"])


def test_search_without_query_is_a_422_at_query_query(base_url, searcher):
    r = get(base_url, "/api/users/search", searcher[1])
    assert_validation_error(r, ["query", "query"])


def test_search_with_an_empty_query_is_a_422_at_query_query(base_url, searcher):
    r = search(base_url, searcher[1], query="")
    assert_validation_error(r, ["query", "query"])


def test_search_decodes_plus_as_space_and_percent_escapes_in_the_query(base_url, searcher,
                                                                     many_users):
    h, users = many_users
    r = get(base_url, "/api/users/search?query=Crowd+Member+07", searcher[1])
    assert r.status_code == 200, r.text
    assert [u["email"] for u in r.json()] == [users[7]]
    r = get(base_url, "/api/users/search?query=Crowd%20Member%2008", searcher[1])
    assert [u["email"] for u in r.json()] == [users[8]]


def test_search_matches_non_ascii_names(base_url, searcher):
    email = unique_email("accent")
    login(base_url, email, "Renée Ünïcode")
    assert emails(search_ok(base_url, searcher[1], query="Renée Ünïcode")) == [email]
    assert emails(search_ok(base_url, searcher[1], query="ée Ünï")) == [email]
