// An echo listener made with the official hyco-ws package.
// usage: node hyco_ws_listener.js LISTEN_URL SAS_RESOURCE KEY_NAME KEY
// KEY_NAME '-': KEY is a token to present as it is (an Entra JWT).
const WS = require('hyco-ws');
const [url, resource, keyName, key] = process.argv.slice(2);
const token = keyName === '-' ? () => key : () => WS.createRelayToken(resource, keyName, key);
const server = WS.createRelayedServer(
  { server: url, token },
  (ws) => ws.on('message', (m) => ws.send(m)));
server.on('listening', () => console.log('listening'));
server.on('error', (e) => console.error('error', e && e.message));
process.stdin.on('end', () => { server.close(); process.exit(0); });
process.stdin.resume();
