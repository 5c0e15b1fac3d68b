"""Connecting to natter's realtime chat with python-socketio: where the JWT may come from, and
which handshakes are refused with connect_error "User not authenticated"."""

import time
import urllib.parse

import jwt

from chat_e2e import NOT_AUTHENTICATED, unique_email


def assert_connects_as(chat, user, **connect_kw):
    sock = chat.open("tab", user)
    sock.connect(**connect_kw)
    assert sock.connected
    sock.round_trip()
    # the server attributes the socket to `user`
    peer = chat.api.new_user("peer")
    peer_sock = chat.connect(peer)
    sock.emit("send_message", {"to_email": peer.email, "message": "who am I?"})
    got = peer_sock.rec.next("new_message")
    assert (got["sender_email"], got["sender_name"]) == (user.email, user.name)
    assert chat.api.me(user)["is_online"] is True


def test_the_token_in_the_handshake_auth_object_is_accepted(chat):
    alice = chat.api.new_user("alice")
    assert_connects_as(chat, alice, auth={"token": alice.token})


def test_the_token_in_a_token_query_parameter_is_accepted(chat):
    alice = chat.api.new_user("alice")
    url = f"{chat.server.base_url}?{urllib.parse.urlencode({'token': alice.token})}"
    assert_connects_as(chat, alice, url=url)


def test_the_token_in_an_authorization_bearer_header_is_accepted(chat):
    alice = chat.api.new_user("alice")
    assert_connects_as(chat, alice, headers={"Authorization": f"Bearer {alice.token}"})


def refusals(chat, token):
    """Tries `token` in the auth object, the query and the header; returns the connect_errors."""
    url = f"{chat.server.base_url}?{urllib.parse.urlencode({'token': token})}"
    return [chat.refused(auth={"token": token}),
            chat.refused(url=url),
            chat.refused(headers={"Authorization": f"Bearer {token}"})]


def test_a_handshake_without_any_token_is_refused_as_not_authenticated(chat):
    assert chat.refused() == {"message": NOT_AUTHENTICATED}


def test_an_empty_token_and_a_token_that_is_not_a_jwt_are_refused(chat):
    assert chat.refused(auth={"token": ""})["message"] == NOT_AUTHENTICATED
    for err in refusals(chat, "not-a-jwt"):
        assert err["message"] == NOT_AUTHENTICATED, err


def test_a_token_signed_with_another_secret_is_refused(chat):
    alice = chat.api.new_user("alice")
    forged = jwt.encode({"sub": alice.email, "exp": int(time.time()) + 3600}, "not-the-secret",
                        algorithm="HS256")
    for err in refusals(chat, forged):
        assert err["message"] == NOT_AUTHENTICATED, err


def test_an_expired_token_is_refused_and_the_user_stays_offline(chat):
    alice = chat.api.new_user("alice")
    expired = jwt.encode({"sub": alice.email, "exp": int(time.time()) - 60}, chat.server.jwt_secret,
                         algorithm="HS256")
    for err in refusals(chat, expired):
        assert err["message"] == NOT_AUTHENTICATED, err
    assert chat.api.me(alice)["is_online"] is False


def test_a_valid_token_for_a_user_that_does_not_exist_is_refused(chat):
    ghost = jwt.encode({"sub": unique_email("ghost"), "exp": int(time.time()) + 3600},
                       chat.server.jwt_secret, algorithm="HS256")
    for err in refusals(chat, ghost):
        assert err["message"] == NOT_AUTHENTICATED, err


def test_the_server_keeps_serving_after_refusing_handshakes(chat):
    chat.refused(auth={"token": "garbage"})
    alice = chat.api.new_user("alice")
    assert_connects_as(chat, alice, auth={"token": alice.token})
