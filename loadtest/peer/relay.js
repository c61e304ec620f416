'use strict';
// The peer the load tool measures the SDR transport server against (docs/BENCHMARKS.md, "Peer
// comparison"): a broadcast relay as people write it with npm ws, nothing cleverer. One publisher
// on /publish sends binary messages; each goes to every viewer on /stream/ws (the path the real
// server uses, so the tool's clients need no change), except to a viewer that still has more than
// two such messages waiting in its socket: that one skips the message (it resyncs only by luck;
// the relay knows nothing of keyframes). No compression, no GOP cache, no metrics.
//
//   node relay.js PORT        (listens on 127.0.0.1:PORT; npm ci first)
const http = require('node:http');
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: node relay.js PORT (1-65535), got: ${process.argv[2]}`);
  process.exit(2);
}

const server = http.createServer((req, res) => res.writeHead(404).end());
const viewers = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const publishers = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
let publisher = null;
let skipped = 0;

server.on('upgrade', (req, socket, head) => {
  const path = req.url.split('?')[0];
  if (path === '/stream/ws') {
    viewers.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => {}));
  } else if (path === '/publish' && publisher === null) {
    publishers.handleUpgrade(req, socket, head, onPublisher);
  } else {
    socket.end(`HTTP/1.1 ${path === '/publish' ? '409 Conflict' : '404 Not Found'}\r\nConnection: close\r\n\r\n`);
  }
});

function onPublisher(ws) {
  publisher = ws;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const limit = 2 * data.length;
    for (const viewer of viewers.clients) {
      if (viewer.readyState !== WebSocket.OPEN) continue;
      if (viewer.bufferedAmount > limit) {
        skipped++;
        continue;
      }
      viewer.send(data);
    }
  });
  ws.on('error', () => {});
  ws.on('close', () => { publisher = null; });
}

process.on('SIGTERM', () => {
  console.log(`relay stopping: ${viewers.clients.size} viewers, ${skipped} sends skipped`);
  process.exit(0);
});
server.listen(port, '127.0.0.1', () => console.log(`relay listening on 127.0.0.1:${port}`));
