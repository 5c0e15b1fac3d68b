// Messages in real time: send_message over a socket (with and without an ack), the same events
// for POST /api/messages/send, marked_as_read for POST .../mark-read, REST history and unread
// counts of socket-sent messages, failures that store nothing, and other pairs' privacy.
// Two users with two sockets (tabs) each.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MODES,
  NOTIFICATION_KEYS,
  assertKeys,
  assertMessage,
  barrier,
  emitWithAck,
  roundTrip,
  useServer,
} from "./support.mjs";

const byId = (id) => (m) => m?.id === id;

for (const mode of MODES) {
  describe(`realtime messages over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode);

    /** alice and bob, each with two connected tabs. */
    async function twoUsersTwoTabs() {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const bob = await api.newUser("bob");
      const a1 = await clients.connect(alice, { label: "alice#1" });
      const a2 = await clients.connect(alice, { label: "alice#2" });
      const b1 = await clients.connect(bob, { label: "bob#1" });
      const b2 = await clients.connect(bob, { label: "bob#2" });
      return { alice, bob, a1, a2, b1, b2 };
    }

    it("delivers the first message of a brand-new conversation to every tab of both users without any join", async () => {
      const { api } = ctx;
      const { alice, bob, a1, a2, b1, b2 } = await twoUsersTwoTabs();
      assert.equal(await api.conversationWith(alice, bob), undefined, "no conversation yet");

      const ack = await emitWithAck(a1, "send_message", {
        to_email: bob.email, message: "Hello there!", message_type: "text", reply_to: null,
      });
      assertKeys(ack, ["ok", "message"], "send_message ack");
      assert.equal(ack.ok, true);
      assertMessage(ack.message, { from: alice, text: "Hello there!" });

      for (const s of [a1, a2, b1, b2]) {
        const m = await s.rec.next("new_message", { where: byId(ack.message.id) });
        assert.deepEqual(m, ack.message, `${s.rec.label}: new_message equals the acked message`);
      }
      for (const s of [b1, b2]) {
        const n = await s.rec.next("message_notification");
        assertKeys(n, NOTIFICATION_KEYS, "message_notification");
        assert.deepEqual(n, {
          conversation_id: ack.message.conversation_id,
          sender_email: alice.email,
          sender_name: alice.name,
          message: "Hello there!",
        });
      }
      // the sender's tabs get no notification for their own message
      await barrier(api, [a1, a2]);
      for (const s of [a1, a2]) s.rec.assertNone("message_notification", (n) => n.sender_email === alice.email);
      // exactly one copy per socket
      for (const s of [a1, a2, b1, b2]) assert.equal(s.rec.all("new_message", byId(ack.message.id)).length, 1);

      const conv = await api.conversationWith(bob, alice);
      assert.equal(conv.conversation_id, ack.message.conversation_id);
      assert.deepEqual([...conv.participants].sort(), [alice.email, bob.email].sort());
    });

    it("delivers replies in both directions to every tab, with reply_to and message_type kept", async () => {
      const { alice, bob, a1, a2, b1, b2 } = await twoUsersTwoTabs();
      const first = (await emitWithAck(a1, "send_message", { to_email: bob.email, message: "ping" })).message;
      assertMessage(first, { from: alice, text: "ping" }); // message_type defaults to text
      const reply = await emitWithAck(b2, "send_message", {
        to_email: alice.email, message: "https://example.com/cat.png", message_type: "image", reply_to: first.id,
      });
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assertMessage(reply.message, {
        from: bob, text: "https://example.com/cat.png", type: "image", replyTo: first.id, conversationId: first.conversation_id,
      });
      for (const s of [a1, a2, b1, b2]) {
        assert.deepEqual(await s.rec.next("new_message", { where: byId(reply.message.id) }), reply.message);
      }
      for (const s of [a1, a2]) {
        assert.deepEqual(await s.rec.next("message_notification", { where: (n) => n.sender_email === bob.email }), {
          conversation_id: first.conversation_id, sender_email: bob.email, sender_name: bob.name,
          message: "https://example.com/cat.png",
        });
      }
      const file = await emitWithAck(a2, "send_message", { to_email: bob.email, message: "report.pdf", message_type: "file" });
      assert.equal(file.message.message_type, "file");
      assert.deepEqual(await b1.rec.next("new_message", { where: byId(file.message.id) }), file.message);
    });

    it("delivers a message sent without an ack callback just the same", async () => {
      const { alice, bob, a1, a2, b1, b2 } = await twoUsersTwoTabs();
      a2.emit("send_message", { to_email: bob.email, message: "no ack wanted", message_type: "text" });
      const m = await b1.rec.next("new_message");
      assertMessage(m, { from: alice, text: "no ack wanted" });
      for (const s of [a1, a2, b2]) assert.deepEqual(await s.rec.next("new_message", { where: byId(m.id) }), m);
      await b2.rec.next("message_notification", { where: (n) => n.message === "no ack wanted" });
    });

    it("shows socket-sent messages in REST history, in order, with the right unread counts", async () => {
      const { api } = ctx;
      const { alice, bob, a1, b1 } = await twoUsersTwoTabs();
      const sent = [];
      for (const text of ["one", "two", "three"]) {
        sent.push((await emitWithAck(a1, "send_message", { to_email: bob.email, message: text })).message);
      }
      const back = (await emitWithAck(b1, "send_message", { to_email: alice.email, message: "four", reply_to: sent[2].id })).message;
      sent.push(back);
      const conversationId = sent[0].conversation_id;
      assert.deepEqual(await api.messages(bob, conversationId), sent, "bob's history equals the acked messages");
      assert.deepEqual(await api.messages(alice, conversationId), sent, "alice's history equals the acked messages");

      const bobConv = await api.conversationWith(bob, alice);
      assert.equal(bobConv.unread_count, 3, JSON.stringify(bobConv));
      assert.equal(bobConv.last_message, "four");
      assert.equal(bobConv.last_message_sender, bob.email);
      assert.equal(bobConv.last_message_time, back.timestamp);
      assert.equal((await api.conversationWith(alice, bob)).unread_count, 1);
    });

    it("emits the same new_message and message_notification for POST /api/messages/send", async () => {
      const { api } = ctx;
      const { alice, bob, a1, a2, b1, b2 } = await twoUsersTwoTabs();
      const viaRest = await api.send(alice, bob, "sent over REST");
      assertMessage(viaRest, { from: alice, text: "sent over REST" });
      for (const s of [a1, a2, b1, b2]) {
        assert.deepEqual(await s.rec.next("new_message", { where: byId(viaRest.id) }), viaRest,
          `${s.rec.label}: the REST response and new_message are the same message`);
      }
      for (const s of [b1, b2]) {
        assert.deepEqual(await s.rec.next("message_notification", { where: (n) => n.message === "sent over REST" }), {
          conversation_id: viaRest.conversation_id, sender_email: alice.email, sender_name: alice.name, message: "sent over REST",
        });
      }
      await roundTrip(a1);
      await barrier(api, [a1, a2]);
      for (const s of [a1, a2]) s.rec.assertNone("message_notification", (n) => n.sender_email === alice.email);

      // a socket reply to a REST message, then REST history shows both
      const reply = (await emitWithAck(b2, "send_message", { to_email: alice.email, message: "socket reply", reply_to: viaRest.id })).message;
      assert.deepEqual(await a2.rec.next("new_message", { where: byId(reply.id) }), reply);
      assert.deepEqual(await api.messages(alice, viaRest.conversation_id), [viaRest, reply]);
    });

    it("emits marked_as_read to every tab of both users for POST /api/conversations/{id}/mark-read", async () => {
      const { api } = ctx;
      const { alice, bob, a1, a2, b1, b2 } = await twoUsersTwoTabs();
      const m = await api.send(alice, bob, "read me");
      assert.equal((await api.conversationWith(bob, alice)).unread_count, 1);
      const r = await api.markRead(bob, m.conversation_id);
      assert.deepEqual(r, { message: "Conversation marked as read" });
      for (const s of [a1, a2, b1, b2]) {
        const e = await s.rec.next("marked_as_read");
        assertKeys(e, ["conversation_id", "user_email"], "marked_as_read");
        assert.deepEqual(e, { conversation_id: m.conversation_id, user_email: bob.email });
      }
      assert.equal((await api.conversationWith(bob, alice)).unread_count, 0);
    });

    it("never shows a pair's messages, notifications or read receipts to a third user", async () => {
      const { api, clients } = ctx;
      const { alice, bob, a1, b1 } = await twoUsersTwoTabs();
      const carol = await api.newUser("carol");
      const c1 = await clients.connect(carol, { label: "carol#1" });
      const c2 = await clients.connect(carol, { label: "carol#2" });
      const m1 = (await emitWithAck(a1, "send_message", { to_email: bob.email, message: "private 1" })).message;
      const m2 = await api.send(bob, alice, "private 2");
      await emitWithAck(b1, "mark_as_read", { conversation_id: m1.conversation_id });
      await api.markRead(alice, m1.conversation_id);
      await a1.rec.next("new_message", { where: byId(m2.id) });
      await barrier(api, [c1, c2]);
      for (const s of [c1, c2]) {
        s.rec.assertNone("new_message", (m) => m.conversation_id === m1.conversation_id);
        s.rec.assertNone("message_notification", (n) => n.conversation_id === m1.conversation_id);
        s.rec.assertNone("marked_as_read");
      }
      // and carol's own conversations stay hers
      const mine = (await emitWithAck(c1, "send_message", { to_email: alice.email, message: "hi alice" })).message;
      assert.notEqual(mine.conversation_id, m1.conversation_id);
      await a1.rec.next("new_message", { where: byId(mine.id) });
      await barrier(api, [b1]);
      b1.rec.assertNone("new_message", byId(mine.id));
    });
  });

  describe(`failed sends over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode);

    /**
     * Sends `payload` from alice with an ack and asserts the failure: ack {ok:false, error},
     * an error event {message} with the same text on the sending socket, nothing delivered to
     * bob, nothing stored. Returns the error text.
     */
    async function assertRejected({ alice, bob, a1, b1 }, payload, expected) {
      const { api } = ctx;
      const before = await api.conversations(alice);
      const markA = a1.rec.mark();
      const markB = b1.rec.mark();
      const ack = await emitWithAck(a1, "send_message", payload);
      assertKeys(ack, ["ok", "error"], "failed send_message ack");
      assert.equal(ack.ok, false);
      if (expected instanceof RegExp) assert.match(ack.error, expected);
      else assert.equal(ack.error, expected);
      const err = await a1.rec.next("error");
      assertKeys(err, ["message"], "error event");
      assert.equal(err.message, ack.error, "the error event carries the ack's error");
      await barrier(api, [b1]);
      const why = `after ${JSON.stringify(payload).slice(0, 200)}`;
      b1.rec.assertNone("new_message", (m) => m.sender_email === alice.email, why, markB);
      b1.rec.assertNone("message_notification", (n) => n.sender_email === alice.email, why, markB);
      a1.rec.assertNone("new_message", (m) => m.sender_email === alice.email, why, markA);
      assert.deepEqual(await api.conversations(alice), before, "nothing stored");
      return ack.error;
    }

    async function pair() {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const bob = await api.newUser("bob");
      return { alice, bob, a1: await clients.connect(alice), b1: await clients.connect(bob) };
    }

    it("rejects a message to an unknown recipient with 'Recipient not found'", async () => {
      const p = await pair();
      await assertRejected(p, { to_email: "nobody-here@example.com", message: "hello?" }, "Recipient not found");
      assert.deepEqual(await ctx.api.conversations(p.alice), []);
    });

    it("rejects an empty or blank message", async () => {
      const p = await pair();
      await assertRejected(p, { to_email: p.bob.email, message: "" }, "message must not be empty");
      await assertRejected(p, { to_email: p.bob.email, message: "   \n\t " }, "message must not be empty");
    });

    it("rejects a message longer than the limit and accepts one at the limit", async () => {
      const p = await pair();
      await assertRejected(p, { to_email: p.bob.email, message: "x".repeat(4097) }, "message: ensure this value has at most 4096 characters");
      const ok = await emitWithAck(p.a1, "send_message", { to_email: p.bob.email, message: "é".repeat(4096) });
      assert.equal(ok.ok, true, "4096 characters (8192 UTF-8 bytes) are allowed");
      assert.equal((await p.b1.rec.next("new_message")).message, "é".repeat(4096));
    });

    it("rejects an unknown message_type", async () => {
      const p = await pair();
      await assertRejected(p, { to_email: p.bob.email, message: "hi", message_type: "video" },
        "message_type must be one of: text, image, file");
    });

    it("rejects a reply_to that is not a message of the same conversation", async () => {
      const { api } = ctx;
      const p = await pair();
      const expected = "reply_to must reference a message of the same conversation";
      await assertRejected(p, { to_email: p.bob.email, message: "hi", reply_to: "not-an-id" }, expected);
      // a well-formed id of no message, on a brand-new conversation: the conversation is not created either
      await assertRejected(p, { to_email: p.bob.email, message: "hi", reply_to: "0123456789abcdef01234567" }, expected);
      assert.equal(await api.conversationWith(p.bob, p.alice), undefined, "no conversation was created for bob");
      // a message of another conversation
      const carol = await api.newUser("carol");
      const elsewhere = await api.send(p.alice, carol, "in another conversation");
      const start = await api.send(p.alice, p.bob, "start the conversation");
      for (const s of [p.a1, p.b1]) await s.rec.next("new_message", { where: byId(start.id) });
      await assertRejected(p, { to_email: p.bob.email, message: "hi", reply_to: elsewhere.id }, expected);
    });

    it("rejects a message to yourself, a missing recipient and an invalid email", async () => {
      const p = await pair();
      await assertRejected(p, { to_email: p.alice.email, message: "me" }, /yourself/);
      await assertRejected(p, { message: "to nobody" }, "to_email is required");
      await assertRejected(p, { to_email: "not-an-email", message: "hi" }, "to_email: value is not a valid email address");
    });

    it("rejects a send without a message, naming the missing field", async () => {
      const p = await pair();
      const error = await assertRejected(p, { to_email: p.bob.email }, /.+/);
      assert.match(error, /\bmessage\b/, `the error should say that "message" is missing, got ${JSON.stringify(error)}`);
    });

    it("keeps the connection usable after a failed send", async () => {
      const p = await pair();
      await assertRejected(p, { to_email: "nobody-here@example.com", message: "x" }, "Recipient not found");
      const ok = await emitWithAck(p.a1, "send_message", { to_email: p.bob.email, message: "still here" });
      assert.equal(ok.ok, true);
      assert.deepEqual(await p.b1.rec.next("new_message"), ok.message);
      assert.equal(p.a1.connected, true);
    });
  });
}
