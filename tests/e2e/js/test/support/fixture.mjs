// Shared helpers for the Socket.IO end-to-end tests: start natter's conformance fixture
// (examples/conformance_server) on a free port, connect real socket.io-client sockets to it in each
// transport mode, and wait for events with bounded timeouts.
//
// Binary under test: $CONFORMANCE_BIN, else the first conformance_server found under
// <repo>/build/release/examples/ then <repo>/build/dev/examples/.
//
// This file lives under test/ so `node --test test/` also loads it as a (test-less) file: it must
// have no side effects on import.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, afterEach, before } from "node:test";
import { io, Manager } from "socket.io-client";

export { io, Manager };

const HERE = path.dirname(fileURLToPath(import.meta.url));
// test/support -> test -> js -> e2e -> tests -> <repo>
export const REPO_ROOT = path.resolve(HERE, "..", "..", "..", "..", "..");

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
export const EVENT_TIMEOUT_MS = 5_000;

// The fixture's Engine.IO heartbeat. The official suites need pingTimeout 200 ms; these tests
// run it with 1000 ms so that a loaded CI machine does not turn a late pong into a ping timeout
// (pingInterval stays 300 ms, so heartbeat tests still see many pings).
export const PING_INTERVAL_MS = 300;
export const PING_TIMEOUT_MS = 1000;
export const CONNECT_TIMEOUT_MS = 1000;

/** The three ways a client can reach the server; every behaviour is tested in each. */
export const MODES = [
  { name: "websocket-only", opts: { transports: ["websocket"] }, initial: "websocket", final: "websocket" },
  { name: "polling-then-upgrade", opts: {}, initial: "polling", final: "websocket" },
  { name: "polling-only", opts: { transports: ["polling"] }, initial: "polling", final: "polling" },
];

function findFile(dir, name, depth = 3) {
  if (!existsSync(dir)) return null;
  const direct = path.join(dir, name);
  if (existsSync(direct) && statSync(direct).isFile()) return direct;
  if (depth === 0) return null;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "CMakeFiles") {
      const found = findFile(path.join(dir, entry.name), name, depth - 1);
      if (found) return found;
    }
  }
  return null;
}

/** Absolute path of the fixture binary, or throws with a hint on how to get one. */
export function conformanceBinary() {
  if (process.env.CONFORMANCE_BIN) return path.resolve(process.env.CONFORMANCE_BIN);
  const candidates = ["release", "dev"].map((p) => path.join(REPO_ROOT, "build", p, "examples"));
  for (const dir of candidates) {
    const found = findFile(dir, "conformance_server");
    if (found) return found;
  }
  throw new Error(
    `conformance_server not found under ${candidates.join(" or ")}; build it ` +
      "(cmake --build build/<preset> --target conformance_server) or set CONFORMANCE_BIN",
  );
}

/** A TCP port that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    const done = (ok) => {
      s.removeAllListeners();
      s.destroy();
      resolve(ok);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the fixture on `port` (default: a free one) and resolves once it accepts TCP connections.
 * Returns { port, url, logs(), running(), stop(), kill() }. stop() sends SIGTERM (SIGKILL after
 * 5 s); kill() sends SIGKILL so that connections drop without any goodbye. When `port` is given
 * (a restart) and the process exits at once — the port may still be held — it is retried.
 */
