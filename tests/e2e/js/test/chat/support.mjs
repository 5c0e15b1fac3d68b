// Support code for the realtime chat end-to-end tests: runs the REAL natter binary, talks to it
// over REST (fetch) and with real socket.io-client v4 sockets, records every event each socket
// receives, and offers ordering barriers so that "X did NOT happen" can be asserted without sleeps.
//
// Binary under test: $NATTER_BIN, else <repo>/build/release/natter, else <repo>/build/dev/natter.
// Transport modes: every suite runs once per entry of MODES; set CHAT_E2E_MODES to a
// comma-separated subset of the mode names to run fewer (e.g. CHAT_E2E_MODES=websocket-only).
//
// `node --test test/` loads every .mjs under test/, this one included: no side effects on import.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, afterEach, before } from "node:test";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";

const HERE = path.dirname(fileURLToPath(import.meta.url));
// test/chat -> test -> js -> e2e -> tests -> <repo>
export const REPO_ROOT = path.resolve(HERE, "..", "..", "..", "..", "..");

export const EVENT_TIMEOUT_MS = 5_000;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 15_000;
const HTTP_TIMEOUT_MS = 10_000;

/** The error text natter sends in connect_error for every refused handshake. */
export const NOT_AUTHENTICATED = "User not authenticated";

export const ALL_MODES = [
  { name: "websocket-only", opts: { transports: ["websocket"] } },
  { name: "polling-then-upgrade", opts: {} }, // socket.io-client's default transports
];

export const MODES = (() => {
  const wanted = process.env.CHAT_E2E_MODES;
  if (!wanted) return ALL_MODES;
  const names = wanted.split(",").map((s) => s.trim()).filter(Boolean);
  const modes = ALL_MODES.filter((m) => names.includes(m.name));
  if (modes.length === 0) {
    throw new Error(`CHAT_E2E_MODES=${wanted} names no mode of ${ALL_MODES.map((m) => m.name)}`);
  }
  return modes;
})();

export const WEBSOCKET_ONLY = ALL_MODES[0];

// ---- the server --------------------------------------------------------------------------------

/** $NATTER_BIN, else the release build if it exists, else the dev build. */
export function natterBinary() {
  if (process.env.NATTER_BIN) return path.resolve(process.env.NATTER_BIN);
  const release = path.join(REPO_ROOT, "build", "release", "natter");
  if (existsSync(release)) return release;
  return path.join(REPO_ROOT, "build", "dev", "natter");
}

// Variables natter reads; removed from the child's environment so a developer's shell cannot
// change what the tests see.
const LEGACY_ENV = new Set(["HOST", "PORT", "JWT_SECRET_KEY", "JWT_EXPIRE_MINUTES", "CORS_ORIGINS"]);

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("NATTER_") && !LEGACY_ENV.has(k)) env[k] = v;
  }
  return env;
}

const LISTEN_RE = /natter listening on http:\/\/127\.0\.0\.1:(\d+)/;

/**
 * One natter process on a fresh data dir with a known random JWT secret.
 *   const server = await new NatterServer({ args: ["--presence-scope", "all"] }).start();
 *   ...
 *   await server.stop();   // SIGTERM; throws (with stderr) unless it exits 0
 */
export class NatterServer {
  constructor({ args = [], secret = "e2e-" + randomBytes(24).toString("hex") } = {}) {
    this.binary = natterBinary();
    this.args = args;
    this.secret = secret;
    this.root = mkdtempSync(path.join(os.tmpdir(), "natter-chat-e2e-"));
    this.dataDir = path.join(this.root, "data");
    this.child = null;
    this.port = null;
    this.exit = null;
    this.output = "";
    this.starts = 0;
  }

  get url() {
    assert.ok(this.port, "server not started");
    return `http://127.0.0.1:${this.port}`;
  }

  command() {
    return [
      "--host", "127.0.0.1", "--port", "0", "--data-dir", this.dataDir,
      "--jwt-secret", this.secret, "--log-level", "info", ...this.args,
    ];
  }

