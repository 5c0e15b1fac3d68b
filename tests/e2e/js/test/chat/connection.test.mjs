// Connecting to natter's realtime chat: where the JWT may come from, and which handshakes are
// refused with connect_error "User not authenticated".

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MODES,
  NOT_AUTHENTICATED,
  connected,
  nowSeconds,
  roundTrip,
  signJwt,
  uniqueEmail,
  useServer,
} from "./support.mjs";

for (const mode of MODES) {
  describe(`realtime chat connection over ${mode.name}`, { timeout: 60_000 }, () => {
    const ctx = useServer(mode);

    /** A socket opened with `opts` connects, is usable, and is the user's (the server knows who). */
    async function assertConnectsAs(user, opts) {
      const { api, clients } = ctx;
      const socket = clients.open(opts, "tab");
      socket.user = user;
      socket.connect();
      await connected(socket);
      assert.equal(typeof socket.id, "string");
      await roundTrip(socket);
      // the server attributes the socket to `user`: a message sent on it comes from user
      const peer = await api.newUser("peer");
      const peerSocket = await clients.connect(peer);
      socket.emit("send_message", { to_email: peer.email, message: "who am I?", message_type: "text" });
      const got = await peerSocket.rec.next("new_message");
      assert.equal(got.sender_email, user.email);
      assert.equal(got.sender_name, user.name);
      assert.equal((await api.me(user)).is_online, true, "the authenticated user is reported online");
    }

    it("accepts the token in the handshake auth object, as documented", async () => {
      const alice = await ctx.api.newUser("alice");
      await assertConnectsAs(alice, { auth: { token: alice.token } });
    });

    it("accepts the token in a token query parameter", async () => {
      const alice = await ctx.api.newUser("alice");
      await assertConnectsAs(alice, { query: { token: alice.token } });
    });

    it("accepts the token in an Authorization Bearer header", async () => {
      const alice = await ctx.api.newUser("alice");
      await assertConnectsAs(alice, { extraHeaders: { Authorization: `Bearer ${alice.token}` } });
    });

    it("refuses a handshake without any token with connect_error 'User not authenticated'", async () => {
      const err = await ctx.clients.refused({});
      assert.equal(err.message, NOT_AUTHENTICATED);
    });

    it("refuses an empty token", async () => {
      const err = await ctx.clients.refused({ auth: { token: "" } });
      assert.equal(err.message, NOT_AUTHENTICATED);
    });

    it("refuses a token that is not a JWT", async () => {
      const err = await ctx.clients.refused({ auth: { token: "not-a-jwt" } });
      assert.equal(err.message, NOT_AUTHENTICATED);
    });

    it("refuses a token signed with another secret", async () => {
      const alice = await ctx.api.newUser("alice");
      const forged = signJwt({ sub: alice.email, exp: nowSeconds() + 3600 }, "not-the-server-secret");
      for (const opts of [{ auth: { token: forged } }, { query: { token: forged } },
        { extraHeaders: { Authorization: `Bearer ${forged}` } }]) {
        const err = await ctx.clients.refused(opts);
        assert.equal(err.message, NOT_AUTHENTICATED, JSON.stringify(opts));
      }
    });

    it("refuses an expired token of an existing user, from any of the three places", async () => {
      const alice = await ctx.api.newUser("alice");
      const expired = signJwt({ sub: alice.email, exp: nowSeconds() - 60 }, ctx.server.secret);
      for (const opts of [{ auth: { token: expired } }, { query: { token: expired } },
        { extraHeaders: { Authorization: `Bearer ${expired}` } }]) {
        const err = await ctx.clients.refused(opts);
        assert.equal(err.message, NOT_AUTHENTICATED, JSON.stringify(opts));
      }
      assert.equal((await ctx.api.me(alice)).is_online, false, "a refused user is not online");
    });

    it("refuses a valid token for a user that does not exist", async () => {
      const ghost = signJwt({ sub: uniqueEmail("ghost"), exp: nowSeconds() + 3600 }, ctx.server.secret);
      const err = await ctx.clients.refused({ auth: { token: ghost } });
      assert.equal(err.message, NOT_AUTHENTICATED);
    });

    it("keeps serving other clients after refusing handshakes", async () => {
      await ctx.clients.refused({ auth: { token: "garbage" } });
      const alice = await ctx.api.newUser("alice");
      await assertConnectsAs(alice, { auth: { token: alice.token } });
    });
  });
}
