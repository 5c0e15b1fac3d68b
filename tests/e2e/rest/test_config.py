"""Command line, environment and restart behaviour."""

import subprocess
import time

import jwt
import pytest
import requests

from natter_server import (HTTP_TIMEOUT, clean_env, conversation_with, free_port, get, login,
                           messages, new_user, post, send_ok, unique_email)

SECRET = "config-secret-" + "k" * 24


def run_natter(natter_bin, *args, env=None, timeout=20):
    try:
        return subprocess.run([str(natter_bin), *args], env=clean_env(env), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"natter {' '.join(args)} did not exit within {timeout}s "
                    f"(stdout={e.stdout!r}, stderr={e.stderr!r})")


def token_claims(token, secret):
    return jwt.decode(token, secret, algorithms=["HS256"])


# ---- --help and bad flags -------------------------------------------------------------------

def test_help_exits_0_and_documents_every_option_with_defaults(natter_bin):
    p = run_natter(natter_bin, "--help")
    assert p.returncode == 0, p.stderr
    text = p.stdout + p.stderr
    for flag in ("--host", "--port", "--data-dir", "--threads", "--jwt-secret",
                 "--jwt-expire-minutes", "--cors-origins"):
        assert flag in text, f"{flag} missing from --help:\n{text}"
    assert "8000" in text, "default port 8000 not shown"
    assert "1440" in text, "default JWT lifetime (1440 minutes = 24 h) not shown"
    assert "http://localhost:3000" in text, "default CORS origin not shown"


@pytest.mark.parametrize("args,mention", [
    (["--port", "abc"], "port"),
    (["--port", "70000"], "port"),
    (["--port", "-1"], "port"),
    (["--threads", "abc"], "threads"),
    (["--jwt-expire-minutes", "abc"], "jwt-expire-minutes"),
    (["--max-message-length", "abc"], "max-message-length"),
    (["--no-such-flag"], "no-such-flag"),
])
def test_a_bad_flag_exits_non_zero_with_a_message_naming_it(natter_bin, tmp_path, args, mention):
    p = run_natter(natter_bin, "--host", "127.0.0.1", "--data-dir", str(tmp_path / "d"),
                   "--jwt-secret", SECRET, *args)
    assert p.returncode != 0, f"natter accepted {args}: {p.stdout} {p.stderr}"
    text = (p.stdout + p.stderr).lower()
    assert mention in text, f"message does not mention {mention!r}: {p.stdout} {p.stderr}"


def test_a_bad_port_in_the_environment_exits_non_zero(natter_bin, tmp_path):
    p = run_natter(natter_bin, "--host", "127.0.0.1", "--data-dir", str(tmp_path / "d"),
                   env={"NATTER_PORT": "abc"})
    assert p.returncode != 0, f"{p.stdout} {p.stderr}"
    assert "port" in (p.stdout + p.stderr).lower()


def test_a_port_already_in_use_exits_non_zero(natter_factory, natter_bin, tmp_path):
    first = natter_factory()
    p = run_natter(natter_bin, "--host", "127.0.0.1", "--port", str(first.port),
                   "--data-dir", str(tmp_path / "other"), "--jwt-secret", SECRET)
    assert p.returncode != 0, f"{p.stdout} {p.stderr}"
    assert get(first.base_url, "/health").status_code == 200


# ---- flags and environment ---------------------------------------------------------------------

@pytest.mark.parametrize("var", ["NATTER_PORT", "PORT"])
def test_port_comes_from_the_environment(natter_factory, var):
    port = free_port()
    server = natter_factory(port=None, env={var: str(port)})
    assert server.port == port
    assert get(server.base_url, "/").json() == {"message": "Chat Socket Backend API"}


def test_the_port_flag_wins_over_the_environment(natter_factory):
    env_port = free_port()
    flag_port = free_port()
    while flag_port == env_port:
        flag_port = free_port()
    server = natter_factory(port=flag_port, env={"NATTER_PORT": str(env_port),
                                                  "PORT": str(env_port)})
    assert server.port == flag_port


@pytest.mark.parametrize("var", ["NATTER_JWT_SECRET", "JWT_SECRET_KEY"])
def test_the_jwt_secret_comes_from_the_environment(natter_factory, var):
    server = natter_factory(env={var: SECRET})
    token = login(server.base_url, unique_email("envsecret"), "Env Secret")
    assert token_claims(token, SECRET)["sub"].startswith("envsecret-")


def test_the_jwt_secret_flag_wins_over_the_environment(natter_factory):
    server = natter_factory(jwt_secret=SECRET, env={"NATTER_JWT_SECRET": "env-" + SECRET,
                                                    "JWT_SECRET_KEY": "env2-" + SECRET})
    token = login(server.base_url, unique_email("flagsecret"), "Flag Secret")
    token_claims(token, SECRET)
    with pytest.raises(jwt.InvalidSignatureError):
        token_claims(token, "env-" + SECRET)


