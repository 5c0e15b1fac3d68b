// A browser page as the API document's clients are written: Chromium (Debian's, driven by
// playwright-core) loads a page served from its own origin (a static server on another port), logs in with fetch and a form body,
// connects with the official socket.io-client browser bundle (default transports: XHR polling
// with CORS, then the WebSocket upgrade), sends and receives messages, and reads REST with a
// bearer token (a CORS preflight). natter runs with that origin allowed; a page from another
// origin is refused by CORS.
//
// Chromium: $CHROMIUM_BIN, else /usr/bin/chromium (scripts/install-deps.sh installs it).

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { Api, NatterServer, REPO_ROOT, uniqueEmail } from "./support.mjs";

// The package does not export its dist/ files: read the bundle from the installed package.
const SIO_BUNDLE = readFileSync(
  path.join(REPO_ROOT, "tests", "e2e", "js", "node_modules", "socket.io-client", "dist", "socket.io.min.js"),
  "utf8",
);
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";

// The page: a small client written the way the document's JavaScript example is, exposed on
// window for the test to drive. Every call resolves with plain data (or rejects with a message).
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>natter browser client</title>
<script src="/socket.io.min.js"></script></head>
<body><script>
  window.received = [];
  window.chat = {
    async login(server, email, name) {
      const res = await fetch(server + "/api/auth/login", {
        method: "POST", body: new URLSearchParams({ email, name }) });
      const body = await res.json();
      if (!res.ok) throw new Error("login " + res.status + " " + JSON.stringify(body));
      return body.access_token;
    },
    connect(server, token) {
      return new Promise((resolve, reject) => {
        const socket = io(server, { auth: { token } });
        window.socket = socket;
        socket.onAny((event, ...args) => window.received.push({ event, args }));
        socket.on("connect", () => resolve(socket.id));
        socket.on("connect_error", (e) => reject(new Error("connect_error " + e.message)));
      });
    },
    transport() { return window.socket.io.engine.transport.name; },
    upgraded() {
      return new Promise((resolve) => {
        const engine = window.socket.io.engine;
        if (engine.transport.name === "websocket") return resolve("websocket");
        engine.once("upgrade", (t) => resolve(t.name));
      });
    },
    send(to_email, message) {
      return new Promise((resolve) =>
        window.socket.emit("send_message", { to_email, message, message_type: "text" }, resolve));
    },
    next(event, text) {
      return new Promise((resolve) => {
        const seen = () => window.received.find((r) => r.event === event && r.args[0]?.message === text);
        const hit = seen();
        if (hit) return resolve(hit.args[0]);
        window.socket.on(event, () => { const h = seen(); if (h) resolve(h.args[0]); });
      });
    },
    async rest(server, path, token) {
      const res = await fetch(server + path, { headers: { Authorization: "Bearer " + token } });
      return { status: res.status, body: await res.json() };
    },
  };
</script></body></html>`;

// A static web server for the page and the client bundle on its own loopback port: the page's
// origin differs from natter's (another port), so every API call is cross-origin.
async function pageServer() {
  const srv = http.createServer((req, res) => {
    const js = req.url === "/socket.io.min.js";
    res.writeHead(200, { "Content-Type": js ? "application/javascript" : "text/html" });
    res.end(js ? SIO_BUNDLE : PAGE);
  });
  await new Promise((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return { srv, origin: `http://127.0.0.1:${srv.address().port}` };
}

async function openPage(browser, origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

describe("a browser page (Chromium, socket.io-client browser bundle)", () => {
  let server;
  let browser;
  let site; // the page's origin, allowed by natter
  let other; // an origin natter does not allow
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (run scripts/install-deps.sh test)`);
    [site, other] = [await pageServer(), await pageServer()];
    server = await new NatterServer({ args: ["--cors-origins", site.origin] }).start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
    site?.srv.close();
    other?.srv.close();
  });

  it("logs in, connects (polling then websocket), sends and receives, and reads REST", async () => {
    const alice = { email: uniqueEmail("alice"), name: "Alice Browser" };
    const bob = { email: uniqueEmail("bob"), name: "Bob Browser" };
    const [pa, pb] = [await openPage(browser, site.origin), await openPage(browser, site.origin)];
    const url = server.url;
    alice.token = await pa.evaluate(([s, e, n]) => chat.login(s, e, n), [url, alice.email, alice.name]);
    bob.token = await pb.evaluate(([s, e, n]) => chat.login(s, e, n), [url, bob.email, bob.name]);
    await pa.evaluate(([s, t]) => chat.connect(s, t), [url, alice.token]);
    await pb.evaluate(([s, t]) => chat.connect(s, t), [url, bob.token]);
    // socket.io-client's default: the handshake over XHR polling (CORS), then the upgrade.
    assert.equal(await pa.evaluate(() => chat.upgraded()), "websocket");
    assert.equal(await pb.evaluate(() => chat.upgraded()), "websocket");

    const arriving = pb.evaluate(() => chat.next("new_message", "hello from Chromium"));
    const notified = pb.evaluate(() => chat.next("message_notification", "hello from Chromium"));
    const ack = await pa.evaluate((to) => chat.send(to, "hello from Chromium"), bob.email);
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const got = await arriving;
    assert.deepEqual(got, ack.message);
    assert.equal(got.sender_email, alice.email);
    assert.deepEqual(await notified, {
      conversation_id: ack.message.conversation_id,
      sender_email: alice.email,
      sender_name: alice.name,
      message: "hello from Chromium",
    });

    // REST from the page with a bearer token: a preflighted cross-origin request.
    const list = await pb.evaluate(([s, t]) => chat.rest(s, "/api/conversations", t), [url, bob.token]);
    assert.equal(list.status, 200);
    const conv = list.body.find((c) => c.conversation_id === ack.message.conversation_id);
    assert.ok(conv, JSON.stringify(list.body));
    assert.equal(conv.unread_count, 1);
    assert.equal(conv.last_message, "hello from Chromium");

    // The reply goes the other way over the same sockets.
    const back = pa.evaluate(() => chat.next("new_message", "and back"));
    const ack2 = await pb.evaluate((to) => chat.send(to, "and back"), alice.email);
    assert.equal(ack2.ok, true);
    assert.deepEqual(await back, ack2.message);
    // The server saw both over its REST view too.
    const history = await new Api(server).messages(alice, ack.message.conversation_id);
    assert.deepEqual(history.map((m) => m.message).sort(), ["and back", "hello from Chromium"]);
  });

  it("a page from an origin that is not allowed cannot read the API's answers", async () => {
    const page = await openPage(browser, other.origin);
    const outcome = await page.evaluate(async (s) => {
      try {
        await chat.login(s, "mallory@example.com", "Mallory");
        return "read the answer";
      } catch (e) {
        return "blocked: " + e.message;
      }
    }, server.url);
    assert.match(outcome, /^blocked: Failed to fetch/);
  });
});
