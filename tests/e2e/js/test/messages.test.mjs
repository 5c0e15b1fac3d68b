// Events and acknowledgements, client -> server -> client: JSON (nested, unicode, awkward strings),
// binary attachments both ways, ordering and size — in all three transport modes.

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

const NESTED = {
  str: "hello",
  int: 42,
  neg: -7,
  float: 3.25,
  big: 9007199254740991,
  t: true,
  f: false,
  nil: null,
  empty: {},
  list: [1, "two", [3, [4, { five: 5 }]], null],
  deep: { a: { b: { c: { d: ["e"] } } } },
};

const UNICODE = [
  "héllo wörld",
  "日本語のテキスト",
  "emoji 🎉🚀 and a surrogate pair 𝄞",
  "مرحبا",
  "quotes \" and backslash \\ and slash /",
  "control chars \n\t\r\b\f and \u0000 nul",
  "record separator \u001e inside a string", // the EIO v4 polling payload separator
  "U+2028 \u2028 U+2029 \u2029",
];

/** Asserts `value` is real binary (not JSON like {type:"Buffer",data:[...]}) equal to `expected`. */
function assertBytes(value, expected, what) {
  assert.ok(isBinary(value), `${what}: expected binary data, got ${JSON.stringify(value)}`);
  assert.deepEqual(asBuffer(value), expected, `${what}: bytes differ`);
}

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

