// The official HTTP pair for the relay bench: senders made with Node's https (as the hyco-https
// samples send), CONNECTIONS requests in flight over keep-alive connections, REQUESTS POSTs of
// 1 KiB in all, answered by a hyco-https echo listener. Prints one JSON line.
// usage: node bench_hyco_https.js LISTEN_URL SEND_URL SAS_RESOURCE KEY_NAME KEY CONNECTIONS REQUESTS
// LISTEN_URL '-': senders only (the listener runs in another process: hyco_https_listener.js).
const relayed = require('hyco-https');
const https = require('node:https');
const [listenUrl, sendUrl, resource, keyName, key, conns, total] = process.argv.slice(2);
const connections = parseInt(conns, 10);
const requests = parseInt(total, 10);
const payload = Buffer.alloc(1024, 'x');

const send = () => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(sendUrl);
  const latencies = [];
  let started = 0;
  const start = process.hrtime.bigint();
  const one = () => {
    if (started >= requests) return;
    started += 1;
    const t0 = process.hrtime.bigint();
    const req = https.request({
      agent, method: 'POST', hostname: target.hostname, port: target.port || 443,
      path: target.pathname,
      headers: {
        ServiceBusAuthorization: relayed.createRelayToken(resource, keyName, key),
        'Content-Length': payload.length,
      },
    }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        if (res.statusCode !== 200) { console.error('status', res.statusCode); process.exit(4); }
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (latencies.length === requests) {
          const seconds = Number(process.hrtime.bigint() - start) / 1e9;
          latencies.sort((a, b) => a - b);
          const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
          console.log(JSON.stringify({ requests_per_second: latencies.length / seconds, p50_ms: pick(0.5), p99_ms: pick(0.99) }));
          process.exit(0);
        }
        one();
      });
    });
    req.on('error', (e) => { console.error('request', e.message); process.exit(5); });
    req.end(payload);
  };
  for (let c = 0; c < connections; c++) one();
};

if (listenUrl === '-') {
  send();
} else {
  const server = relayed.createRelayedServer(
    { server: listenUrl, token: () => relayed.createRelayToken(resource, keyName, key) },
    (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => res.end(Buffer.concat(chunks)));
    });
  server.on('error', (e) => console.error('error', e && e.message));
  server.on('listening', send);
  server.listen();
}
setTimeout(() => { console.error('timeout'); process.exit(3); }, 120000);
