// Conversation-scoped events: join_conversation / leave_conversation, typing_start / typing_stop,
// mark_as_read — for participants (two tabs each), non-participants and unknown conversations.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MODES,
  assertKeys,
  barrier,
  emitWithAck,
  roundTrip,
  useServer,
} from "./support.mjs";

const UNKNOWN_ID = "0123456789abcdef01234567"; // well-formed, names no conversation

for (const mode of MODES) {
  describe(`conversation events over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode);

    /** alice and bob (two tabs each) with a conversation; carol (two tabs) is in none of it. */
    async function setup() {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const bob = await api.newUser("bob");
      const carol = await api.newUser("carol");
      const { conversation_id: cid } = await api.start(alice, bob);
      return {
        alice, bob, carol, cid,
        a1: await clients.connect(alice, { label: "alice#1" }),
        a2: await clients.connect(alice, { label: "alice#2" }),
        b1: await clients.connect(bob, { label: "bob#1" }),
        b2: await clients.connect(bob, { label: "bob#2" }),
        c1: await clients.connect(carol, { label: "carol#1" }),
        c2: await clients.connect(carol, { label: "carol#2" }),
      };
    }

    /** Emits `event` {conversation_id} and expects error {message: expected} on the same socket. */
    async function expectError(socket, event, payload, expected) {
      socket.emit(event, payload);
      const err = await socket.rec.next("error");
      assertKeys(err, ["message"], `error after ${event}`);
      assert.equal(err.message, expected, `${event} ${JSON.stringify(payload)}`);
    }

    it("confirms join_conversation and leave_conversation to a participant's socket", async () => {
      const { cid, a1, a2, b1, b2 } = await setup();
      a1.emit("join_conversation", { conversation_id: cid });
      const joined = await a1.rec.next("joined_conversation");
      assertKeys(joined, ["conversation_id"], "joined_conversation");
      assert.equal(joined.conversation_id, cid);
      a1.emit("leave_conversation", { conversation_id: cid });
      assert.deepEqual(await a1.rec.next("left_conversation"), { conversation_id: cid });
      // joining twice and leaving a conversation not joined are both confirmed
      const marks = [a1.rec.mark(), a2.rec.mark(), b2.rec.mark()];
      b1.emit("join_conversation", { conversation_id: cid });
      b1.emit("join_conversation", { conversation_id: cid });
      assert.deepEqual(await b1.rec.next("joined_conversation"), { conversation_id: cid });
      assert.deepEqual(await b1.rec.next("joined_conversation"), { conversation_id: cid });
      a2.emit("leave_conversation", { conversation_id: cid });
      assert.deepEqual(await a2.rec.next("left_conversation"), { conversation_id: cid });
      // a confirmation goes to the asking socket only
      await barrier(ctx.api, [a1, a2, b2]);
      [a1, a2, b2].forEach((s, i) => s.rec.assertNone("joined_conversation", () => true, "(bob#1 joined)", marks[i]));
      a1.rec.assertNone("left_conversation", () => true, "(alice#2 left)", marks[0]);
      for (const s of [a1, a2, b1]) s.rec.assertNone("error");
    });

    it("keeps delivering messages to a participant whether or not they joined or left the room", async () => {
      const { api } = ctx;
      const { alice, bob, cid, a1, b1, b2 } = await setup();
      b1.emit("join_conversation", { conversation_id: cid });
      await b1.rec.next("joined_conversation");
      b1.emit("leave_conversation", { conversation_id: cid });
      await b1.rec.next("left_conversation");
      const m = (await emitWithAck(a1, "send_message", { to_email: bob.email, message: "after leave" })).message;
      assert.equal(m.conversation_id, cid);
      for (const s of [b1, b2]) assert.deepEqual(await s.rec.next("new_message", { where: (x) => x.id === m.id }), m);
      assert.equal((await api.messages(alice, cid)).length, 1);
    });

    it("refuses join and leave to a non-participant with 'Access denied'", async () => {
      const { cid, c1, a1, b1 } = await setup();
      await expectError(c1, "join_conversation", { conversation_id: cid }, "Access denied");
      await expectError(c1, "leave_conversation", { conversation_id: cid }, "Access denied");
      c1.rec.assertNone("joined_conversation");
      c1.rec.assertNone("left_conversation");
      await barrier(ctx.api, [a1, b1]);
      for (const s of [a1, b1]) s.rec.assertNone("joined_conversation");
    });

    it("answers 'Conversation not found' for an unknown or malformed conversation id", async () => {
      const { a1 } = await setup();
      for (const event of ["join_conversation", "leave_conversation", "typing_start", "typing_stop", "mark_as_read"]) {
        await expectError(a1, event, { conversation_id: UNKNOWN_ID }, "Conversation not found");
        await expectError(a1, event, { conversation_id: "not-an-object-id" }, "Conversation not found");
      }
      await roundTrip(a1);
    });

    it("sends typing_start and typing_stop to every tab of the other participant, never back to the typist", async () => {
      const { alice, bob, cid, a1, a2, b1, b2, c1, c2 } = await setup();
      a1.emit("typing_start", { conversation_id: cid });
      for (const s of [b1, b2]) {
        const t = await s.rec.next("user_typing");
        assertKeys(t, ["conversation_id", "user_email", "typing"], "user_typing");
        assert.deepEqual(t, { conversation_id: cid, user_email: alice.email, typing: true });
      }
      a1.emit("typing_stop", { conversation_id: cid });
      for (const s of [b1, b2]) {
        assert.deepEqual(await s.rec.next("user_typing"), { conversation_id: cid, user_email: alice.email, typing: false });
      }
      // bob types back from his second tab
      b2.emit("typing_start", { conversation_id: cid });
      for (const s of [a1, a2]) {
        assert.deepEqual(await s.rec.next("user_typing"), { conversation_id: cid, user_email: bob.email, typing: true });
      }
      await roundTrip(a1);
      await roundTrip(b2);
      await barrier(ctx.api, [a1, a2, b1, b2, c1, c2]);
      for (const s of [a1, a2]) s.rec.assertNone("user_typing", (t) => t.user_email === alice.email, "(own typing)");
      for (const s of [b1, b2]) s.rec.assertNone("user_typing", (t) => t.user_email === bob.email, "(own typing)");
      for (const s of [c1, c2]) s.rec.assertNone("user_typing", () => true, "(not a participant)");
      assert.equal(b1.rec.all("user_typing").length, 2, "one user_typing per emitted event");
    });

    it("refuses typing from a non-participant and tells nobody", async () => {
      const { cid, a1, a2, b1, b2, c1 } = await setup();
      await expectError(c1, "typing_start", { conversation_id: cid }, "Access denied");
      await expectError(c1, "typing_stop", { conversation_id: cid }, "Access denied");
      await barrier(ctx.api, [a1, a2, b1, b2]);
      for (const s of [a1, a2, b1, b2]) s.rec.assertNone("user_typing");
    });

    it("resets the unread count on mark_as_read and tells every tab of both participants", async () => {
      const { api } = ctx;
      const { alice, bob, cid, a1, a2, b1, b2, c1 } = await setup();
      await api.send(alice, bob, "one");
      await emitWithAck(a2, "send_message", { to_email: bob.email, message: "two" });
      assert.equal((await api.conversationWith(bob, alice)).unread_count, 2);

      const ack = await emitWithAck(b2, "mark_as_read", { conversation_id: cid });
      assert.deepEqual(ack, { ok: true });
      for (const s of [a1, a2, b1, b2]) {
        const e = await s.rec.next("marked_as_read");
        assertKeys(e, ["conversation_id", "user_email"], "marked_as_read");
        assert.deepEqual(e, { conversation_id: cid, user_email: bob.email });
      }
      assert.equal((await api.conversationWith(bob, alice)).unread_count, 0);

      // without an ack callback, as documented
      await api.send(alice, bob, "three");
      assert.equal((await api.conversationWith(bob, alice)).unread_count, 1);
      b1.emit("mark_as_read", { conversation_id: cid });
      for (const s of [a1, b1]) assert.deepEqual(await s.rec.next("marked_as_read"), { conversation_id: cid, user_email: bob.email });
      assert.equal((await api.conversationWith(bob, alice)).unread_count, 0);
      await barrier(api, [c1]);
      c1.rec.assertNone("marked_as_read");
    });

    it("refuses mark_as_read from a non-participant and changes nothing", async () => {
      const { api } = ctx;
      const { alice, bob, cid, a1, a2, b1, b2, c1 } = await setup();
      await api.send(alice, bob, "unread");
      const ack = await emitWithAck(c1, "mark_as_read", { conversation_id: cid });
      assert.deepEqual(ack, { ok: false, error: "Access denied" });
      assert.deepEqual(await c1.rec.next("error"), { message: "Access denied" });
      await barrier(api, [a1, a2, b1, b2]);
      for (const s of [a1, a2, b1, b2]) s.rec.assertNone("marked_as_read");
      assert.equal((await api.conversationWith(bob, alice)).unread_count, 1);
    });
  });
}
