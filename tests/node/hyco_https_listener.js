// An HTTP echo listener made with the official hyco-https package.
// usage: node hyco_https_listener.js LISTEN_URL SAS_RESOURCE KEY_NAME KEY
// KEY_NAME '-': KEY is a token to present as it is (an Entra JWT).
const https = require('hyco-https');
const [url, resource, keyName, key] = process.argv.slice(2);
const token = keyName === '-' ? () => key : () => https.createRelayToken(resource, keyName, key);
const server = https.createRelayedServer(
  { server: url, token },
  (req, res) => {
    const chunks = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      // A path with /taken: a status with its own reason phrase, as a listener may give one.
      if (req.url.includes('/taken')) {
        res.writeHead(202, 'Taken', { 'X-Method': req.method });
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('X-Method', req.method);
      res.setHeader('X-Url', req.url);
      // res.end() of an empty Buffer sends nothing at all in hyco-https 1.4.5: end() it bare.
      const body = Buffer.concat(chunks);
      if (body.length) res.end(body); else res.end();
    };
    req.on('data', (c) => chunks.push(c));
    req.on('end', finish);
    // hyco-https ends a bodiless request before anyone listens, and then never emits 'end'.
    if (req._readableState && req._readableState.ended && req._readableState.length === 0) finish();
  });
server.on('listening', () => console.log('listening'));
server.on('error', (e) => console.error('error', e && e.message));
server.listen();
process.stdin.on('end', () => { server.close(); process.exit(0); });
process.stdin.resume();
