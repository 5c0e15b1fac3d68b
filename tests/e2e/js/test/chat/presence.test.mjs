// Presence: user_online / user_offline with several tabs per user, get_online_users, REST
// is_online / last_seen, the presence scope (contacts by default, --presence-scope all), a client
// that stops answering pings, and a server restart.
//
// Negative assertions ("B was NOT told") use ordering barriers, never sleeps: the action that
// would have caused the event is known to be handled (a round trip on the acting socket), then a
// barrier message is delivered to the watching socket; Socket.IO delivers in order per connection,
// so a wrongly emitted event would have arrived before the barrier.
//
// One exception, documented where it occurs: the server-side handling of one tab's disconnect has
// no observable completion when it (correctly) emits nothing, so "closing one of two tabs says
// nothing" is checked after REST and socket round trips that follow the close.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Api,
  Clients,
  MODES,
  NatterServer,
  WEBSOCKET_ONLY,
  assertKeys,
  barrier,
  isoToMillis,
  roundTrip,
  useServer,
} from "./support.mjs";

const isAbout = (user) => (p) => p?.email === user.email;

for (const mode of MODES) {
  describe(`presence with the default contacts scope over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode);

    /** alice and bob share a conversation (made over REST while both are offline). */
    async function contacts() {
      const alice = await ctx.api.newUser("alice");
      const bob = await ctx.api.newUser("bob");
      await ctx.api.send(alice, bob, "hello before anyone connects");
      return { alice, bob };
    }

    it("tells a contact user_online when a user's first tab connects, and nothing for a second tab", async () => {
      const { api, clients } = ctx;
      const { alice, bob } = await contacts();
      const bob1 = await clients.connect(bob);
      const bob2 = await clients.connect(bob);
      const alice1 = await clients.connect(alice);
      for (const s of [bob1, bob2]) {
        const p = await s.rec.next("user_online", { where: isAbout(alice) });
        assertKeys(p, ["email"], "user_online");
        assert.equal(p.email, alice.email);
      }
      const alice2 = await clients.connect(alice);
      await roundTrip(alice2); // alice2's connection handling is over
      await barrier(api, [bob1, bob2]);
      for (const s of [bob1, bob2]) {
        assert.equal(s.rec.all("user_online", isAbout(alice)).length, 1,
          `${s.rec.label}: exactly one user_online for alice (the second tab must not announce)\n${s.rec.summary()}`);
      }
      // bob's second tab connected while bob was already online: alice was not online then, and
      // alice's tabs must not be told about bob when they connect either.
      await barrier(api, [alice1, alice2]);
      alice1.rec.assertNone("user_online", isAbout(bob));
      alice2.rec.assertNone("user_online", isAbout(bob));
      // nobody is told about themselves
      alice1.rec.assertNone("user_online", isAbout(alice));
      bob1.rec.assertNone("user_online", isAbout(bob));
    });

    it("tells a contact user_offline only when the user's last tab disconnects", async () => {
      const { api, clients } = ctx;
      const { alice, bob } = await contacts();
      const bob1 = await clients.connect(bob);
      const bob2 = await clients.connect(bob);
      const alice1 = await clients.connect(alice);
      const alice2 = await clients.connect(alice);
      await bob1.rec.next("user_online", { where: isAbout(alice) });

      alice2.disconnect();
      // No completion signal exists for a disconnect that correctly emits nothing; these round
      // trips follow the close (see the header comment).
      assert.equal((await api.me(alice)).is_online, true, "alice still has a tab open");
      assert.deepEqual((await roundTrip(bob1)).users, [alice.email]);
      await roundTrip(alice1);
      await barrier(api, [bob1, bob2]);
      bob1.rec.assertNone("user_offline", isAbout(alice), "when one of alice's two tabs closed");
      bob2.rec.assertNone("user_offline", isAbout(alice), "when one of alice's two tabs closed");

      alice1.disconnect();
      for (const s of [bob1, bob2]) {
        const p = await s.rec.next("user_offline", { where: isAbout(alice) });
        assertKeys(p, ["email"], "user_offline");
        assert.equal(p.email, alice.email);
      }
      await barrier(api, [bob1, bob2]);
      for (const s of [bob1, bob2]) {
        assert.equal(s.rec.all("user_offline", isAbout(alice)).length, 1, s.rec.summary());
      }
      assert.equal((await api.me(alice)).is_online, false);
    });

    it("keeps REST is_online and last_seen in step with the sockets", async () => {
      const { api, clients } = ctx;
      const { alice, bob } = await contacts();
      const bob1 = await clients.connect(bob);
      const before = await api.me(alice);
      assertKeys(before, ["email", "name", "profile_image", "is_online", "last_seen"], "/api/users/me");
      assert.equal(before.is_online, false, "never connected: offline");
      assert.equal(await api.searchOnline(bob, alice), false);

      const tConnect = Date.now();
      const alice1 = await clients.connect(alice);
      await bob1.rec.next("user_online", { where: isAbout(alice) });
      const online = await api.me(alice);
      assert.equal(online.is_online, true);
      assert.equal(await api.searchOnline(bob, alice), true);
      assert.ok(isoToMillis(online.last_seen) >= tConnect,
        `last_seen ${online.last_seen} should be refreshed on connect (at or after ${new Date(tConnect).toISOString()})`);

      const alice2 = await clients.connect(alice);
      await roundTrip(alice2);
      assert.equal((await api.me(alice)).is_online, true);

      alice2.disconnect();
      assert.equal((await api.me(alice)).is_online, true, "one tab is still open");
      assert.equal(await api.searchOnline(bob, alice), true);

      const tDisconnect = Date.now();
      alice1.disconnect();
      await bob1.rec.next("user_offline", { where: isAbout(alice) });
      const offline = await api.me(alice);
      assert.equal(offline.is_online, false);
      assert.equal(await api.searchOnline(bob, alice), false);
      assert.ok(isoToMillis(offline.last_seen) >= tDisconnect,
        `last_seen ${offline.last_seen} should be refreshed on disconnect (at or after ${new Date(tDisconnect).toISOString()})`);
    });

    it("tells a stranger nothing when a user comes online or goes offline", async () => {
      const { api, clients } = ctx;
      const { alice, bob } = await contacts();
      const bob1 = await clients.connect(bob);
      const strangerSocket = await clients.connect(await api.newUser("stranger"));
      const alice1 = await clients.connect(alice);
      await bob1.rec.next("user_online", { where: isAbout(alice) });
      await barrier(api, [strangerSocket, bob1]);
      strangerSocket.rec.assertNone("user_online", isAbout(alice), "(not a contact)");
      // and the stranger's own arrival was not announced to bob
      bob1.rec.assertNone("user_online", isAbout(strangerSocket.user), "(not a contact)");

      alice1.disconnect();
      await bob1.rec.next("user_offline", { where: isAbout(alice) }); // alice's disconnect is handled
      await barrier(api, [strangerSocket]);
      strangerSocket.rec.assertNone("user_offline", isAbout(alice), "(not a contact)");
    });

    it("starts announcing to a user who became a contact through a socket message", async () => {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const carol = await api.newUser("carol");
      const carol1 = await clients.connect(carol);
      const alice1 = await clients.connect(alice);
      await roundTrip(alice1);
      await barrier(api, [carol1]);
      carol1.rec.assertNone("user_online", isAbout(alice), "(not yet a contact)");
      alice1.emit("send_message", { to_email: carol.email, message: "now we are contacts" });
      await carol1.rec.next("new_message", { where: (m) => m.sender_email === alice.email });
      alice1.disconnect();
      const p = await carol1.rec.next("user_offline", { where: isAbout(alice) });
      assert.deepEqual(p, { email: alice.email });
    });

    it("lists only the online contacts of the caller in online_users", async () => {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const bob = await api.newUser("bob");
      const carol = await api.newUser("carol");
      const dave = await api.newUser("dave"); // contact, offline
      const stranger = await api.newUser("stranger");
      for (const other of [bob, carol, dave]) await api.send(alice, other, `hi ${other.name}`);
      const alice1 = await clients.connect(alice);
      await clients.connect(bob);
      const carol1 = await clients.connect(carol);
      await clients.connect(stranger);
      await clients.connect(carol); // a second tab: still listed once
      await roundTrip(carol1);

      const reply = alice1.rec.next("online_users");
      alice1.emit("get_online_users");
      const data = await reply;
      assertKeys(data, ["users"], "online_users");
      assert.deepEqual([...data.users].sort(), [bob.email, carol.email].sort());

      // bob's view: alice is his only contact
      const bob2 = await clients.connect(bob);
      bob2.emit("get_online_users");
      assert.deepEqual((await bob2.rec.next("online_users")).users, [alice.email]);
      // a user without conversations has no online contacts
      const loner = await clients.connect(await api.newUser("loner"));
      loner.emit("get_online_users");
      assert.deepEqual((await loner.rec.next("online_users")).users, []);
    });
  });

  describe(`presence with --presence-scope all over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode, { args: ["--presence-scope", "all"] });

    it("announces user_online and user_offline to every connected user, strangers included", async () => {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const stranger = await api.newUser("stranger");
      const s1 = await clients.connect(stranger);
      const s2 = await clients.connect(stranger);
      const alice1 = await clients.connect(alice);
      for (const s of [s1, s2]) assert.deepEqual(await s.rec.next("user_online", { where: isAbout(alice) }), { email: alice.email });
      const alice2 = await clients.connect(alice);
      await roundTrip(alice2);
      alice2.disconnect();
      await roundTrip(alice1);
      await barrier(api, [s1, s2]);
      for (const s of [s1, s2]) {
        assert.equal(s.rec.all("user_online", isAbout(alice)).length, 1, s.rec.summary());
        s.rec.assertNone("user_offline", isAbout(alice), "(alice still has a tab)");
      }
      alice1.disconnect();
      for (const s of [s1, s2]) assert.deepEqual(await s.rec.next("user_offline", { where: isAbout(alice) }), { email: alice.email });
    });

    it("lists every online user in online_users", async () => {
      const { api, clients } = ctx;
      const users = [await api.newUser("alice"), await api.newUser("bob"), await api.newUser("carol")];
      const offline = await api.newUser("offline");
      const sockets = [];
      for (const u of users) sockets.push(await clients.connect(u));
      await roundTrip(sockets[2]);
      sockets[0].emit("get_online_users");
      const { users: online } = await sockets[0].rec.next("online_users");
      for (const u of users) assert.ok(online.includes(u.email), `${u.email} missing from ${JSON.stringify(online)}`);
      assert.ok(!online.includes(offline.email));
      assert.equal(new Set(online).size, online.length, "no duplicates");
    });
  });

  describe(`presence of a client that stops answering pings over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode, { args: ["--ping-interval-ms", "200", "--ping-timeout-ms", "200"] });

    it("reports the user offline once the server gives up on the silent client", async () => {
      const { api, clients } = ctx;
      const alice = await api.newUser("alice");
      const bob = await api.newUser("bob");
      await api.send(alice, bob, "hi");
      const bob1 = await clients.connect(bob);
      const alice1 = await clients.connect(alice);
      await bob1.rec.next("user_online", { where: isAbout(alice) });
      // alice's client goes silent: it keeps its connection but no longer answers pings
      const engine = alice1.io.engine;
      const send = engine._sendPacket.bind(engine);
      engine._sendPacket = (type, ...rest) => (type === "pong" ? undefined : send(type, ...rest));
      assert.deepEqual(await bob1.rec.next("user_offline", { where: isAbout(alice) }), { email: alice.email });
      assert.equal((await api.me(alice)).is_online, false);
      await alice1.rec.next("disconnect");
      // bob's connection answered every ping and is still fine
      assert.equal(bob1.connected, true);
      await roundTrip(bob1);
    });
  });
}

describe("presence across a server restart", { timeout: 60_000 }, () => {
  it("shows nobody online after a restart until they reconnect", async () => {
    const server = await new NatterServer().start();
    let clients = new Clients(server, WEBSOCKET_ONLY);
    try {
      let api = new Api(server);
      const alice = await api.newUser("alice");
      const bob = await api.newUser("bob");
      await api.send(alice, bob, "hi");
      const alice1 = await clients.connect(alice);
      const bob1 = await clients.connect(bob);
      await alice1.rec.next("user_online", { where: isAbout(bob) });
      assert.equal((await api.me(alice)).is_online, true);

      await server.restart(); // SIGTERM with both connected: must exit 0
      await alice1.rec.next("disconnect");
      await bob1.rec.next("disconnect");
      clients.closeAll();
      clients = new Clients(server, WEBSOCKET_ONLY);
      api = new Api(server);
      assert.equal((await api.me(alice)).is_online, false, "alice is not online after the restart");
      assert.equal((await api.me(bob)).is_online, false, "bob is not online after the restart");
      assert.equal(await api.searchOnline(alice, bob), false);

      const alice2 = await clients.connect(alice); // the token survives: same secret
      assert.deepEqual((await roundTrip(alice2)).users, [], "bob has not reconnected");
      assert.equal((await api.me(alice)).is_online, true);
      assert.equal(await api.searchOnline(alice, bob), false);
      await clients.connect(bob);
      assert.deepEqual(await alice2.rec.next("user_online", { where: isAbout(bob) }), { email: bob.email });
      assert.equal(await api.searchOnline(alice, bob), true);
    } finally {
      clients.closeAll();
      await server.dispose();
    }
  });
});