for (const mode of MODES) {
  describe(`events and acks (${mode.name})`, { timeout: 20_000 }, () => {
    let socket;
    let clients;
    before(() => {
      clients = ctx.clients;
    });

    const connect = async () => {
      [socket] = await connectWithAuth(clients, mode);
      return socket;
    };

    test("an event without ack comes back as message-back with identical nested JSON arguments", async () => {
      await connect();
      const args = ["first", 2, NESTED, [NESTED, NESTED.list], null, true];
      assert.deepEqual(await roundTrip(socket, ...args), args);
    });

    test("an event with no arguments comes back with no arguments", async () => {
      await connect();
      assert.deepEqual(await roundTrip(socket), []);
    });

    test("unicode and escape-worthy strings survive the round trip unchanged", async () => {
      await connect();
      assert.deepEqual(await roundTrip(socket, ...UNICODE), UNICODE);
      assert.deepEqual(await roundTrip(socket, { keys: Object.fromEntries(UNICODE.map((s, i) => [s, i])) }), [
        { keys: Object.fromEntries(UNICODE.map((s, i) => [s, i])) },
      ]);
    });

    test("an event with an ack is acknowledged with identical arguments", async () => {
      await connect();
      const args = ["ack me", NESTED, UNICODE[2], 0];
      const reply = await socket.timeout(5000).emitWithAck("message-with-ack", ...args);
      // emitWithAck resolves with the first ack argument only; check all of them with a callback.
      assert.deepEqual(reply, args[0]);
      const all = await new Promise((resolve, reject) =>
        socket.timeout(5000).emit("message-with-ack", ...args, (err, ...ackArgs) => (err ? reject(err) : resolve(ackArgs))),
      );
      assert.deepEqual(all, args);
    });

    test("concurrent acks are matched to the emits that asked for them", async () => {
      await connect();
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) => socket.timeout(5000).emitWithAck("message-with-ack", { i })),
      );
      assert.deepEqual(replies, Array.from({ length: 20 }, (_, i) => ({ i })));
    });

    test("binary arguments come back as identical binary, mixed with JSON", async () => {
      await connect();
      const small = Buffer.from([0, 1, 2, 254, 255]);
      const back = await roundTrip(socket, "before", small, { nested: ALL_BYTES, list: [1, small] }, "after");
      assert.equal(back.length, 4);
      assert.equal(back[0], "before");
      assertBytes(back[1], small, "top-level buffer");
      assertBytes(back[2].nested, ALL_BYTES, "buffer nested in an object");
      assert.equal(back[2].list[0], 1);
      assertBytes(back[2].list[1], small, "buffer nested in an array");
      assert.equal(back[3], "after");
    });

    test("an empty buffer comes back as an empty buffer", async () => {
      await connect();
      const back = await roundTrip(socket, Buffer.alloc(0));
      assertBytes(back[0], Buffer.alloc(0), "empty buffer");
    });

    test("an ack can carry binary arguments back", async () => {
      await connect();
      const payload = Buffer.from("binary ack \u00ff\u0000", "latin1");
      const ackArgs = await new Promise((resolve, reject) =>
        socket.timeout(5000).emit("message-with-ack", payload, { b: ALL_BYTES, s: "x" }, (err, ...a) =>
          err ? reject(err) : resolve(a),
        ),
      );
      assert.equal(ackArgs.length, 2);
      assertBytes(ackArgs[0], payload, "ack buffer");
      assertBytes(ackArgs[1].b, ALL_BYTES, "ack nested buffer");
      assert.equal(ackArgs[1].s, "x");
    });

    test("the server can emit binary of its own, top-level and nested", async () => {
      await connect();
      const got = nextEvent(socket, "binary");
      socket.emit("binary");
      const args = await got;
      assert.equal(args.length, 2);
      assertBytes(args[0], Buffer.from([1, 2, 3]), "top-level server buffer");
      assertBytes(args[1].nested, Buffer.from([4, 5, 6]), "nested server buffer");
    });

    test("the /custom namespace echoes message as message-back, binary included", async () => {
      [socket] = await connectWithAuth(clients, mode, { nsp: "/custom" });
      const back = await roundTrip(socket, "custom", { n: 1 }, Buffer.from([9, 8]));
      assert.equal(back[0], "custom");
      assert.deepEqual(back[1], { n: 1 });
      assertBytes(back[2], Buffer.from([9, 8]), "buffer on /custom");
    });

    test("a burst of events is echoed completely and in order", async () => {
      await connect();
      const received = [];
      const done = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length}/100 echoes arrived`)), 10_000);
        socket.on("message-back", (n, text, bin) => {
          received.push([n, text, bin && asBuffer(bin)[0]]);
          if (received.length === 100) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      for (let n = 0; n < 100; n++) {
        // every tenth message carries an attachment, so text and binary packets interleave
        if (n % 10 === 0) socket.emit("message", n, `m${n}`, Buffer.from([n]));
        else socket.emit("message", n, `m${n}`);
      }
      await done;
      assert.deepEqual(
        received,
        Array.from({ length: 100 }, (_, n) => [n, `m${n}`, n % 10 === 0 ? n : undefined]),
      );
    });

    test("events emitted before the connection is established are delivered in order once connected", async () => {
      socket = clients.socket(mode, { autoConnect: false });
      const received = [];
      const all = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.length}/60 echoes arrived`)), 10_000);
        socket.on("message-back", (n) => {
          received.push(n);
          if (received.length === 60) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      socket.connect();
      for (let n = 0; n < 30; n++) socket.emit("message", n); // buffered by the client until CONNECT
      await nextEvent(socket, "connect", { failOn: ["connect_error"] });
      for (let n = 30; n < 60; n++) socket.emit("message", n); // polling mode: sent while upgrading
      await all;
      assert.deepEqual(received, Array.from({ length: 60 }, (_, n) => n));
    });

    test("a message larger than maxPayload closes that client's connection and nobody else's", async () => {
      const [bystander] = await connectWithAuth(clients, mode);
      await connect();
      const down = nextEvent(socket, "disconnect", { timeout: 10_000 });
      socket.emit("message", "x".repeat(1_100_000)); // maxPayload is 1 000 000 bytes
      const [reason] = await down;
      assert.notEqual(reason, "io client disconnect");
      assert.deepEqual(await roundTrip(bystander, "unaffected"), ["unaffected"]);
    });

    test("a 300 kB text argument and a 300 kB binary argument survive the round trip", async () => {
      await connect();
      const text = "é🎉abc".repeat(40_000).slice(0, 150_000); // ~300 kB of UTF-8
      const bytes = Buffer.alloc(300_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
      const back = await roundTrip(socket, text, bytes);
      assert.equal(back[0], text);
      assertBytes(back[1], bytes, "large buffer");
    });
  });
}