def test_jwt_expire_minutes_comes_from_the_environment(natter_factory):
    server = natter_factory(jwt_secret=SECRET, env={"JWT_EXPIRE_MINUTES": "7"})
    claims = token_claims(login(server.base_url, unique_email("exp"), "Exp"), SECRET)
    assert claims["exp"] - claims["iat"] == 7 * 60


def test_jwt_expire_minutes_flag_wins_over_the_environment(natter_factory):
    server = natter_factory(jwt_secret=SECRET, env={"JWT_EXPIRE_MINUTES": "7"},
                            extra_args=["--jwt-expire-minutes", "5"])
    claims = token_claims(login(server.base_url, unique_email("exp"), "Exp"), SECRET)
    assert claims["exp"] - claims["iat"] == 5 * 60


def test_the_default_token_lifetime_is_24_hours(natter_factory):
    server = natter_factory(jwt_secret=SECRET)
    claims = token_claims(login(server.base_url, unique_email("exp"), "Exp"), SECRET)
    assert claims["exp"] - claims["iat"] == 24 * 60 * 60


def dir_has_files(path):
    return path.is_dir() and any(p.is_file() for p in path.rglob("*"))


def test_the_data_dir_comes_from_natter_data_dir(natter_factory, tmp_path):
    data = tmp_path / "env-data"
    server = natter_factory(data_dir=data, pass_data_dir=False, jwt_secret=SECRET,
                            env={"NATTER_DATA_DIR": str(data)})
    email = unique_email("envdata")
    token = login(server.base_url, email, "Env Data")
    assert dir_has_files(data), "nothing was written to $NATTER_DATA_DIR"
    server.restart()
    assert get(server.base_url, "/api/users/me", token).json()["email"] == email


def test_the_data_dir_flag_wins_over_natter_data_dir(natter_factory, tmp_path):
    env_dir = tmp_path / "env-dir"
    flag_dir = tmp_path / "flag-dir"
    server = natter_factory(data_dir=flag_dir, jwt_secret=SECRET,
                            env={"NATTER_DATA_DIR": str(env_dir)})
    login(server.base_url, unique_email("flagdata"), "Flag Data")
    assert dir_has_files(flag_dir)
    assert not dir_has_files(env_dir), "data went to $NATTER_DATA_DIR despite --data-dir"


@pytest.mark.parametrize("threads", ["1", "4"])
def test_the_threads_flag_is_accepted_and_the_server_serves(natter_factory, threads):
    server = natter_factory(extra_args=["--threads", threads])
    a, ta = new_user(server.base_url, "threads")
    b, _ = new_user(server.base_url, "threads")
    assert send_ok(server.base_url, ta, b, "hi")["message"] == "hi"


# ---- restart and shutdown ----------------------------------------------------------------------

def test_data_and_tokens_survive_a_sigterm_and_restart(natter_factory):
    server = natter_factory(jwt_secret=SECRET)
    base = server.base_url
    a, ta = new_user(base, "durable", "Durable A")
    b, tb = new_user(base, "durable", "Durable B")
    login(base, a, "Durable A", "https://example.com/a.png")
    sent = [send_ok(base, ta if i % 2 == 0 else tb, b if i % 2 == 0 else a, f"keep {i}")
            for i in range(5)]
    reply = send_ok(base, tb, a, "reply", reply_to=sent[0]["id"])
    cid = sent[0]["conversation_id"]
    assert post(base, f"/api/conversations/{cid}/mark-read", tb).status_code == 200
    send_ok(base, ta, b, "unread for b")
    conv_a = conversation_with(base, ta, b)
    conv_b = conversation_with(base, tb, a)
    history = messages(base, ta, cid)
    me_a = get(base, "/api/users/me", ta).json()

    server.restart()
    base = server.base_url
    assert get(base, "/api/users/me", ta).json()["profile_image"] == "https://example.com/a.png"
    assert get(base, "/api/users/me", ta).json()["name"] == me_a["name"]
    assert messages(base, ta, cid) == history
    assert messages(base, tb, cid)[-2] == reply
    assert conversation_with(base, ta, b) == conv_a
    assert conversation_with(base, tb, a) == conv_b
    assert conv_b["unread_count"] == 1 and conv_a["unread_count"] == 3
    # New messages continue the same conversation with fresh ids.
    m = send_ok(base, tb, a, "after restart")
    assert m["conversation_id"] == cid and m["id"] not in {x["id"] for x in history}


def test_sigterm_exits_0_promptly_with_an_idle_keep_alive_connection_open(natter_factory):
    server = natter_factory()
    session = requests.Session()
    assert session.get(server.base_url + "/health", timeout=HTTP_TIMEOUT).status_code == 200
    started = time.monotonic()
    server.stop(timeout=10)  # asserts exit code 0
    assert time.monotonic() - started < 10
    session.close()


def test_sigterm_right_after_start_exits_0(natter_factory):
    server = natter_factory()
    server.stop()
