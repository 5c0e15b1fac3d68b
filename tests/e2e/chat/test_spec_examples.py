"""The API document's Python integration example — the ChatClient class from "Python Client
Example" in /work/shared/spec/chat-socket-backend-api.md — copied verbatim and run as written
against natter. Its base URL is the constructor's parameter, so the test server's URL is simply
passed in. ChatClient uses python-socketio's default transports (polling, then upgrade).

To know when ChatClient's own handlers (registered inside connect_socket) have run, the tests wrap
the registered handler functions after connect_socket; the wrapped handlers still run, and what
they print is checked.
"""

import queue

import pytest

from chat_e2e import EVENT_TIMEOUT, Api, User, assert_message, new_server, status

# ---- verbatim from the document -----------------------------------------------------------------

import socketio
import requests

class ChatClient:
    def __init__(self, base_url="http://localhost:8000"):
        self.base_url = base_url
        self.api_url = f"{base_url}/api"
        self.token = None
        self.sio = socketio.Client()
        
    def login(self, email, name):
        response = requests.post(f"{self.api_url}/auth/login", {
            'email': email,
            'name': name
        })
        
        if response.status_code == 200:
            data = response.json()
            self.token = data['access_token']
            return True
        return False
    
    def connect_socket(self):
        self.sio.connect(self.base_url, auth={'token': self.token})
        
        @self.sio.on('new_message')
        def on_new_message(data):
            print(f"New message: {data['message']} from {data['sender_name']}")
            
        @self.sio.on('user_online')
        def on_user_online(data):
            print(f"User {data['email']} came online")
    
    def send_message(self, to_email, message):
        self.sio.emit('send_message', {
            'to_email': to_email,
            'message': message,
            'message_type': 'text'
        })
    
    def get_conversations(self):
        headers = {'Authorization': f'Bearer {self.token}'}
        response = requests.get(f"{self.api_url}/conversations", headers=headers)
        return response.json() if response.status_code == 200 else None

# ---- the tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = new_server(tmp_path_factory.mktemp("natter-spec"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def clients(server):
    made = []

    def make():
        c = ChatClient(base_url=server.base_url)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            c.sio.reconnection = False
            if getattr(c.sio, "_reconnect_abort", None) is not None:
                c.sio._reconnect_abort.set()
            c.sio.disconnect()
        except Exception:  # noqa: BLE001 - teardown must try every client
            pass


def observe(client, event):
    """Wraps ChatClient's registered handler for `event`; returns a queue of the payloads it got."""
    got = queue.Queue()
    original = client.sio.handlers["/"][event]

    def wrapped(data):
        original(data)
        got.put(data)

    client.sio.handlers["/"][event] = wrapped
    return got


def take(q, what, server):
    try:
        return q.get(timeout=EVENT_TIMEOUT)
    except queue.Empty:
        pytest.fail(f"ChatClient's {what} handler was not called within {EVENT_TIMEOUT} s\n"
                    f"{status(server)}", pytrace=False)


def logged_in(make, email, name):
    client = make()
    assert client.login(email, name) is True
    assert isinstance(client.token, str) and client.token
    return client


def test_login_returns_true_and_keeps_the_token(clients, server):
    client = logged_in(clients, "spec-alice@example.com", "Alice Spec")
    me = Api(server).me(User("spec-alice@example.com", "Alice Spec", client.token))
    assert (me["email"], me["name"]) == ("spec-alice@example.com", "Alice Spec")
    assert clients().login("not-an-email", "Nobody") is False


def test_connect_socket_connects_with_the_token_and_the_user_is_online(clients, server):
    client = logged_in(clients, "spec-carol@example.com", "Carol Spec")
    client.connect_socket()
    assert client.sio.connected
    assert client.sio.get_sid("/"), "a socket id for the / namespace"
    me = Api(server).me(User("spec-carol@example.com", "Carol Spec", client.token))
    assert me["is_online"] is True


def test_send_message_delivers_to_the_recipient_and_get_conversations_lists_it(clients, server, capsys):
    bob = logged_in(clients, "spec-bob@example.com", "Bob Spec")
    alice = logged_in(clients, "spec-dave@example.com", "Dave Spec")
    # make them contacts first, so that bob is told when alice comes online
    first = Api(server).send(User("spec-dave@example.com", "Dave Spec", alice.token),
                             User("spec-bob@example.com", "Bob Spec", bob.token), "hello first")
    bob.connect_socket()
    bob_new = observe(bob, "new_message")
    bob_online = observe(bob, "user_online")
    alice.connect_socket()
    alice_new = observe(alice, "new_message")
    assert take(bob_online, "user_online", server) == {"email": "spec-dave@example.com"}

    alice.send_message("spec-bob@example.com", "Hello from ChatClient")
    at_bob = take(bob_new, "new_message", server)
    assert_message(at_bob, text="Hello from ChatClient", reply_to=None,
                   conversation_id=first["conversation_id"])
    assert (at_bob["sender_email"], at_bob["sender_name"]) == ("spec-dave@example.com", "Dave Spec")
    assert take(alice_new, "new_message", server) == at_bob, "the sender gets the same new_message"
    out = capsys.readouterr().out
    assert "User spec-dave@example.com came online" in out, out
    assert "New message: Hello from ChatClient from Dave Spec" in out, out

    conversations = bob.get_conversations()
    assert isinstance(conversations, list) and len(conversations) == 1, conversations
    conv = conversations[0]
    assert conv["conversation_id"] == first["conversation_id"]
    assert sorted(conv["participants"]) == ["spec-bob@example.com", "spec-dave@example.com"]
    assert (conv["last_message"], conv["last_message_sender"], conv["unread_count"]) == (
        "Hello from ChatClient", "spec-dave@example.com", 2), conv
    assert alice.get_conversations()[0]["unread_count"] == 0
    bad = ChatClient(base_url=server.base_url)
    bad.token = "not-a-token"
    assert bad.get_conversations() is None
