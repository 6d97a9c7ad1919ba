// A server whose clock is off, for tests only: this machine's clock is not
// ours to move, so this proxy sits in front of a real S3 server (radosgw),
// forwards every request unchanged (radosgw still checks each signature
// against its own, correct clock) and moves the Date header of every
// answer by SHIFT_SECONDS (negative: the server seems behind). doctor reads
// the skew from that header.
//
//   node skew_proxy.js LISTEN_PORT UPSTREAM_HOST:PORT SHIFT_SECONDS
const http = require('http');
const [port, upstream, shift] = process.argv.slice(2);
const [upHost, upPort] = upstream.split(':');

http.createServer((req, res) => {
      const up = http.request(
          {host: upHost, port: upPort, method: req.method, path: req.url, headers: req.headers}, (ur) => {
            const headers = {...ur.headers};
            const date = Date.parse(headers.date || '') || Date.now();
            headers.date = new Date(date + Number(shift) * 1000).toUTCString();
            res.writeHead(ur.statusCode, headers);
            ur.pipe(res);
          });
      up.on('error', (e) => {
        res.writeHead(502);
        res.end(e.message);
      });
      req.pipe(up);
    })
    .listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