  /** Spawns the binary and resolves once stderr shows `natter listening on http://127.0.0.1:<port>`. */
  async start() {
    assert.ok(!this.running(), "already running");
    if (!existsSync(this.binary)) {
      throw new Error(`natter binary not found at ${this.binary}; build it ` +
        "(cmake --build build/dev --target natter) or set NATTER_BIN");
    }
    this.starts += 1;
    this.port = null;
    this.exit = null;
    this.output += `\n=== start #${this.starts}: ${this.binary} ${this.command().join(" ")}\n`;
    const child = spawn(this.binary, this.command(), { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv() });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once("close", (code, signal) => {
        this.exit = { code, signal };
        this.output += `=== exited: code=${code} signal=${signal}\n`;
        resolve(this.exit);
      });
    });
    let spawnError = null;
    child.once("error", (e) => { spawnError = e; });
    const keep = (chunk) => {
      this.output += chunk.toString("utf8");
      if (this.output.length > 400_000) this.output = this.output.slice(-200_000);
    };
    child.stdout.on("data", keep);
    const port = await new Promise((resolve) => {
      let buffered = "";
      const timer = setTimeout(() => done(null), START_TIMEOUT_MS);
      const onData = (chunk) => {
        keep(chunk);
        buffered += chunk.toString("utf8");
        const m = LISTEN_RE.exec(buffered);
        if (m) done(Number(m[1]));
      };
      const onClose = () => done(null);
      function done(p) {
        clearTimeout(timer);
        child.stderr.off("data", onData);
        child.stderr.on("data", keep);
        child.off("close", onClose);
        resolve(p);
      }
      child.stderr.on("data", onData);
      child.once("close", onClose);
    });
    if (port === null) {
      const why = spawnError ? `spawn error: ${spawnError.message}`
        : this.exit ? `natter exited (${JSON.stringify(this.exit)}) before listening`
        : `no "natter listening on" line within ${START_TIMEOUT_MS} ms`;
      if (this.running()) await this.kill();
      throw new Error(`${why}\n${this.logs()}`);
    }
    this.port = port;
    return this;
  }

  running() {
    return this.child !== null && this.exit === null;
  }

  /** The last `lines` lines of the server's stdout+stderr, plus its exit status if it is gone. */
  logs(lines = 60) {
    const text = this.output.split("\n").slice(-lines).join("\n");
    return `--- natter output (last ${lines} lines) ---\n${text}`;
  }

  /** One line for error messages: is the server still up? */
  status() {
    if (!this.child) return "server never started";
    if (this.running()) return `server running on port ${this.port}`;
    return `SERVER IS GONE (${JSON.stringify(this.exit)})\n${this.logs(40)}`;
  }

  async kill() {
    if (this.running()) this.child.kill("SIGKILL");
    if (this.child) await this.exited;
  }

  /** SIGTERM; resolves when the server exited 0, throws (with its output) otherwise. */
  async stop() {
    if (!this.child) return;
    if (this.running()) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    const { code, signal } = this.exit;
    if (code !== 0) {
      throw new Error(`natter did not exit 0 after SIGTERM (code=${code}, signal=${signal})\n${this.logs(80)}`);
    }
  }

  /** stop() (asserting exit 0), then start again on the same data dir, secret and flags. */
  async restart() {
    await this.stop();
    return this.start();
  }

  /** Stops the server if still running and removes its directory. */
  async dispose() {
    try {
      await this.stop();
    } finally {
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}

// ---- tokens ------------------------------------------------------------------------------------

const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** An HS256 JWT over `claims`, signed with `secret` (to forge expired / unknown-user tokens). */
export function signJwt(claims, secret) {
  const head = b64url({ alg: "HS256", typ: "JWT" });
  const body = b64url(claims);
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---- REST --------------------------------------------------------------------------------------

export function uniqueEmail(prefix = "user") {
  return `${prefix}-${randomUUID().slice(0, 12)}@example.com`;
}

/** Thin fetch wrapper over natter's REST API. Every call returns { status, body } (body parsed). */
export class Api {
  constructor(server) {
    this.server = server;
  }

  async request(method, urlPath, { token, json, form, query } = {}) {
    const url = new URL(this.server.url + urlPath);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, String(v));
    const headers = {};
    let body;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = new URLSearchParams(form);
    }
    let res;
    try {
      res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    } catch (e) {
      throw new Error(`${method} ${urlPath} failed: ${e.message} (${this.server.status()})`);
    }
    const text = await res.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed };
  }

  async ok(method, urlPath, opts) {
    const r = await this.request(method, urlPath, opts);
    assert.equal(r.status, 200, `${method} ${urlPath}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** POST /api/auth/login (form) → access_token. */
  async login(email, name) {
    const body = await this.ok("POST", "/api/auth/login", { form: { email, name } });
    assert.equal(typeof body.access_token, "string");
    return body.access_token;
  }

  /** A freshly created user: { email, name, token }. */
  async newUser(prefix = "user") {
    const email = uniqueEmail(prefix);
    const name = `${prefix[0].toUpperCase()}${prefix.slice(1)} Tester`;
    return { email, name, token: await this.login(email, name) };
  }

  me(user) {
    return this.ok("GET", "/api/users/me", { token: user.token });
  }

  search(user, query) {
    return this.ok("GET", "/api/users/search", { token: user.token, query: { query } });
  }

  /** is_online of `other` as `viewer` sees it in /api/users/search. */
  async searchOnline(viewer, other) {
    const found = (await this.search(viewer, other.email)).filter((u) => u.email === other.email);
    assert.equal(found.length, 1, `search for ${other.email} as ${viewer.email}: ${JSON.stringify(found)}`);
    return found[0].is_online;
  }

  conversations(user) {
    return this.ok("GET", "/api/conversations", { token: user.token });
  }

  /** The caller's conversation with `other`, or undefined. */
  async conversationWith(user, other) {
    const found = (await this.conversations(user)).filter((c) => c.participants.includes(other.email));
    assert.ok(found.length <= 1, `more than one conversation with ${other.email}: ${JSON.stringify(found)}`);
    return found[0];
  }

  messages(user, conversationId, query = { skip: 0, limit: 100 }) {
    return this.ok("GET", `/api/conversations/${conversationId}/messages`, { token: user.token, query });
  }

  sendRaw(user, body) {
    return this.request("POST", "/api/messages/send", { token: user.token, json: body });
  }

  send(user, to, message, extra = {}) {
    return this.ok("POST", "/api/messages/send", {
      token: user.token,
      json: { to_email: to.email, message, message_type: "text", ...extra },
    });
  }

  markRead(user, conversationId) {
    return this.ok("POST", `/api/conversations/${conversationId}/mark-read`, { token: user.token });
  }

  /** POST /api/conversations/start → { conversation_id, participants }. */
  start(user, other) {
    return this.ok("POST", "/api/conversations/start", { token: user.token, form: { to_email: other.email } });
  }
}

// ---- sockets and their events ------------------------------------------------------------------

function describeArgs(args) {
  return args.map((a) => (a instanceof Error ? `Error(${a.message})` : JSON.stringify(a))).join(", ");
}

/**
 * Every event a socket receives, in arrival order (socket.onAny plus the reserved connect /
 * connect_error / disconnect). `next()` consumes occurrences so a test can wait for the 2nd one.
 */
export class Recorder {
  constructor(socket, label, server) {
    this.label = label;
    this.server = server;
    this.entries = []; // { event, args, consumed }
    this.waiters = new Set();
    socket.onAny((event, ...args) => this.push(event, args));
    for (const reserved of ["connect", "connect_error", "disconnect"]) {
      socket.on(reserved, (...args) => this.push(reserved, args));
    }
  }

  push(event, args) {
    const entry = { event, args, consumed: false };
    this.entries.push(entry);
    for (const w of [...this.waiters]) w(entry);
  }

  /**
   * First payload argument of every `event` received so far (optionally filtered), or only of
   * those received after `mark()` returned `since`.
   */
  all(event, where = () => true, since = 0) {
    return this.entries.slice(since).filter((e) => e.event === event && where(e.args[0])).map((e) => e.args[0]);
  }

  /** A position in the event log, for all(..., since) / assertNone(..., since). */
  mark() {
    return this.entries.length;
  }

  summary() {
    return this.entries.map((e) => `${e.event}(${describeArgs(e.args)})`).join("\n    ") || "(none)";
  }

  /**
   * Resolves with the first payload argument of the next not-yet-consumed `event` for which
   * `where(payload)` holds; rejects after `timeout` ms, listing what did arrive.
   */
  next(event, { where = () => true, timeout = EVENT_TIMEOUT_MS } = {}) {
    return this.nextOf([event], { where, timeout }).then(({ payload }) => payload);
  }

  /**
   * Like next() for the first of several events: resolves with { event, payload } of the first
   * not-yet-consumed occurrence of any of `events`.
   */
  nextOf(events, { where = () => true, timeout = EVENT_TIMEOUT_MS } = {}) {
    const matches = (e) => !e.consumed && events.includes(e.event) && where(e.args[0]);
    const take = (e) => {
      e.consumed = true;
      return { event: e.event, payload: e.args[0] };
    };
    const found = this.entries.find(matches);
    if (found) return Promise.resolve(take(found));
    return new Promise((resolve, reject) => {
      const waiter = (e) => {
        if (!matches(e)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        resolve(take(e));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.label}: timed out after ${timeout} ms waiting for ${events.map((e) => `"${e}"`).join(" or ")}` +
          `\n  received so far:\n    ${this.summary()}\n  ${this.server?.status() ?? ""}`));
      }, timeout);
      this.waiters.add(waiter);
    });
  }

  /** Asserts that no `event` (matching `where`) has been received (since `since`). */
  assertNone(event, where = () => true, why = "", since = 0) {
    const got = this.all(event, where, since);
    assert.deepEqual(got, [], `${this.label} unexpectedly received "${event}" ${why}\n  received:\n    ${this.summary()}`);
  }
}

