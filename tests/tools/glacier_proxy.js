// A stand-in for S3 Glacier's archive tier, for tests only: no Glacier can
// run on these machines, and radosgw 16.2 has no RestoreObject for its
// own storage classes. It sits in front of a real S3 server (radosgw),
// forwards every request unchanged (so radosgw still checks each
// signature), and gives the objects named in ARCHIVED_FILE (one
// "bucket/key" per line, read at each request, as a lifecycle rule would
// have moved them) what AWS documents for the GLACIER class:
//
//   - GET answers 403 InvalidObjectState until the object is restored;
//   - HEAD and ListObjectsV2 say GLACIER (x-amz-storage-class, StorageClass);
//   - POST ?restore answers 202 the first time, 409 RestoreAlreadyInProgress
//     while the restore runs, 200 once the copy is there; HEAD says
//     x-amz-restore: ongoing-request="true" for THAW_HEADS heads, then
//     ongoing-request="false" with an expiry date, and GET reads again.
//
// Each restore request is logged as "RESTORE bucket/key TIER DAYS".
// Not Glacier's: the hours a Standard restore takes, and its cost.
//
//   node glacier_proxy.js LISTEN_PORT UPSTREAM_HOST:PORT ARCHIVED_FILE THAW_HEADS
const http = require('http');
const fs = require('fs');
const [port, upstream, archivedFile, thawHeads] = process.argv.slice(2);
const [upHost, upPort] = upstream.split(':');
const restores = new Map();  // bucket/key -> heads left before the copy is ready

const archived = () => {
  try {
    return new Set(fs.readFileSync(archivedFile, 'utf8').split('\n').filter((l) => l));
  } catch (e) {
    return new Set();
  }
};

const xmlError = (res, status, code, message) => {
  const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${
      message}</Message></Error>`;
  res.writeHead(status, {'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
};

// Forwards the request; `edit(status, headers, body)` may change the answer
// (then the body is buffered), else it streams through.
const forward = (req, body, res, edit) => {
  const up = http.request(
      {host: upHost, port: upPort, method: req.method, path: req.url, headers: req.headers},
      (ur) => {
        if (!edit) {
          res.writeHead(ur.statusCode, ur.headers);
          ur.pipe(res);
          return;
        }
        const chunks = [];
        ur.on('data', (c) => chunks.push(c));
        ur.on('end', () => {
          const headers = {...ur.headers};
          let out = Buffer.concat(chunks);
          const edited = edit(ur.statusCode, headers, out);
          if (edited !== undefined) out = Buffer.from(edited);
          delete headers['transfer-encoding'];
          if (req.method !== 'HEAD') headers['content-length'] = out.length;
          res.writeHead(ur.statusCode, headers);
          res.end(req.method === 'HEAD' ? undefined : out);
        });
      },
  );
  up.on('error', (e) => xmlError(res, 502, 'ProxyError', e.message));
  up.end(body);
};

http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const url = new URL(req.url, 'http://proxy');
        const path = decodeURIComponent(url.pathname).replace(/^\//, '');
        const cold = archived();
        const isCold = cold.has(path);
        const left = restores.get(path);
        if (req.method === 'POST' && url.searchParams.has('restore')) {
          if (!isCold)
            return xmlError(
                res, 403, 'InvalidObjectState',
                'Restore is not allowed for the object\'s current storage class');
          const text = body.toString();
          const days = (text.match(/<Days>(\d+)<\/Days>/) || [])[1];
          const tier = (text.match(/<Tier>(\w+)<\/Tier>/) || [])[1] || 'Standard';
          if (!days) return xmlError(res, 400, 'MalformedXML', 'no Days');
          console.log(`RESTORE ${path} ${tier} ${days}`);
          if (left === undefined) {
            restores.set(path, Number(thawHeads));
            res.writeHead(202);
            return res.end();
          }
          if (left > 0)
            return xmlError(res, 409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
          res.writeHead(200);
          return res.end();
        }
        if (isCold && req.method === 'HEAD') {
          return forward(req, body, res, (status, headers) => {
            if (status !== 200) return undefined;
            headers['x-amz-storage-class'] = 'GLACIER';
            if (left !== undefined && left > 0) {
              restores.set(path, left - 1);
              headers['x-amz-restore'] = 'ongoing-request="true"';
            } else if (left !== undefined) {
              const expiry = new Date(Date.now() + 86400000).toUTCString();
              headers['x-amz-restore'] = `ongoing-request="false", expiry-date="${expiry}"`;
            }
            return undefined;
          });
        }
        if (isCold && req.method === 'GET' && !(left === 0)) {
          return xmlError(
              res, 403, 'InvalidObjectState', 'The operation is not valid for the object\'s storage class');
        }
        if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
          const bucket = path.split('/')[0];
          return forward(req, body, res, (status, headers, out) => {
            if (status !== 200) return undefined;
            return out.toString().replace(/<Contents>[\s\S]*?<\/Contents>/g, (c) => {
              const key = (c.match(/<Key>([\s\S]*?)<\/Key>/) || [])[1];
              if (!cold.has(`${bucket}/${key}`)) return c;
              return c.replace(/<StorageClass>\w*<\/StorageClass>/, '<StorageClass>GLACIER</StorageClass>');
            });
          });
        }
        return forward(req, body, res);
      });
    })
    .listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
