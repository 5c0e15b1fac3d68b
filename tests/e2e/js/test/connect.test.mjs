// Connecting to namespaces: the CONNECT auth payload, /custom, unknown namespaces, multiplexing and
// the server's connect timeout — in websocket-only, polling-then-upgrade and polling-only modes.

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  CONNECT_TIMEOUT_MS,
  MODES,
  connectWithAuth,
  connected,
  nextEvent,
  roundTrip,
  useFixture,
} from "./support/fixture.mjs";

const ctx = useFixture();

for (const mode of MODES) {
  describe(`connecting (${mode.name})`, { timeout: 15_000 }, () => {
    let clients;
    before(() => {
      clients = ctx.clients;
    });

    test("the server echoes the auth payload of the CONNECT packet in an auth event", async () => {
      const auth = { token: "abc-123", user: { id: 7, roles: ["a", "b"] }, ok: true, none: null };
      const [socket, payload] = await connectWithAuth(clients, mode, { auth });
      assert.deepEqual(payload, auth);
      assert.equal(typeof socket.id, "string");
      assert.ok(socket.id.length > 0, "the CONNECT reply carries a non-empty socket id");
    });

    test("a client that sends no auth payload gets an empty object in the auth event", async () => {
      const [, payload] = await connectWithAuth(clients, mode);
      assert.deepEqual(payload, {});
    });

    test("two clients get different socket ids", async () => {
      const [a] = await connectWithAuth(clients, mode);
      const [b] = await connectWithAuth(clients, mode);
      assert.notEqual(a.id, b.id);
    });

    test("the /custom namespace accepts a connection and echoes its auth payload", async () => {
      const auth = { room: "custom", n: 42 };
      const [socket, payload] = await connectWithAuth(clients, mode, { nsp: "/custom", auth });
      assert.deepEqual(payload, auth);
      assert.equal(socket.nsp, "/custom");
    });

    test("an unknown namespace is refused with connect_error 'Invalid namespace' while / on the same manager still works", async () => {
      const manager = clients.manager(mode);
      const bad = clients.socketOf(manager, "/does-not-exist");
      const good = clients.socketOf(manager, "/", { auth: { who: "good" } });
      const goodAuth = nextEvent(good, "auth", { failOn: ["connect_error"] });
      const [err] = await nextEvent(bad, "connect_error", { failOn: ["connect"] });
      assert.ok(err instanceof Error, "connect_error carries an Error");
      assert.equal(err.message, "Invalid namespace");
      assert.equal(bad.connected, false);
      assert.deepEqual(await goodAuth, [{ who: "good" }]);
      assert.equal(good.connected, true);
      // The refused namespace did not take the shared connection down.
      assert.deepEqual(await roundTrip(good, "still here"), ["still here"]);
    });

    test("/ and /custom multiplexed on one manager share a single Engine.IO connection", async () => {
      const manager = clients.manager(mode);
      const main = clients.socketOf(manager, "/", { auth: { ns: "main" } });
      const custom = clients.socketOf(manager, "/custom", { auth: { ns: "custom" } });
      const mainAuth = nextEvent(main, "auth", { failOn: ["connect_error"] });
      const customAuth = nextEvent(custom, "auth", { failOn: ["connect_error"] });
      assert.deepEqual(await mainAuth, [{ ns: "main" }]);
      assert.deepEqual(await customAuth, [{ ns: "custom" }]);
      assert.ok(main.connected && custom.connected);
      assert.equal(main.io.engine, custom.io.engine);
      assert.notEqual(main.id, custom.id);
      // Disconnecting one namespace leaves the other usable.
      custom.disconnect();
      assert.deepEqual(await roundTrip(main, { after: "custom left" }), [{ after: "custom left" }]);
    });

    test("the /private namespace admits a client whose auth passes its async middleware and greets it", async () => {
      const socket = clients.socket(mode, { nsp: "/private", auth: { token: "secret" }, autoConnect: false });
      const welcome = nextEvent(socket, "welcome", { failOn: ["connect_error"] });
      socket.connect();
      const [id] = await welcome;
      assert.equal(socket.connected, true);
      assert.equal(id, socket.id, "welcome carries the socket's own id");
    });

    test("the /private namespace refuses a bad token with the middleware's message and data", async () => {
      const socket = clients.socket(mode, { nsp: "/private", auth: { token: "wrong" } });
      const [err] = await nextEvent(socket, "connect_error", { failOn: ["connect"] });
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { reason: "bad token" });
      assert.equal(socket.connected, false);
      assert.equal(socket.active, false, "a middleware refusal must not be retried automatically");
    });

    test("a refusal by /private does not disturb / on the same connection", async () => {
      const manager = clients.manager(mode);
      const refused = clients.socketOf(manager, "/private", { auth: {} });
      const main = clients.socketOf(manager, "/");
      const err = nextEvent(refused, "connect_error", { failOn: ["connect"] });
      const auth = nextEvent(main, "auth", { failOn: ["connect_error"] });
      assert.equal((await err)[0].message, "unauthorized");
      await auth;
      assert.deepEqual(await roundTrip(main, "fine"), ["fine"]);
    });

    test("the handshake event reports the client's query, headers and address", async () => {
      const [socket] = await connectWithAuth(clients, mode, {
        query: { foo: "bar", "ünï": "cødé" },
        // natter keeps an allow-list of handshake headers (engineio::Options::handshake_headers);
        // Authorization is on it
        extraHeaders: { Authorization: "Bearer e2e-token" },
      });
      const info = await socket.timeout(5000).emitWithAck("handshake");
      assert.equal(info.query.foo, "bar");
      assert.equal(info.query["ünï"], "cødé", "query parameters are percent-decoded");
      assert.equal(info.query.EIO, "4");
      assert.equal(info.query.transport, mode.initial, "the query of the first request is kept");
      assert.equal(info.headers.authorization, "Bearer e2e-token", "header names are lower-case");
      assert.match(info.address, /^(::ffff:)?127\.0\.0\.1$/);
    });

    test("an Engine.IO connection that never connects to a namespace is closed after the connect timeout", async () => {
      const manager = clients.manager(mode, { autoConnect: false });
      const opened = nextEvent(manager, "open", { failOn: ["error"] });
      const closed = nextEvent(manager, "close", { timeout: CONNECT_TIMEOUT_MS + 4000 });
      manager.open();
      await opened;
      const openedAt = Date.now();
      await closed;
      const elapsed = Date.now() - openedAt;
      assert.ok(elapsed >= CONNECT_TIMEOUT_MS - 200, `closed after ${elapsed} ms, before the ${CONNECT_TIMEOUT_MS} ms connect timeout`);
    });

    test("a socket can connect again after disconnecting itself", async () => {
      const [socket] = await connectWithAuth(clients, mode, { auth: { round: 1 } });
      const firstId = socket.id;
      const disconnected = nextEvent(socket, "disconnect");
      socket.disconnect();
      const [reason] = await disconnected;
      assert.equal(reason, "io client disconnect");
      assert.equal(socket.connected, false);
      const auth = nextEvent(socket, "auth", { failOn: ["connect_error"] });
      socket.connect();
      assert.deepEqual(await auth, [{ round: 1 }]);
      await connected(socket);
      assert.notEqual(socket.id, firstId);
    });
  });
}
