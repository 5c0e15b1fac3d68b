'use strict';
// A raw WebSocket echo server on Node's `ws` (the library under socket.io), for `natter-bench echo`:
// the WebSocket ceiling of a Node process on this machine, beside the chat servers. Not part of
// natter. Needs `ws` on NODE_PATH (run.sh points it at the peer's node_modules).
// Env: PORT (0 = any), HOST (127.0.0.1).
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT || 0) });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => console.log(`ws echo listening on 127.0.0.1:${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
