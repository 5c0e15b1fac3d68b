// Rooms (join + broadcast) and server -> client acknowledgements, in all three transport modes.
//
// Fixture events used (see the comment at the top of examples/conformance_server.cpp): `join`,
// `leave`, `rooms` (ack with the socket's rooms, its id first), `to-room`, `to-room-except-me`,
// `to-room-except`, `broadcast` -> `broadcast-message`, `ask` -> `question`(...args, ack) whose ack
// arguments come back as `answer`(...) or, after 5 s without an ack, as `answer-timeout`.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  MODES,
  asBuffer,
  connectWithAuth,
  isBinary,
  nextEvent,
  roundTrip,
  useFixture,
} from "./support/fixture.mjs";

const ctx = useFixture();

/**
 * Joins `room` and waits until the server has handled the join. Deliberately without the join
 * ack: a later event's echo proves the server handles one client's events in order.
 */
async function join(socket, room) {
  socket.emit("join", room);
  await roundTrip(socket, "joined", room);
}

/** Records every room-message a socket receives. */
function record(socket) {
  const seen = [];
  socket.on("room-message", (...args) => seen.push(args));
  return seen;
}

/**
 * Waits until a non-member would have received a broadcast sent before now: one round trip on its
 * own connection (the server handles its events in order) plus one more for the broadcast's sender.
 */
async function settle(...sockets) {
  for (const s of sockets) await roundTrip(s, "settle");
}

/**
 * Resolves with the argument lists of the next `n` `event`s on `socket`; rejects on timeout or if
 * the socket disconnects first (e.g. a ping timeout on an overloaded machine), saying why.
 */
function collect(socket, event, n, timeout = 5000) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const done = (fn, value) => {
      clearTimeout(timer);
      socket.off(event, on);
      socket.off("disconnect", onDisconnect);
      fn(value);
    };
    const timer = setTimeout(() => done(reject, new Error(`only ${seen.length}/${n} "${event}" events arrived`)), timeout);
    const on = (...args) => {
      seen.push(args);
      if (seen.length === n) done(resolve, seen);
    };
    const onDisconnect = (reason) =>
      done(reject, new Error(`disconnected (${reason}) after ${seen.length}/${n} "${event}" events`));
    socket.on(event, on);
    socket.on("disconnect", onDisconnect);
  });
}

let roomSeq = 0;
const uniqueRoom = (name) => `${name}-${process.pid}-${++roomSeq}`;