/** Creates sockets for one server and transport mode; closeAll() in afterEach. */
export class Clients {
  constructor(server, mode) {
    this.server = server;
    this.mode = mode;
    this.sockets = [];
    this.n = 0;
  }

  /** A socket with its Recorder (`socket.rec`), not yet connecting. `opts` go to io(). */
  open(opts = {}, label = `socket${++this.n}`) {
    const socket = io(this.server.url, {
      forceNew: true,
      reconnection: false,
      timeout: EVENT_TIMEOUT_MS,
      ...this.mode.opts,
      ...opts,
      autoConnect: false,
    });
    socket.rec = new Recorder(socket, label, this.server);
    this.sockets.push(socket);
    return socket;
  }

  /**
   * A connected socket of `user` (token in the handshake auth object). Unless `settle: false`,
   * also waits until the server has handled the connection (presence counted, user_online sent)
   * with a round trip.
   */
  async connect(user, { label, settle = true, ...opts } = {}) {
    const socket = this.open({ auth: { token: user.token }, ...opts }, label ?? `${user.email.split("-")[0]}#${this.n + 1}`);
    socket.user = user;
    socket.connect();
    await connected(socket);
    if (settle) await roundTrip(socket);
    return socket;
  }

  /** Tries to connect with `opts` and resolves with the connect_error Error; fails if it connects. */
  async refused(opts, label = "refused") {
    const socket = this.open(opts, label);
    socket.connect();
    const { event, payload } = await socket.rec.nextOf(["connect", "connect_error"]);
    assert.equal(event, "connect_error", `${label}: the connection was accepted but should have been refused`);
    assert.equal(socket.connected, false, "a refused socket must not be connected");
    return payload;
  }

