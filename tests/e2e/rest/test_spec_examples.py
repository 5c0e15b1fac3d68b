"""The REST examples of chat-socket-backend-api.md, replayed as written, plus its Postman
collection and client snippets. Each test gets a fresh server so the document's fixed emails
(user@example.com, other@example.com, ...) are new users."""

import urllib.parse

import pytest
import requests

from natter_checks import (LOGIN_KEYS, ME_KEYS, MESSAGE_KEYS, SEARCH_KEYS, assert_message,
                           assert_object_id, assert_timestamp)
from natter_server import HTTP_TIMEOUT, auth

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def server(natter_factory):
    return natter_factory(jwt_secret="spec-examples-secret-0123456789abcdef")


def http(method, url, **kw):
    kw.setdefault("timeout", HTTP_TIMEOUT)
    return requests.request(method, url, **kw)


def test_the_documented_rest_walkthrough(server):
    base = server.base_url
    api = base + "/api"

    # POST /api/auth/login, form body exactly as in the document.
    r = http("POST", api + "/auth/login", headers=FORM,
             data="email=user@example.com&name=John+Doe&profile_image=https://example.com/profile.jpg")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == LOGIN_KEYS
    assert body["token_type"] == "bearer"
    assert body["user"] == {"email": "user@example.com", "name": "John Doe",
                            "profile_image": "https://example.com/profile.jpg"}
    token = body["access_token"]
    assert token.startswith("eyJ")

    # The other people the examples talk about.
    def login(data):
        r = http("POST", api + "/auth/login", headers=FORM, data=data)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    other = login("email=other@example.com&name=Jane+Doe")
    login("email=john.doe@example.com&name=John+Doe&profile_image=https://example.com/profile.jpg")
    login("email=johnny@example.com&name=Johnny+Smith")

    # GET /api/users/me
    r = http("GET", api + "/users/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    me = r.json()
    assert set(me) == ME_KEYS
    assert (me["email"], me["name"], me["profile_image"]) == (
        "user@example.com", "John Doe", "https://example.com/profile.jpg")
    assert isinstance(me["is_online"], bool)
    # last_seen's value after a login is checked by test_users.py; here only its format.
    if me["last_seen"] is not None:
        assert_timestamp(me["last_seen"])

    # GET /api/users/search?query=john
    r = http("GET", api + "/users/search?query=john", headers=auth(token))
    assert r.status_code == 200, r.text
    found = r.json()
    for item in found:
        assert set(item) == SEARCH_KEYS
        assert isinstance(item.pop("is_online"), bool)
    assert sorted(found, key=lambda u: u["email"]) == [
        {"email": "john.doe@example.com", "name": "John Doe",
         "profile_image": "https://example.com/profile.jpg"},
        {"email": "johnny@example.com", "name": "Johnny Smith", "profile_image": None},
    ]

    # GET /api/conversations before anything happened.
    r = http("GET", api + "/conversations", headers=auth(token))
    assert r.status_code == 200 and r.json() == []

    # POST /api/conversations/start, form body as in the document.
    r = http("POST", api + "/conversations/start", headers={**auth(token), **FORM},
             data="to_email=other@example.com")
    assert r.status_code == 200, r.text
    started = r.json()
    assert set(started) == {"conversation_id", "participants"}
    assert_object_id(started["conversation_id"])
    assert sorted(started["participants"]) == ["other@example.com", "user@example.com"]
    cid = started["conversation_id"]

    # POST /api/messages/send: Jane says hello, John replies to it (the document's two messages).
    r = http("POST", api + "/messages/send",
             headers={**auth(other), "Content-Type": "application/json"},
             json={"to_email": "user@example.com", "message": "Hello there!",
                   "message_type": "text"})
    assert r.status_code == 200, r.text
    hello = r.json()
    assert_message(hello, conversation_id=cid, sender_email="other@example.com",
                   text="Hello there!")
    assert hello["sender_name"] == "Jane Doe"

    r = http("POST", api + "/messages/send",
             headers={**auth(token), "Content-Type": "application/json"},
             json={"to_email": "other@example.com", "message": "Hi! How are you?",
                   "message_type": "text", "reply_to": hello["id"]})
    assert r.status_code == 200, r.text
    reply = r.json()
    assert set(reply) == MESSAGE_KEYS  # documented keys plus "edited"
    assert reply["reply_to"] == hello["id"]
    assert reply["sender_name"] == "John Doe"
    assert reply["edited"] is False

    # GET /api/conversations/{id}/messages?skip=0&limit=20
    r = http("GET", f"{api}/conversations/{cid}/messages?skip=0&limit=20", headers=auth(token))
    assert r.status_code == 200, r.text
    history = r.json()
    assert [(m["sender_email"], m["sender_name"], m["message"], m["message_type"], m["edited"],
             m["reply_to"]) for m in history] == [
        ("other@example.com", "Jane Doe", "Hello there!", "text", False, None),
        ("user@example.com", "John Doe", "Hi! How are you?", "text", False, hello["id"]),
    ]
    for m in history:
        assert set(m) == MESSAGE_KEYS

    # GET /api/conversations for both sides.
    mine = http("GET", api + "/conversations", headers=auth(token)).json()
    assert mine == [{"conversation_id": cid, "participants": mine[0]["participants"],
                     "last_message": "Hi! How are you?", "last_message_time": reply["timestamp"],
                     "last_message_sender": "user@example.com", "unread_count": 1}]
    theirs = http("GET", api + "/conversations", headers=auth(other)).json()
    assert theirs[0]["unread_count"] == 1

    # POST /api/conversations/{id}/mark-read
    r = http("POST", f"{api}/conversations/{cid}/mark-read", headers=auth(other))
    assert r.status_code == 200
    assert r.json() == {"message": "Conversation marked as read"}
    assert http("GET", api + "/conversations", headers=auth(other)).json()[0]["unread_count"] == 0
    assert http("GET", api + "/conversations", headers=auth(token)).json()[0]["unread_count"] == 1

    # Additional resources: health check and root.
    assert http("GET", base + "/health").json()["status"] == "healthy"
    assert http("GET", base + "/").json() == {"message": "Chat Socket Backend API"}


def test_the_postman_collection_requests(server):
    base_url = server.base_url

    # Auth / Login (urlencoded body)
    r = http("POST", f"{base_url}/api/auth/login",
             data=[("email", "test@example.com"), ("name", "Test User")])
    assert r.status_code == 200, r.text
    jwt_token = r.json()["access_token"]
    bearer = {"Authorization": f"Bearer {jwt_token}"}

    # Users / Get Current User
    r = http("GET", f"{base_url}/api/users/me", headers=bearer)
    assert r.status_code == 200
    assert r.json()["email"] == "test@example.com" and r.json()["name"] == "Test User"

    # Users / Search Users (the caller is the only "test" user, and is excluded)
    r = http("GET", f"{base_url}/api/users/search?query=test", headers=bearer)
    assert r.status_code == 200 and r.json() == []

    # Conversations / Get Conversations
    r = http("GET", f"{base_url}/api/conversations", headers=bearer)
    assert r.status_code == 200 and r.json() == []

    # Conversations / Start Conversation: 404 until other@example.com exists, then 200.
    r = http("POST", f"{base_url}/api/conversations/start", headers=bearer,
             data=[("to_email", "other@example.com")])
    assert r.status_code == 404 and isinstance(r.json()["detail"], str)
    http("POST", f"{base_url}/api/auth/login",
         data=[("email", "other@example.com"), ("name", "Other")]).raise_for_status()
    r = http("POST", f"{base_url}/api/conversations/start", headers=bearer,
             data=[("to_email", "other@example.com")])
    assert r.status_code == 200, r.text
    assert sorted(r.json()["participants"]) == ["other@example.com", "test@example.com"]
    r = http("GET", f"{base_url}/api/conversations", headers=bearer)
    assert [c["conversation_id"] for c in r.json()] == [
        http("POST", f"{base_url}/api/conversations/start", headers=bearer,
             data=[("to_email", "other@example.com")]).json()["conversation_id"]]


def test_the_python_client_example(server):
    api_url = f"{server.base_url}/api"
    # ChatClient.login: requests.post(url, {'email': ..., 'name': ...}) sends a form body.
    response = requests.post(f"{api_url}/auth/login", {"email": "py@example.com",
                                                       "name": "Py Client"},
                             timeout=HTTP_TIMEOUT)
    assert response.status_code == 200
    token = response.json()["access_token"]
    # ChatClient.get_conversations
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.get(f"{api_url}/conversations", headers=headers, timeout=HTTP_TIMEOUT)
    assert response.status_code == 200 and response.json() == []


def test_the_javascript_chat_api_example(server):
    base_url = f"{server.base_url}/api"

    def login(email, name):
        r = http("POST", f"{base_url}/auth/login", data={"email": email, "name": name})
        assert r.status_code == 200
        return r.json()["access_token"]

    token = login("js@example.com", "Js Client")
    login("friend+tag@example.com", "Friend Tagged")
    headers = {"Authorization": f"Bearer {token}"}

    # searchUsers(query) with encodeURIComponent
    query = urllib.parse.quote("friend+tag", safe="")
    r = http("GET", f"{base_url}/users/search?query={query}", headers=headers)
    assert r.status_code == 200
    assert [u["email"] for u in r.json()] == ["friend+tag@example.com"]

    # sendMessage(toEmail, message)
    r = http("POST", f"{base_url}/messages/send",
             headers={**headers, "Content-Type": "application/json"},
             data='{"to_email":"friend+tag@example.com","message":"hey","message_type":"text"}')
    assert r.status_code == 200, r.text
    cid = r.json()["conversation_id"]

    # getConversations()
    convs = http("GET", f"{base_url}/conversations", headers=headers).json()
    assert [c["conversation_id"] for c in convs] == [cid]

    # getMessages(conversationId, skip = 0, limit = 50)
    r = http("GET", f"{base_url}/conversations/{cid}/messages?skip=0&limit=50", headers=headers)
    assert r.status_code == 200
    assert [m["message"] for m in r.json()] == ["hey"]
