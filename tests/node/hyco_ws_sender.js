// A sender made with the official hyco-ws package: sends each message, prints each reply.
// usage: node hyco_ws_sender.js CONNECT_URL SAS_RESOURCE KEY_NAME KEY MESSAGE...
// KEY_NAME '-': KEY is a token to present as it is (an Entra JWT).
// A MESSAGE 'bin:N' is sent as a binary message of N patterned bytes; its reply is checked
// byte for byte and printed as 'bin:N ok' (or 'bin:N differs').
const WS = require('hyco-ws');
const [url, resource, keyName, key, ...messages] = process.argv.slice(2);
const token = keyName === '-' ? key : WS.createRelayToken(resource, keyName, key);
const payload = (m) => {
  if (!m.startsWith('bin:')) return m;
  const n = parseInt(m.slice(4), 10);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i % 253;
  return b;
};
WS.relayedConnect(url, token, (socket) => {
  let i = 0;
  let sent = payload(messages[0]);
  socket.on('message', (m) => {
    if (Buffer.isBuffer(sent)) {
      const reply = Buffer.isBuffer(m) ? m : Buffer.from(m);
      console.log(`${messages[i]} ${reply.equals(sent) ? 'ok' : 'differs'}`);
    } else {
      console.log(m.toString());
    }
    i += 1;
    if (i < messages.length) { sent = payload(messages[i]); socket.send(sent); } else { socket.close(); process.exit(0); }
  });
  socket.send(sent);
}).on('error', (e) => { console.error('error', e && e.message); process.exit(2); });
setTimeout(() => { console.error('timeout'); process.exit(3); }, 20000);