for (const mode of MODES) {
  describe(`rooms and server acks (${mode.name})`, { timeout: 60_000 }, () => {
    let clients;
    before(() => {
      clients = ctx.clients;
    });

    test("a room broadcast reaches the room's member and not the other clients", async () => {
      const room = uniqueRoom("lobby");
      const [member] = await connectWithAuth(clients, mode);
      const [bystander] = await connectWithAuth(clients, mode);
      const [sender] = await connectWithAuth(clients, mode);
      const bystanderSeen = record(bystander);
      const senderSeen = record(sender);
      await join(member, room);

      const got = nextEvent(member, "room-message");
      sender.emit("to-room", room, "hi room", { n: 1, text: "ünïcødé 🎉" });
      assert.deepEqual(await got, ["hi room", { n: 1, text: "ünïcødé 🎉" }]);

      await settle(bystander, sender);
      assert.deepEqual(bystanderSeen, [], "a client that never joined received the room broadcast");
      assert.deepEqual(senderSeen, [], "the sender is not a member but received the room broadcast");
    });

    test("every member of a room receives its broadcast and members of another room do not", async () => {
      const red = uniqueRoom("red");
      const blue = uniqueRoom("blue");
      const [redA] = await connectWithAuth(clients, mode);
      const [redB] = await connectWithAuth(clients, mode);
      const [blueC] = await connectWithAuth(clients, mode);
      const [sender] = await connectWithAuth(clients, mode);
      const blueSeen = record(blueC);
      await join(redA, red);
      await join(redB, red);
      await join(blueC, blue);

      const gotA = nextEvent(redA, "room-message");
      const gotB = nextEvent(redB, "room-message");
      sender.emit("to-room", red, "for red");
      assert.deepEqual(await gotA, ["for red"]);
      assert.deepEqual(await gotB, ["for red"]);
      await settle(blueC, sender);
      assert.deepEqual(blueSeen, [], "a member of another room received the broadcast");

      const gotC = nextEvent(blueC, "room-message");
      sender.emit("to-room", blue, "for blue");
      assert.deepEqual(await gotC, ["for blue"]);
    });

    test("a room broadcast can carry binary arguments", async () => {
      const room = uniqueRoom("bin");
      const [member] = await connectWithAuth(clients, mode);
      const [sender] = await connectWithAuth(clients, mode);
      await join(member, room);
      const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]);
      const got = nextEvent(member, "room-message");
      sender.emit("to-room", room, bytes, { inner: bytes, label: "b" });
      const args = await got;
      assert.equal(args.length, 2);
      assert.ok(isBinary(args[0]), `expected binary, got ${JSON.stringify(args[0])}`);
      assert.deepEqual(asBuffer(args[0]), bytes);
      assert.deepEqual(asBuffer(args[1].inner), bytes);
      assert.equal(args[1].label, "b");
    });

    test("ten members of a room each receive all of ten broadcasts, in order", async () => {
      const room = uniqueRoom("crowd");
      const members = [];
      for (let i = 0; i < 10; i++) members.push((await connectWithAuth(clients, mode))[0]);
      const [sender] = await connectWithAuth(clients, mode);
      await Promise.all(members.map((m) => m.timeout(5000).emitWithAck("join", room)));
      const inboxes = members.map((m) => collect(m, "room-message", 10, 10_000));
      for (let n = 0; n < 10; n++) sender.emit("to-room", room, n, { from: "sender" });
      const got = await Promise.all(inboxes);
      for (const inbox of got) assert.deepEqual(inbox.map((args) => args[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    test("a broadcast to a room one of whose members has disconnected still reaches the others", async () => {
      const room = uniqueRoom("gone");
      const [leaver] = await connectWithAuth(clients, mode);
      const [stayer] = await connectWithAuth(clients, mode);
      const [sender] = await connectWithAuth(clients, mode);
      await join(leaver, room);
      await join(stayer, room);
      leaver.disconnect();
      const got = nextEvent(stayer, "room-message");
      sender.emit("to-room", room, "still here?");
      assert.deepEqual(await got, ["still here?"]);
      assert.deepEqual(await roundTrip(sender, "server alive"), ["server alive"]);
    });

    test("join and leave acknowledge with the socket's rooms, its own id first", async () => {
      const room = uniqueRoom("acks");
      const [socket] = await connectWithAuth(clients, mode);
      assert.deepEqual(await socket.timeout(5000).emitWithAck("rooms"), [socket.id]);
      assert.deepEqual(await socket.timeout(5000).emitWithAck("join", room), [socket.id, room]);
      assert.deepEqual(await socket.timeout(5000).emitWithAck("join", room), [socket.id, room], "joining twice is idempotent");
      assert.deepEqual(await socket.timeout(5000).emitWithAck("rooms"), [socket.id, room]);
      assert.deepEqual(await socket.timeout(5000).emitWithAck("leave", room), [socket.id]);
    });

    test("a client that left a room no longer receives its broadcasts", async () => {
      const room = uniqueRoom("left");
      const [leaver] = await connectWithAuth(clients, mode);
      const [stayer] = await connectWithAuth(clients, mode);
      const [sender] = await connectWithAuth(clients, mode);
      await leaver.timeout(5000).emitWithAck("join", room);
      await stayer.timeout(5000).emitWithAck("join", room);
      await leaver.timeout(5000).emitWithAck("leave", room);
      const leaverSeen = record(leaver);
      const got = nextEvent(stayer, "room-message");
      sender.emit("to-room", room, "after leave");
      assert.deepEqual(await got, ["after leave"]);
      await settle(leaver, sender);
      assert.deepEqual(leaverSeen, []);
    });

    test("a socket's own id is a room that reaches only that socket", async () => {
      const [target] = await connectWithAuth(clients, mode);
      const [other] = await connectWithAuth(clients, mode);
      const [sender] = await connectWithAuth(clients, mode);
      const otherSeen = record(other);
      const got = nextEvent(target, "room-message");
      sender.emit("to-room", target.id, "direct");
      assert.deepEqual(await got, ["direct"]);
      await settle(other, sender);
      assert.deepEqual(otherSeen, []);
    });

    test("to-room includes a sender that is a member; to-room-except-me leaves the sender out", async () => {
      const room = uniqueRoom("self");
      const [sender] = await connectWithAuth(clients, mode);
      const [peer] = await connectWithAuth(clients, mode);
      await sender.timeout(5000).emitWithAck("join", room);
      await peer.timeout(5000).emitWithAck("join", room);

      const own = nextEvent(sender, "room-message");
      const peers = nextEvent(peer, "room-message");
      await sender.timeout(5000).emitWithAck("to-room", room, "everyone");
      assert.deepEqual(await own, ["everyone"]);
      assert.deepEqual(await peers, ["everyone"]);

      const senderSeen = record(sender);
      const peerOnly = nextEvent(peer, "room-message");
      await sender.timeout(5000).emitWithAck("to-room-except-me", room, "not me");
      assert.deepEqual(await peerOnly, ["not me"]);
      await settle(sender);
      assert.deepEqual(senderSeen, [], "to-room-except-me reached the sender");
    });

    test("to-room-except reaches the room's members except those also in the excluded room", async () => {
      const room = uniqueRoom("all");
      const muted = uniqueRoom("muted");
      const [plain] = await connectWithAuth(clients, mode);
      const [excluded] = await connectWithAuth(clients, mode);
      const [sender] = await connectWithAuth(clients, mode);
      await plain.timeout(5000).emitWithAck("join", room);
      await excluded.timeout(5000).emitWithAck("join", room);
      await excluded.timeout(5000).emitWithAck("join", muted);
      const excludedSeen = record(excluded);
      const got = nextEvent(plain, "room-message");
      await sender.timeout(5000).emitWithAck("to-room-except", room, muted, "filtered", { k: 1 });
      assert.deepEqual(await got, ["filtered", { k: 1 }]);
      await settle(excluded, sender);
      assert.deepEqual(excludedSeen, []);
    });

    test("broadcast reaches every other socket of / but not the sender nor /custom sockets", async () => {
      const [sender] = await connectWithAuth(clients, mode);
      const [a] = await connectWithAuth(clients, mode);
      const [b] = await connectWithAuth(clients, mode);
      const [custom] = await connectWithAuth(clients, mode, { nsp: "/custom" });
      const senderSeen = [];
      sender.on("broadcast-message", (...x) => senderSeen.push(x));
      const customSeen = [];
      custom.on("broadcast-message", (...x) => customSeen.push(x));
      const gotA = nextEvent(a, "broadcast-message");
      const gotB = nextEvent(b, "broadcast-message");
      await sender.timeout(5000).emitWithAck("broadcast", "to all", Buffer.from([5]));
      for (const got of [await gotA, await gotB]) {
        assert.equal(got[0], "to all");
        assert.deepEqual(asBuffer(got[1]), Buffer.from([5]));
      }
      await settle(sender, custom);
      assert.deepEqual(senderSeen, [], "broadcast reached its sender");
      assert.deepEqual(customSeen, [], "broadcast on / reached a /custom socket");
    });

    test("the server can emit with an ack and receives the client's ack arguments", async () => {
      const [socket] = await connectWithAuth(clients, mode);
      const question = nextEvent(socket, "question");
      const answer = nextEvent(socket, "answer", { failOn: ["disconnect"] });
      socket.emit("ask", "what is 6*7?", { hint: "número" });
      const args = await question;
      const ack = args.pop();
      assert.equal(typeof ack, "function", "the server's question must request an ack");
      assert.deepEqual(args, ["what is 6*7?", { hint: "número" }]);
      ack(42, { because: "🎉 maths" }, [1, 2]);
      assert.deepEqual(await answer, [42, { because: "🎉 maths" }, [1, 2]]);
    });

    test("the client's ack to a server emit can carry binary arguments", async () => {
      const [socket] = await connectWithAuth(clients, mode);
      const question = nextEvent(socket, "question");
      const answer = nextEvent(socket, "answer", { failOn: ["disconnect"] });
      socket.emit("ask", "send bytes");
      const args = await question;
      const ack = args.pop();
      assert.equal(typeof ack, "function", "the server's question must request an ack");
      const bytes = Buffer.from([1, 2, 3, 0, 255]);
      ack(bytes, { nested: bytes });
      const back = await answer;
      assert.ok(isBinary(back[0]), `expected binary, got ${JSON.stringify(back[0])}`);
      assert.deepEqual(asBuffer(back[0]), bytes);
      assert.deepEqual(asBuffer(back[1].nested), bytes);
    });

    test("a question the client never acknowledges times out on the server after 5 s", { timeout: 12_000 }, async () => {
      const [socket] = await connectWithAuth(clients, mode);
      const answers = [];
      socket.on("answer", (...a) => answers.push(a));
      const question = nextEvent(socket, "question");
      const timedOut = nextEvent(socket, "answer-timeout", { timeout: 9000, failOn: ["disconnect"] });
      const askedAt = Date.now();
      socket.emit("ask", "ignored");
      const args = await question;
      assert.equal(typeof args.at(-1), "function", "the server's question must request an ack");
      await timedOut; // the ack function is deliberately never called
      const elapsed = Date.now() - askedAt;
      assert.ok(elapsed >= 4500, `answer-timeout after ${elapsed} ms, expected about 5000`);
      assert.deepEqual(answers, []);
      assert.deepEqual(await roundTrip(socket, "still connected"), ["still connected"]);
    });

    test("a client that disconnects instead of answering a question leaves the server unharmed when the ack times out", { timeout: 20_000 }, async () => {
      const [quitter] = await connectWithAuth(clients, mode);
      const [observer] = await connectWithAuth(clients, mode);
      const question = nextEvent(quitter, "question");
      quitter.emit("ask", "never answered");
      await question;
      const gone = nextEvent(quitter, "disconnect");
      quitter.disconnect();
      await gone;
      // the server's 5 s ack timer for the quitter fires in the meantime; it must not crash
      const timedOutElsewhere = nextEvent(observer, "answer-timeout", { timeout: 9000 });
      observer.emit("ask", "also never answered"); // a second timer, on a live socket, ends later
      await timedOutElsewhere;
      assert.deepEqual(await roundTrip(observer, "still serving"), ["still serving"]);
    });

    test("each of several outstanding server acks is routed to its own question", async () => {
      const [socket] = await connectWithAuth(clients, mode);
      const questions = collect(socket, "question", 5);
      for (let i = 0; i < 5; i++) socket.emit("ask", i);
      const pending = await questions;
      assert.deepEqual(pending.map((q) => q[0]), [0, 1, 2, 3, 4]);
      // answer in reverse order; each answer must carry the number of its own question
      const answers = collect(socket, "answer", 5);
      for (const [i, ack] of [...pending].reverse()) ack(`answer to ${i}`);
      assert.deepEqual(await answers, [4, 3, 2, 1, 0].map((i) => [`answer to ${i}`]));
    });
  });
}