export async function startFixture({ binary = conformanceBinary(), port, extraArgs = [] } = {}) {
  if (!existsSync(binary)) throw new Error(`conformance fixture binary not found: ${binary}`);
  const fixedPort = port !== undefined;
  port ??= await freePort();
  const deadline = Date.now() + START_TIMEOUT_MS;
  let output = "";
  for (;;) {
    const attempt = spawnFixture(binary, port, extraArgs, output);
    const outcome = await attempt.ready(deadline);
    if (outcome === "ready") return attempt.fixture;
    output = attempt.fixture.logs();
    if (outcome === "timeout") {
      await attempt.fixture.kill();
      throw new Error(`${binary} did not accept connections on port ${port} within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    if (!fixedPort || Date.now() > deadline) {
      throw new Error(`${binary} exited early (${outcome}) before listening on ${port}:\n${output}`);
    }
    await delay(200);
  }
}

function spawnFixture(binary, port, extraArgs, previousOutput) {
  const child = spawn(binary, ["--port", String(port), "--ping-timeout-ms", String(PING_TIMEOUT_MS), ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = previousOutput;
  const keep = (chunk) => {
    output += chunk.toString("utf8");
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exit = null;
  let spawnError = null;
  const exited = new Promise((resolve) =>
    child.once("close", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  child.once("error", (e) => {
    spawnError = e;
  });
  const terminate = async (signal) => {
    if (exit !== null) return exit;
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  const fixture = {
    port,
    url: `http://127.0.0.1:${port}`,
    binary,
    logs: () => output,
    running: () => exit === null,
    exitStatus: () => exit,
    stop: () => terminate("SIGTERM"),
    kill: () => terminate("SIGKILL"),
    restart: () => startFixture({ binary, port, extraArgs }),
  };
  const ready = async (deadline) => {
    for (;;) {
      if (spawnError) return `spawn error: ${spawnError.message}`;
      if (exit !== null) return JSON.stringify(exit);
      if (await canConnect(port)) return exit === null ? "ready" : JSON.stringify(exit);
      if (Date.now() > deadline) return "timeout";
      await delay(50);
    }
  };
  return { fixture, ready };
}

/**
 * Resolves with the argument list of the next `event` on a socket.io-client emitter (Socket,
 * Manager or engine Socket); rejects after `timeout` ms, or as soon as one of `failOn` fires.
 */
export function nextEvent(emitter, event, { timeout = EVENT_TIMEOUT_MS, failOn = [] } = {}) {
  return new Promise((resolve, reject) => {
    const cleanups = [];
    const finish = (fn, value) => {
      for (const c of cleanups) c();
      fn(value);
    };
    const onEvent = (...args) => finish(resolve, args);
    emitter.on(event, onEvent);
    cleanups.push(() => emitter.off(event, onEvent));
    for (const bad of failOn) {
      const onBad = (...args) =>
        finish(reject, new Error(`got "${bad}" (${describe(args)}) while waiting for "${event}"`));
      emitter.on(bad, onBad);
      cleanups.push(() => emitter.off(bad, onBad));
    }
    let lastDisconnect = null;
    const onDisconnect = (reason) => (lastDisconnect = reason);
    if (event !== "disconnect") {
      emitter.on("disconnect", onDisconnect);
      cleanups.push(() => emitter.off("disconnect", onDisconnect));
    }
    const timer = setTimeout(() => {
      const why = lastDisconnect ? ` (the socket disconnected meanwhile: ${lastDisconnect})` : "";
      finish(reject, new Error(`timed out after ${timeout} ms waiting for "${event}"${why}`));
    }, timeout);
    cleanups.push(() => clearTimeout(timer));
  });
}

function describe(args) {
  return args.map((a) => (a instanceof Error ? `${a.message}` : JSON.stringify(a))).join(", ");
}

/**
 * Collects every socket / manager made by a test so that `closeAll()` (call it in afterEach) can
 * disconnect them; a leaked connection would keep the test process alive.
 */
export class Clients {
  /** `url`: the server's URL, or a function returning it (the server may be replaced). */
  constructor(url) {
    this.urlOf = typeof url === "function" ? url : () => url;
    this.sockets = [];
    this.managers = [];
  }

  get url() {
    return this.urlOf();
  }

  /** io(url + nsp, {forceNew, reconnection:false, ...mode, ...opts}) — connects immediately. */
  socket(mode, { nsp = "/", ...opts } = {}) {
    const s = io(this.url + (nsp === "/" ? "" : nsp), {
      forceNew: true,
      reconnection: false,
      timeout: EVENT_TIMEOUT_MS,
      ...mode.opts,
      ...opts,
    });
    this.sockets.push(s);
    this.managers.push(s.io);
    return s;
  }

  manager(mode, opts = {}) {
    const m = new Manager(this.url, {
      reconnection: false,
      timeout: EVENT_TIMEOUT_MS,
      ...mode.opts,
      ...opts,
    });
    this.managers.push(m);
    return m;
  }

  /** A socket of `manager` for `nsp` (tracked). */
  socketOf(manager, nsp, opts) {
    const s = manager.socket(nsp, opts);
    this.sockets.push(s);
    return s;
  }

  closeAll() {
    for (const s of this.sockets) s.disconnect();
    for (const m of this.managers) {
      m.reconnection(false);
      m.disconnect();
    }
    this.sockets = [];
    this.managers = [];
  }
}

/**
 * Registers hooks that start one fixture for the calling test file and returns a context whose
 * `fixture` and `clients` (a Clients for that fixture) are set once the file's tests run. After
 * each test all its clients are closed, and if the fixture died during the test that test fails
 * with the fixture's output and a fresh fixture is started for the tests that follow.
 */
export function useFixture() {
  const ctx = { fixture: null, clients: null };
  before(async () => {
    ctx.fixture = await startFixture();
    ctx.clients = new Clients(() => ctx.fixture.url);
  });
  afterEach(async () => {
    ctx.clients?.closeAll();
    if (ctx.fixture && !ctx.fixture.running()) {
      const dead = ctx.fixture;
      ctx.fixture = await startFixture();
      throw new Error(
        `the conformance fixture died during this test (exit ${JSON.stringify(dead.exitStatus())}); its output:\n` +
          dead.logs().slice(-4000),
      );
    }
  });
  after(async () => {
    ctx.clients?.closeAll();
    await ctx.fixture?.stop();
  });
  return ctx;
}

/** Resolves once `socket` is connected; rejects on connect_error or timeout. */
export async function connected(socket, timeout = EVENT_TIMEOUT_MS) {
  if (socket.connected) return;
  await nextEvent(socket, "connect", { timeout, failOn: ["connect_error"] });
}

/**
 * Connects a socket and returns [socket, authPayload], listening for the fixture's `auth` event
 * before the connection starts so it cannot be missed.
 */
export async function connectWithAuth(clients, mode, opts = {}) {
  const socket = clients.socket(mode, { ...opts, autoConnect: false });
  const auth = nextEvent(socket, "auth", { failOn: ["connect_error"] });
  socket.connect();
  const [payload] = await auth;
  assertConnected(socket);
  return [socket, payload];
}

function assertConnected(socket) {
  if (!socket.connected) throw new Error("socket received 'auth' but is not connected");
}

/** Emits `message` and resolves with the arguments of the `message-back` that follows. */
export async function roundTrip(socket, ...args) {
  const back = nextEvent(socket, "message-back", { failOn: ["disconnect"] });
  socket.emit("message", ...args);
  return back;
}

/** Normalises a binary value received by socket.io-client (Buffer / ArrayBuffer / view) to Buffer. */
export function asBuffer(value) {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`expected binary data, got ${Object.prototype.toString.call(value)}: ${JSON.stringify(value)}`);
}

export function isBinary(value) {
  return Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

export { delay };