  closeAll() {
    for (const s of this.sockets) {
      s.disconnect();
      s.io.reconnection(false);
      s.io._close?.();
    }
    this.sockets = [];
  }
}

/** Resolves once `socket` is connected; rejects (with the server status) on connect_error / timeout. */
export async function connected(socket, timeout = EVENT_TIMEOUT_MS) {
  if (socket.connected) return;
  const { event, payload } = await socket.rec.nextOf(["connect", "connect_error"], { timeout });
  if (event === "connect") return;
  throw new Error(`${socket.rec.label}: could not connect: connect_error ${payload?.message}` +
    `\n  ${socket.rec.server?.status() ?? ""}`);
}

/** emit with an acknowledgement; resolves with the ack's first argument. */
export async function emitWithAck(socket, event, ...args) {
  try {
    return await socket.timeout(EVENT_TIMEOUT_MS).emitWithAck(event, ...args);
  } catch (e) {
    throw new Error(`${socket.rec.label}: no ack for "${event}" (${e.message})\n  ${socket.rec.server?.status() ?? ""}`);
  }
}

/**
 * A round trip on `socket`: get_online_users with an ack (natter acks, then also emits
 * online_users; that event is consumed here). Every packet this socket sent before — and the
 * server's handling of its connection — is done when it resolves: a socket's packets are handled
 * in order. Resolves with the ack's payload.
 */
