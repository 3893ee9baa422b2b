// A sender made with the official hyco-ws package: sends each message, prints each reply.
// usage: node hyco_ws_sender.js CONNECT_URL SAS_RESOURCE KEY_NAME KEY MESSAGE...
const WS = require('hyco-ws');
const [url, resource, keyName, key, ...messages] = process.argv.slice(2);
const token = WS.createRelayToken(resource, keyName, key);
WS.relayedConnect(url, token, (socket) => {
  let i = 0;
  socket.on('message', (m) => {
    console.log(m.toString());
    i += 1;
    if (i < messages.length) socket.send(messages[i]); else { socket.close(); process.exit(0); }
  });
  socket.send(messages[0]);
}).on('error', (e) => { console.error('error', e && e.message); process.exit(2); });
setTimeout(() => { console.error('timeout'); process.exit(3); }, 20000);
