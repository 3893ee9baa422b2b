// The hyco-ws pair for the relay bench: a hyco-ws echo listener and hyco-ws senders doing
// request/reply with 1 KiB messages. Prints one JSON line.
// usage: node bench_hyco_ws.js LISTEN_URL CONNECT_URL SAS_RESOURCE KEY_NAME KEY CONNECTIONS MESSAGES_EACH
const WS = require('hyco-ws');
const [listenUrl, connectUrl, resource, keyName, key, conns, each] = process.argv.slice(2);
const connections = parseInt(conns, 10);
const perConnection = parseInt(each, 10);
const payload = 'x'.repeat(1024);
const server = WS.createRelayedServer(
  { server: listenUrl, token: () => WS.createRelayToken(resource, keyName, key) },
  (ws) => ws.on('message', (m) => ws.send(m)));
server.on('listening', () => {
  const latencies = [];
  let done = 0;
  const start = process.hrtime.bigint();
  for (let c = 0; c < connections; c++) {
    WS.relayedConnect(connectUrl, WS.createRelayToken(resource, keyName, key), (socket) => {
      let sent = 0;
      let t0 = 0n;
      const next = () => { t0 = process.hrtime.bigint(); socket.send(payload); };
      socket.on('message', () => {
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        sent += 1;
        if (sent < perConnection) { next(); return; }
        socket.close();
        done += 1;
        if (done === connections) {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          latencies.sort((a, b) => a - b);
          const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
          console.log(JSON.stringify({ messages_per_second: latencies.length / seconds, p50_ms: pick(0.5), p99_ms: pick(0.99) }));
          process.exit(0);
        }
      });
      next();
    });
  }
});
setTimeout(() => { console.error('timeout'); process.exit(3); }, 120000);
