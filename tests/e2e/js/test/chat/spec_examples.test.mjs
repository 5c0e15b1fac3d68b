// The API document's own JavaScript integration examples — the ChatService (Socket.IO) and
// ChatAPI (REST) classes — copied verbatim from "Integration Examples" in
// /work/shared/spec/chat-socket-backend-api.md and run as written against natter.
// The only change: the base URL 'http://localhost:8000' is replaced by the test server's URL
// (the module variable CHAT_SERVER_URL). The handlers ChatService calls but leaves undefined
// (handleNewMessage, handleTypingIndicator) are assigned on the instances by the tests.
//
// ChatService uses socket.io-client's default transports (polling, then upgrade to websocket).

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  Api,
  Clients,
  MESSAGE_KEYS,
  NatterServer,
  WEBSOCKET_ONLY,
  assertKeys,
  assertMessage,
  roundTrip,
} from "./support.mjs";

let CHAT_SERVER_URL; // set once the test server listens

// ---- verbatim from the document (base URL substituted) ---------------------------------------

import io from 'socket.io-client';

class ChatService {
  constructor(token) {
    this.socket = io(CHAT_SERVER_URL, {
      auth: { token }
    });
    
    this.setupEventListeners();
  }
  
  setupEventListeners() {
    this.socket.on('connect', () => {
      console.log('Connected to chat server');
    });
    
    this.socket.on('new_message', (message) => {
      // Handle new message
      this.handleNewMessage(message);
    });
    
    this.socket.on('user_typing', (data) => {
      // Handle typing indicator
      this.handleTypingIndicator(data);
    });
  }
  
  sendMessage(toEmail, message) {
    this.socket.emit('send_message', {
      to_email: toEmail,
      message: message,
      message_type: 'text'
    });
  }
  
  joinConversation(conversationId) {
    this.socket.emit('join_conversation', {
      conversation_id: conversationId
    });
  }
  
  startTyping(conversationId) {
    this.socket.emit('typing_start', {
      conversation_id: conversationId
    });
  }
  
  stopTyping(conversationId) {
    this.socket.emit('typing_stop', {
      conversation_id: conversationId
    });
  }
}

class ChatAPI {
  constructor(token) {
    this.baseURL = `${CHAT_SERVER_URL}/api`;
    this.token = token;
  }
  
  async getConversations() {
    const response = await fetch(`${this.baseURL}/conversations`, {
      headers: {
        'Authorization': `Bearer ${this.token}`
      }
    });
    return response.json();
  }
  
  async getMessages(conversationId, skip = 0, limit = 50) {
    const response = await fetch(
      `${this.baseURL}/conversations/${conversationId}/messages?skip=${skip}&limit=${limit}`,
      {
        headers: {
          'Authorization': `Bearer ${this.token}`
        }
      }
    );
    return response.json();
  }
  
  async sendMessage(toEmail, message) {
    const response = await fetch(`${this.baseURL}/messages/send`, {
      method: 'POST',
      headers: {
        'Authorization': `Bearer ${this.token}`,
        'Content-Type': 'application/json'
      },
      body: JSON.stringify({
        to_email: toEmail,
        message: message,
        message_type: 'text'
      })
    });
    return response.json();
  }
  
  async searchUsers(query) {
    const response = await fetch(
      `${this.baseURL}/users/search?query=${encodeURIComponent(query)}`,
      {
        headers: {
          'Authorization': `Bearer ${this.token}`
        }
      }
    );
    return response.json();
  }
}

// ---- the tests -------------------------------------------------------------------------------

/** Resolves with the argument of the next call of `obj[name]` (a handler assigned on the instance). */
function nextCall(obj, name, { where = () => true, timeout = 5_000, server } = {}) {
  obj.calls ??= {};
  const calls = (obj.calls[name] ??= []);
  if (!obj[name]) {
    obj[name] = (arg) => {
      calls.push(arg);
      for (const w of [...(obj.waiters ?? [])]) w();
    };
  }
  obj.waiters ??= new Set();
  obj.consumed ??= new Set();
  return new Promise((resolve, reject) => {
    const check = () => {
      const hit = calls.find((c) => !obj.consumed.has(c) && where(c));
      if (hit === undefined) return false;
      obj.consumed.add(hit);
      obj.waiters.delete(check);
      clearTimeout(timer);
      resolve(hit);
      return true;
    };
    const timer = setTimeout(() => {
      obj.waiters.delete(check);
      reject(new Error(`timed out waiting for ${name}(); calls so far: ${JSON.stringify(calls)}\n${server?.status() ?? ""}`));
    }, timeout);
    if (!check()) obj.waiters.add(check);
  });
}