export async function roundTrip(socket) {
  const reply = await emitWithAck(socket, "get_online_users");
  assert.ok(reply && Array.isArray(reply.users), `get_online_users ack: ${JSON.stringify(reply)}`);
  const event = await socket.rec.next("online_users");
  assert.deepEqual(event, reply, "the online_users event carries the same list as the ack");
  return reply;
}

/**
 * An ordering barrier for negative assertions. A fresh "barrier" user sends each distinct user of
 * `sockets` a REST message; resolves once every socket received its new_message. Socket.IO
 * delivers in order per connection, so anything the server emitted to these sockets before the
 * barrier started has arrived by then. The barrier messages come from the barrier user only.
 */
export async function barrier(api, sockets) {
  const from = await api.newUser("barrier");
  const sent = new Map();
  for (const s of sockets) {
    if (!sent.has(s.user.email)) sent.set(s.user.email, await api.send(from, s.user, `barrier ${randomUUID()}`));
  }
  await Promise.all(sockets.map((s) => s.rec.next("new_message", { where: (m) => m.id === sent.get(s.user.email).id })));
  return from;
}

// ---- payload shapes (from the API document) ----------------------------------------------------

export const MESSAGE_KEYS = ["conversation_id", "edited", "id", "message", "message_type", "reply_to",
  "sender_email", "sender_name", "timestamp"];
export const NOTIFICATION_KEYS = ["conversation_id", "message", "sender_email", "sender_name"];
const OBJECT_ID_RE = /^[0-9a-f]{24}$/;
const TIMESTAMP_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

export function assertKeys(obj, keys, what) {
  assert.ok(obj && typeof obj === "object" && !Array.isArray(obj), `${what} is not an object: ${JSON.stringify(obj)}`);
  assert.deepEqual(Object.keys(obj).sort(), [...keys].sort(), `${what} keys: ${JSON.stringify(obj)}`);
}

export function assertObjectId(v, what = "id") {
  assert.ok(typeof v === "string" && OBJECT_ID_RE.test(v), `${what} is not an ObjectId: ${JSON.stringify(v)}`);
}

/** A complete message object (new_message / ack / REST history) with the expected values. */
export function assertMessage(m, { from, text, type = "text", replyTo = null, conversationId } = {}) {
  assertKeys(m, MESSAGE_KEYS, "message");
  assertObjectId(m.id, "message id");
  assertObjectId(m.conversation_id, "conversation_id");
  if (conversationId !== undefined) assert.equal(m.conversation_id, conversationId);
  if (from) {
    assert.equal(m.sender_email, from.email);
    assert.equal(m.sender_name, from.name);
  }
  if (text !== undefined) assert.equal(m.message, text);
  assert.ok(TIMESTAMP_RE.test(m.timestamp), `timestamp ${JSON.stringify(m.timestamp)}`);
  assert.equal(m.message_type, type);
  assert.equal(m.edited, false);
  assert.equal(m.reply_to, replyTo);
}

export function isoToMillis(ts) {
  return Date.parse(ts);
}

// ---- suites ------------------------------------------------------------------------------------

/**
 * Call inside a describe(): starts one natter (with `args`) for the suite, makes `ctx.api` and
 * `ctx.clients` (sockets in `mode`), closes the sockets after each test and stops the server —
 * asserting exit status 0 — after the suite.
 */
export function useServer(mode, { args = [] } = {}) {
  const ctx = { server: null, api: null, clients: null };
  before(async () => {
    ctx.server = await new NatterServer({ args }).start();
    ctx.api = new Api(ctx.server);
    ctx.clients = new Clients(ctx.server, mode);
  });
  afterEach(() => ctx.clients?.closeAll());
  after(async () => {
    ctx.clients?.closeAll();
    await ctx.server?.dispose();
  });
  return ctx;
}
