// fake_redis_master.js PORT RDB_FILE: a stand-in for a Redis master that
// hands out one given RDB file over the replication protocol, byte for
// byte. The Redis tests use it to put into a snapshot an RDB that a real
// server would never send: one that lifeboat's parser accepts but the
// installed redis-server cannot load (a newer RDB version), so that
// `verify` has to fail and say why. It answers INFO with a version line,
// SYNC and PSYNC with the file, and +OK to everything else (REPLCONF,
// AUTH, SELECT). Prints "ready" once it listens.
const net = require("net");
const fs = require("fs");
const [port, file] = process.argv.slice(2);
const rdb = fs.readFileSync(file);

function commands(buf) {  // complete RESP arrays in buf: [[args...], ...], rest
  const out = [];
  let pos = 0;
  for (;;) {
    if (buf[pos] !== 0x2a) break;  // '*'
    let eol = buf.indexOf("\r\n", pos);
    if (eol < 0) break;
    const n = parseInt(buf.toString("latin1", pos + 1, eol), 10);
    let p = eol + 2;
    const args = [];
    let complete = true;
    for (let i = 0; i < n; i++) {
      eol = buf.indexOf("\r\n", p);
      if (eol < 0) { complete = false; break; }
      const len = parseInt(buf.toString("latin1", p + 1, eol), 10);
      if (buf.length < eol + 2 + len + 2) { complete = false; break; }
      args.push(buf.toString("latin1", eol + 2, eol + 2 + len));
      p = eol + 2 + len + 2;
    }
    if (!complete) break;
    out.push(args);
    pos = p;
  }
  return [out, buf.subarray(pos)];
}

net.createServer((sock) => {
  let pending = Buffer.alloc(0);
  sock.on("data", (d) => {
    let cmds;
    [cmds, pending] = commands(Buffer.concat([pending, d]));
    for (const args of cmds) {
      const cmd = args[0].toUpperCase();
      if (cmd === "INFO") {
        const body = "# Server\r\nredis_version:7.2.4\r\n";
        sock.write(`$${body.length}\r\n${body}\r\n`);
      } else if (cmd === "SYNC" || cmd === "PSYNC") {
        if (cmd === "PSYNC") sock.write("+FULLRESYNC " + "0".repeat(40) + " 0\r\n");
        sock.write(`$${rdb.length}\r\n`);
        sock.write(rdb);
      } else {
        sock.write("+OK\r\n");
      }
    }
  });
  sock.on("error", () => {});
}).listen(Number(port), "127.0.0.1", () => console.log("ready"));