function serviceConnected(service, server) {
  if (service.socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ChatService did not connect\n${server.status()}`)), 5_000);
    service.socket.once('connect', () => { clearTimeout(timer); resolve(); });
    service.socket.once('connect_error', (e) => { clearTimeout(timer); reject(new Error(`connect_error ${e.message}\n${server.status()}`)); });
  });
}

describe("the document's ChatService example, run as written", { timeout: 60_000 }, () => {
  let server;
  let api;
  let services = [];
  before(async () => {
    server = await new NatterServer().start();
    CHAT_SERVER_URL = server.url;
    api = new Api(server);
  });
  afterEach(() => {
    for (const s of services) s.socket.disconnect();
    services = [];
  });
  after(async () => {
    for (const s of services) s.socket.disconnect();
    await server?.dispose();
  });

  async function service(prefix) {
    const user = await api.newUser(prefix);
    const chat = new ChatService(user.token);
    services.push(chat);
    nextCall(chat, "handleNewMessage", { timeout: 1 }).catch(() => {}); // installs the recording handlers
    nextCall(chat, "handleTypingIndicator", { timeout: 1 }).catch(() => {});
    await serviceConnected(chat, server);
    return { user, chat };
  }

  it("connects with the token in auth and hands both users' new_message to handleNewMessage", async () => {
    const alice = await service("alice");
    const bob = await service("bob");
    alice.chat.sendMessage(bob.user.email, "Hello from ChatService");
    const atBob = await nextCall(bob.chat, "handleNewMessage", { server });
    assertMessage(atBob, { from: alice.user, text: "Hello from ChatService" });
    const atAlice = await nextCall(alice.chat, "handleNewMessage", { server });
    assert.deepEqual(atAlice, atBob, "the sender's ChatService gets the same new_message");
    const history = await api.messages(bob.user, atBob.conversation_id);
    assert.deepEqual(history, [atBob]);
  });

  it("joins a conversation and passes the other user's typing to handleTypingIndicator", async () => {
    const alice = await service("alice");
    const bob = await service("bob");
    alice.chat.sendMessage(bob.user.email, "first");
    const { conversation_id } = await nextCall(bob.chat, "handleNewMessage", { server });

    const joined = new Promise((resolve) => bob.chat.socket.once("joined_conversation", resolve));
    bob.chat.joinConversation(conversation_id);
    assert.deepEqual(await joined, { conversation_id });

    alice.chat.startTyping(conversation_id);
    assert.deepEqual(await nextCall(bob.chat, "handleTypingIndicator", { server }),
      { conversation_id, user_email: alice.user.email, typing: true });
    alice.chat.stopTyping(conversation_id);
    assert.deepEqual(await nextCall(bob.chat, "handleTypingIndicator", { server }),
      { conversation_id, user_email: alice.user.email, typing: false });
    bob.chat.startTyping(conversation_id);
    assert.deepEqual(await nextCall(alice.chat, "handleTypingIndicator", { server }),
      { conversation_id, user_email: bob.user.email, typing: true });
    // the typist's own ChatService is not told about its own typing
    alice.chat.sendMessage(bob.user.email, "barrier");
    await nextCall(alice.chat, "handleNewMessage", { where: (m) => m.message === "barrier", server });
    assert.deepEqual((alice.chat.calls.handleTypingIndicator ?? []).filter((d) => d.user_email === alice.user.email), []);
  });
});

describe("the document's ChatAPI example, run as written", { timeout: 60_000 }, () => {
  let server;
  let api;
  let clients;
  before(async () => {
    server = await new NatterServer().start();
    CHAT_SERVER_URL = server.url;
    api = new Api(server);
    clients = new Clients(server, WEBSOCKET_ONLY);
  });
  afterEach(() => clients.closeAll());
  after(async () => {
    clients?.closeAll();
    await server?.dispose();
  });

  it("sendMessage returns the stored message and pushes it to both users' sockets", async () => {
    const alice = await api.newUser("alice");
    const bob = await api.newUser("bob");
    const bobSocket = await clients.connect(bob);
    const aliceSocket = await clients.connect(alice);
    const chatApi = new ChatAPI(alice.token);
    const sent = await chatApi.sendMessage(bob.email, "Hello there!");
    assertKeys(sent, MESSAGE_KEYS, "sendMessage result");
    assertMessage(sent, { from: alice, text: "Hello there!" });
    assert.deepEqual(await bobSocket.rec.next("new_message"), sent);
    assert.deepEqual(await aliceSocket.rec.next("new_message"), sent);
    assert.deepEqual(await bobSocket.rec.next("message_notification"), {
      conversation_id: sent.conversation_id, sender_email: alice.email, sender_name: alice.name, message: "Hello there!",
    });
  });

  it("getConversations and getMessages return the documented shapes, including socket-sent messages", async () => {
    const alice = await api.newUser("alice");
    const bob = await api.newUser("bob");
    const aliceSocket = await clients.connect(alice);
    await roundTrip(aliceSocket);
    const first = await new ChatAPI(bob.token).sendMessage(alice.email, "over REST");
    const viaSocket = await aliceSocket.timeout(5_000).emitWithAck("send_message", {
      to_email: bob.email, message: "over the socket", reply_to: first.id,
    });
    assert.equal(viaSocket.ok, true, JSON.stringify(viaSocket));

    const chatApi = new ChatAPI(bob.token);
    const conversations = await chatApi.getConversations();
    assert.ok(Array.isArray(conversations));
    assert.equal(conversations.length, 1);
    assert.deepEqual(conversations[0], {
      conversation_id: first.conversation_id,
      participants: conversations[0].participants,
      last_message: "over the socket",
      last_message_time: viaSocket.message.timestamp,
      last_message_sender: alice.email,
      unread_count: 1,
    });
    assert.deepEqual([...conversations[0].participants].sort(), [alice.email, bob.email].sort());

    const messages = await chatApi.getMessages(first.conversation_id);
    assert.deepEqual(messages, [first, viaSocket.message]);
    assert.deepEqual(await chatApi.getMessages(first.conversation_id, 1, 1), [first], "skip counts from the newest");
    for (const m of messages) assertKeys(m, MESSAGE_KEYS, "history message");
  });

  it("searchUsers returns users with is_online following their sockets", async () => {
    const alice = await api.newUser("alice");
    const bob = await api.newUser("bob");
    const chatApi = new ChatAPI(alice.token);
    const offline = await chatApi.searchUsers(bob.email);
    assert.deepEqual(offline, [{ email: bob.email, name: bob.name, profile_image: null, is_online: false }]);
    await clients.connect(bob);
    assert.deepEqual(await chatApi.searchUsers(bob.email), [{ email: bob.email, name: bob.name, profile_image: null, is_online: true }]);
  });
});
