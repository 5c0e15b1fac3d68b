// Malformed event payloads: each gets an error event {message} naming the problem, and the
// connection stays up (proved by a successful round trip and a delivered message afterwards).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MODES, assertKeys, emitWithAck, roundTrip, useServer } from "./support.mjs";

const CONVERSATION_EVENTS = ["join_conversation", "leave_conversation", "typing_start", "typing_stop", "mark_as_read"];

/** [description, args, expected error text] for an event taking {conversation_id}. */
function conversationCases(event) {
  const notObject = `Invalid payload for ${event}: expected an object`;
  return [
    ["no arguments", [], notObject],
    ["a string instead of an object", ["0123456789abcdef01234567"], notObject],
    ["a number instead of an object", [42], notObject],
    ["null", [null], notObject],
    ["an array", [[{ conversation_id: "0123456789abcdef01234567" }]], notObject],
    ["an object without conversation_id", [{}], "conversation_id is required"],
    ["an empty conversation_id", [{ conversation_id: "" }], "conversation_id is required"],
    ["a null conversation_id", [{ conversation_id: null }], "conversation_id is required"],
    ["a number as conversation_id", [{ conversation_id: 123 }], "conversation_id must be a string"],
    ["an object as conversation_id", [{ conversation_id: { $ne: null } }], "conversation_id must be a string"],
  ];
}

function sendMessageCases(bob) {
  const notObject = "Invalid payload for send_message: expected an object";
  return [
    ["no arguments", [], notObject],
    ["a string instead of an object", ["hello"], notObject],
    ["null", [null], notObject],
    ["an array", [[{ to_email: bob.email, message: "hi" }]], notObject],
    ["a number as to_email", [{ to_email: 42, message: "hi" }], "to_email must be a string"],
    ["a number as message", [{ to_email: bob.email, message: 42 }], "message must be a string"],
    ["an object as message", [{ to_email: bob.email, message: { text: "hi" } }], "message must be a string"],
    ["a number as message_type", [{ to_email: bob.email, message: "hi", message_type: 1 }], "message_type must be a string"],
    ["a number as reply_to", [{ to_email: bob.email, message: "hi", reply_to: 7 }], "reply_to must be a string"],
    ["no to_email", [{ message: "hi" }], "to_email is required"],
  ];
}

for (const mode of MODES) {
  describe(`malformed payloads over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode);

    async function pair() {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const bob = await api.newUser("bob");
      return { alice, bob, a1: await clients.connect(alice), b1: await clients.connect(bob) };
    }

    /** The connection still works: a round trip, and a message alice→bob is delivered. */
    async function assertStillUsable({ bob, a1, b1 }, after) {
      assert.equal(a1.connected, true, `disconnected after ${after}`);
      await roundTrip(a1);
      const ok = await emitWithAck(a1, "send_message", { to_email: bob.email, message: `after ${after}` });
      assert.equal(ok.ok, true, `send after ${after}: ${JSON.stringify(ok)}`);
      await b1.rec.next("new_message", { where: (m) => m.id === ok.message.id });
      a1.rec.assertNone("disconnect");
    }

    for (const event of CONVERSATION_EVENTS) {
      it(`answers every malformed ${event} with an error naming the problem and stays connected`, async () => {
        const p = await pair();
        for (const [what, args, expected] of conversationCases(event)) {
          p.a1.emit(event, ...args);
          const err = await p.a1.rec.next("error");
          assertKeys(err, ["message"], `error for ${event} with ${what}`);
          assert.equal(err.message, expected, `${event} with ${what}`);
          await assertStillUsable(p, `${event} with ${what}`);
        }
        // nor did any of them have the effect of a valid call
        const [watcher, effect] = {
          join_conversation: [p.a1, "joined_conversation"],
          leave_conversation: [p.a1, "left_conversation"],
          typing_start: [p.b1, "user_typing"],
          typing_stop: [p.b1, "user_typing"],
          mark_as_read: [p.b1, "marked_as_read"],
        }[event];
        watcher.rec.assertNone(effect);
      });
    }

    it("answers every malformed send_message with an error event and a failed ack, and stays connected", async () => {
      const p = await pair();
      for (const [what, args, expected] of sendMessageCases(p.bob)) {
        p.a1.emit("send_message", ...args);
        const err = await p.a1.rec.next("error");
        assert.equal(err.message, expected, `send_message with ${what}`);
        if (args.length > 0) {
          const ack = await emitWithAck(p.a1, "send_message", ...args);
          assert.deepEqual(ack, { ok: false, error: expected }, `ack of send_message with ${what}`);
          assert.equal((await p.a1.rec.next("error")).message, expected);
        }
        await assertStillUsable(p, `send_message with ${what}`);
      }
      assert.deepEqual((await ctx.api.messages(p.alice, (await ctx.api.conversationWith(p.alice, p.bob)).conversation_id))
        .map((m) => m.message).filter((t) => !t.startsWith("after ")), [], "no malformed message was stored");
    });

    it("ignores extra arguments and unknown fields", async () => {
      const p = await pair();
      const ack = await emitWithAck(p.a1, "send_message", { to_email: p.bob.email, message: "extra", colour: "red" });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      assert.equal((await p.b1.rec.next("new_message")).message, "extra");
      p.a1.emit("join_conversation", { conversation_id: ack.message.conversation_id, extra: true }, "second arg");
      assert.deepEqual(await p.a1.rec.next("joined_conversation"), { conversation_id: ack.message.conversation_id });
      p.a1.rec.assertNone("error");
    });
  });
}
