// Connection lifecycle: transports and upgrade, heartbeat, server-side disconnect and client
// reconnection — in all three transport modes.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  Clients,
  MODES,
  asBuffer,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  connectWithAuth,
  connected,
  delay,
  nextEvent,
  roundTrip,
  startFixture,
  useFixture,
} from "./support/fixture.mjs";

const ctx = useFixture();

const HEARTBEAT_WATCH_MS = 1500; // 5x pingInterval; 3x (pingInterval + pingTimeout)

for (const mode of MODES) {
  describe(`connection lifecycle (${mode.name})`, { timeout: 20_000 }, () => {
    let clients;
    before(() => {
      clients = ctx.clients;
    });

    test(`the connection starts on ${mode.initial} and ends up on ${mode.final}`, async () => {
      const socket = clients.socket(mode, { autoConnect: false });
      socket.connect();
      const engine = socket.io.engine;
      const upgrades = [];
      engine.on("upgrade", (t) => upgrades.push(t.name));
      const upgraded = mode.initial !== mode.final ? nextEvent(engine, "upgrade", { failOn: ["close"] }) : null;
      await connected(socket);
      if (upgraded) {
        const [transport] = await upgraded;
        assert.equal(transport.name, "websocket");
        assert.equal(engine.transport.name, "websocket");
        assert.deepEqual(upgrades, ["websocket"]);
      } else {
        assert.equal(engine.transport.name, mode.initial);
        // give a would-be upgrade time to happen (it starts right after the handshake)
        await delay(4 * PING_INTERVAL_MS);
        assert.deepEqual(upgrades, [], "no upgrade expected in this mode");
        assert.equal(engine.transport.name, mode.final);
      }
      assert.equal(socket.connected, true);
      assert.deepEqual(await roundTrip(socket, "after transport settled"), ["after transport settled"]);
    });

    test("the handshake announces the fixture's heartbeat settings", async () => {
      const socket = clients.socket(mode, { autoConnect: false });
      socket.connect();
      const [handshake] = await nextEvent(socket.io.engine, "handshake", { failOn: ["error"] });
      assert.equal(typeof handshake.sid, "string");
      assert.ok(handshake.sid.length > 0);
      assert.equal(handshake.pingInterval, PING_INTERVAL_MS);
      assert.equal(handshake.pingTimeout, PING_TIMEOUT_MS);
      assert.equal(handshake.maxPayload, 1_000_000);
      // over polling the server offers the websocket upgrade; over websocket there is nothing left
      assert.deepEqual(handshake.upgrades, mode.initial === "polling" ? ["websocket"] : []);
      await connected(socket);
    });

    test("a connection stays up across many heartbeats, answering every ping", async () => {
      const [socket] = await connectWithAuth(clients, mode);
      const engineId = socket.io.engine.id;
      const socketId = socket.id;
      const closes = [];
      socket.on("disconnect", (reason) => closes.push(`disconnect: ${reason}`));
      socket.io.on("close", (reason) => closes.push(`manager close: ${reason}`));
      let pings = 0;
      socket.io.on("ping", () => pings++);

      await delay(HEARTBEAT_WATCH_MS); // the point of this test is elapsed time

      assert.deepEqual(closes, []);
      assert.equal(socket.connected, true);
      assert.equal(socket.id, socketId);
      assert.equal(socket.io.engine.id, engineId, "the Engine.IO session was replaced");
      const expectedPings = Math.floor(HEARTBEAT_WATCH_MS / PING_INTERVAL_MS);
      assert.ok(pings >= expectedPings - 2, `only ${pings} pings in ${HEARTBEAT_WATCH_MS} ms (pingInterval ${PING_INTERVAL_MS})`);
      assert.deepEqual(await roundTrip(socket, "alive"), ["alive"]);
    });

    test("a server-side disconnect closes the socket with reason 'io server disconnect' and no auto-reconnect", async () => {
      const [socket] = await connectWithAuth(clients, mode, { reconnection: true, reconnectionDelay: 50 });
      const attempts = [];
      socket.io.on("reconnect_attempt", (n) => attempts.push(n));
      const disconnected = nextEvent(socket, "disconnect");
      socket.emit("disconnect-me");
      const [reason] = await disconnected;
      assert.equal(reason, "io server disconnect");
      assert.equal(socket.connected, false);
      assert.equal(socket.active, false, "a server-side disconnect must not be retried automatically");
      assert.deepEqual(attempts, []);

      // ...but the client may connect again explicitly
      const auth = nextEvent(socket, "auth", { failOn: ["connect_error"] });
      socket.connect();
      assert.deepEqual(await auth, [{}]);
      assert.deepEqual(await roundTrip(socket, "back again"), ["back again"]);
    });

    test("a server-side disconnect of one namespace leaves the other namespace on the connection up", async () => {
      const manager = clients.manager(mode);
      const main = clients.socketOf(manager, "/");
      const custom = clients.socketOf(manager, "/custom");
      const customAuth = nextEvent(custom, "auth", { failOn: ["connect_error"] });
      await connected(main);
      await customAuth;
      const customDown = [];
      custom.on("disconnect", (r) => customDown.push(r));
      const disconnected = nextEvent(main, "disconnect");
      main.emit("disconnect-me");
      assert.equal((await disconnected)[0], "io server disconnect");
      // /custom has no echo event; reconnecting / on the same manager proves the connection is up
      const auth = nextEvent(main, "auth", { failOn: ["connect_error"] });
      main.connect();
      await auth;
      assert.equal(custom.connected, true);
      assert.deepEqual(customDown, []);
    });

    test("a server-side disconnect with close=true disconnects every namespace of the connection and closes it", async () => {
      const manager = clients.manager(mode, { reconnection: true, reconnectionDelay: 50 });
      const main = clients.socketOf(manager, "/");
      const custom = clients.socketOf(manager, "/custom");
      const customAuth = nextEvent(custom, "auth", { failOn: ["connect_error"] });
      await connected(main);
      await customAuth;
      const mainDown = nextEvent(main, "disconnect");
      const customDown = nextEvent(custom, "disconnect");
      const closed = nextEvent(manager, "close");
      const engine = manager.engine;
      main.emit("disconnect-me", true);
      assert.equal((await mainDown)[0], "io server disconnect");
      await closed;
      const [customReason] = await customDown;
      assert.equal(engine.readyState, "closed");
      // Node's socket.disconnect(true) sends DISCONNECT to every namespace of the client first, so
      // the reference client reports "io server disconnect" for /custom too and does not retry it.
      assert.equal(customReason, "io server disconnect");
      assert.equal(main.active, false);
    });

    test("after the transport is closed the manager reconnects and the socket works again", async () => {
      const auth = { user: "reconnecting", n: 1 };
      const [socket, first] = await connectWithAuth(clients, mode, {
        auth,
        reconnection: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
        randomizationFactor: 0,
      });
      assert.deepEqual(first, auth);
      const firstSocketId = socket.id;
      const firstEngine = socket.io.engine;

      const disconnected = nextEvent(socket, "disconnect");
      const reconnected = nextEvent(socket.io, "reconnect", { failOn: ["reconnect_failed"] });
      const authAgain = nextEvent(socket, "auth", { failOn: ["connect_error"] });
      firstEngine.close(); // drop the Engine.IO connection under the socket

      const [reason] = await disconnected;
      assert.notEqual(reason, "io server disconnect");
      assert.notEqual(reason, "io client disconnect");
      const [attempt] = await reconnected;
      assert.ok(attempt >= 1);
      assert.deepEqual(await authAgain, [auth], "the auth payload is sent again on reconnection");
      assert.equal(socket.connected, true);
      assert.notEqual(socket.io.engine, firstEngine);
      assert.notEqual(socket.id, firstSocketId);
      assert.deepEqual(await roundTrip(socket, { after: "reconnect" }), [{ after: "reconnect" }]);
      const ack = await socket.timeout(5000).emitWithAck("message-with-ack", "ack after reconnect");
      assert.equal(ack, "ack after reconnect");
    });

    test("events emitted while disconnected are buffered and delivered after reconnection", async () => {
      const [socket] = await connectWithAuth(clients, mode, {
        reconnection: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
        randomizationFactor: 0,
      });
      const disconnected = nextEvent(socket, "disconnect");
      socket.io.engine.close();
      await disconnected;
      const back = nextEvent(socket, "message-back", { timeout: 8000 });
      socket.emit("message", "sent while offline"); // buffered by the client until reconnected
      assert.deepEqual(await back, ["sent while offline"]);
    });
  });

  describe(`server restart (${mode.name})`, { timeout: 30_000 }, () => {
    let own;
    let restarted;
    let ownClients;
    after(async () => {
      ownClients?.closeAll();
      await restarted?.stop();
      await own?.stop();
    });

    test("on SIGTERM the server disconnects its clients and exits with status 0", async () => {
      const server = await startFixture();
      const serverClients = new Clients(server.url);
      try {
        const [socket] = await connectWithAuth(serverClients, mode);
        const [other] = await connectWithAuth(serverClients, mode, { nsp: "/custom" });
        const down = nextEvent(socket, "disconnect", { timeout: 5000 });
        const otherDown = nextEvent(other, "disconnect", { timeout: 5000 });
        const exited = server.stop(); // SIGTERM; SIGKILL after 5 s
        const [reason] = await down;
        await otherDown;
        assert.notEqual(reason, "io client disconnect");
        assert.deepEqual(await exited, { code: 0, signal: null }, `fixture output:\n${server.logs()}`);
      } finally {
        serverClients.closeAll();
        await server.kill();
      }
    });

    test("the client reconnects by itself after the server is killed and restarted on the same port", async () => {
      own = await startFixture();
      ownClients = new Clients(own.url);
      const auth = { user: "survivor" };
      const [socket, first] = await connectWithAuth(ownClients, mode, {
        auth,
        reconnection: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 300,
        randomizationFactor: 0,
      });
      assert.deepEqual(first, auth);
      const firstId = socket.id;

      const disconnected = nextEvent(socket, "disconnect");
      await own.kill(); // the connection drops without a CLOSE or DISCONNECT packet
      const [reason] = await disconnected;
      assert.notEqual(reason, "io server disconnect");
      assert.equal(socket.active, true, "the client must keep trying to reconnect");

      const reconnected = nextEvent(socket.io, "reconnect", { timeout: 15_000, failOn: ["reconnect_failed"] });
      const authAgain = nextEvent(socket, "auth", { timeout: 15_000 });
      restarted = await own.restart();
      await reconnected;
      assert.deepEqual(await authAgain, [auth]);
      assert.notEqual(socket.id, firstId);
      const back = await roundTrip(socket, "after restart", Buffer.from([1, 2]));
      assert.equal(back[0], "after restart");
      assert.deepEqual(asBuffer(back[1]), Buffer.from([1, 2]));
    });
  });
}
