# Shared helpers for the integration tests. Source it; it sets up a scratch
# directory that is removed on exit, and fails the test on the first error.
set -euo pipefail

: "${LIFEBOAT:?set LIFEBOAT to the lifeboat binary}"
: "${TREE_MANIFEST:?set TREE_MANIFEST to the tree_manifest binary}"

WORK=$(mktemp -d /tmp/lifeboat-test.XXXXXX)
# TMPDIR of its own, so suites running side by side never see each other's
# scratch servers and restores; world-traversable because a scratch
# PostgreSQL runs as an unprivileged user inside it.
LB_TMP=$(mktemp -d /tmp/lifeboat-tmp.XXXXXX)
chmod 755 "$LB_TMP"
export TMPDIR=$LB_TMP
cleanup() {
  local rc=$?
  if [[ -n ${S3_PID:-} ]]; then kill "$S3_PID" 2>/dev/null || true; fi
  for d in "${CLEANUP_PG_DATA[@]}"; do
    [[ -f $d/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
  done
  if [[ -n ${PG_DIR:-} ]]; then stop_postgres; rm -rf "$PG_DIR"; fi
  for pid in "${CLEANUP_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for d in "${CLEANUP_DIRS[@]}"; do rm -rf "$d"; done
  if mountpoint -q "$WORK/small" 2>/dev/null; then umount "$WORK/small" || true; fi
  rm -rf "$WORK" "$LB_TMP"
  exit "$rc"
}
CLEANUP_PG_DATA=()  # data directories of servers a test started itself
CLEANUP_DIRS=()     # more directories to remove
CLEANUP_PIDS=()     # servers (redis-server) to kill
trap cleanup EXIT

export LIFEBOAT_PASSWORD=correct-horse-battery
export RESTIC_PASSWORD=$LIFEBOAT_PASSWORD
export XDG_CACHE_HOME=$WORK/.cache
# Tiny scrypt parameters so the suite does not spend its time in the KDF.
# One test (key strength) runs without this.
export LIFEBOAT_INSECURE_TEST_KDF=1
unset LIFEBOAT_REPOSITORY LIFEBOAT_PASSWORD_FILE LIFEBOAT_PASSWORD_COMMAND

lb() { "$LIFEBOAT" "$@"; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

step() { echo "--- $*"; }

# expect_exit CODE CMD...: runs CMD, fails unless it exits with CODE. Its
# stderr is kept in $WORK/last.err and stdout in $WORK/last.out.
expect_exit() {
  local want=$1
  shift
  set +e
  "$@" >"$WORK/last.out" 2>"$WORK/last.err"
  local got=$?
  set -e
  if [[ $got -ne $want ]]; then
    echo "stdout:" >&2; cat "$WORK/last.out" >&2
    echo "stderr:" >&2; cat "$WORK/last.err" >&2
    fail "expected exit $want, got $got from: $*"
  fi
}

# expect_stderr PATTERN: the last expect_exit's stderr matches PATTERN.
expect_stderr() {
  grep -Eq -- "$1" "$WORK/last.err" || { cat "$WORK/last.err" >&2; fail "stderr does not match /$1/"; }
}

# json_field FIELD: reads a field from the last line of JSON on stdin.
json_field() { tail -n 1 | jq -r ".$1"; }

# same_tree A B [nosparse]: the two trees hold the same entries with the
# same contents and metadata. With nosparse, holes in files are not compared
# (restic 0.14 has no sparse restore).
same_tree() {
  "$TREE_MANIFEST" "$1" >"$WORK/manifest.a"
  "$TREE_MANIFEST" "$2" >"$WORK/manifest.b"
  if [[ ${3:-} == nosparse ]]; then sed -i 's/ sparse//' "$WORK/manifest.a" "$WORK/manifest.b"; fi
  if ! diff -u "$WORK/manifest.a" "$WORK/manifest.b" >"$WORK/manifest.diff"; then
    head -40 "$WORK/manifest.diff" >&2
    fail "trees differ: $1 vs $2"
  fi
}

# random_file PATH BYTES [SEED]: deterministic incompressible content.
random_file() {
  openssl enc -aes-128-ctr -nosalt -pass "pass:${3:-$1}" -in <(head -c "$2" /dev/zero) -out "$1" 2>/dev/null
}

# make_tree DIR [with_odd_names]: a tree with every kind of entry and
# metadata lifeboat must reproduce.
make_tree() {
  local d=$1 odd=${2:-yes}
  mkdir -p "$d/etc/app" "$d/data/empty-dir" "$d/deep/a/b/c/d/e/f/g" "$d/sticky" "$d/setgid"
  echo '{"db": "postgres://app@db/app"}' >"$d/etc/app/appsettings.json"
  printf 'LOG_LEVEL=info\n' >"$d/etc/app/.env"
  : >"$d/data/empty-file"
  random_file "$d/data/random-3m.bin" $((3 * 1024 * 1024)) seed1
  random_file "$d/data/random-700k.bin" $((700 * 1024)) seed2
  head -c $((2 * 1024 * 1024)) < <(yes "a line of log text that compresses well") >"$d/data/log.txt"
  echo deep >"$d/deep/a/b/c/d/e/f/g/leaf.txt"
  ln -s ../etc/app/appsettings.json "$d/data/relative-link"
  ln -s /nonexistent/target "$d/data/dangling-link"
  ln "$d/data/log.txt" "$d/data/log-hardlink.txt"
  cp "$d/etc/app/.env" "$d/data/setuid-prog" && chmod 4755 "$d/data/setuid-prog"
  chmod 1777 "$d/sticky"
  chmod 2775 "$d/setgid"
  echo owned >"$d/data/owned-by-1234" && chown 1234:5678 "$d/data/owned-by-1234"
  echo nobody >"$d/data/owned-by-nobody" && chown nobody:nogroup "$d/data/owned-by-nobody"
  chmod 0600 "$d/etc/app/.env"
  # Sparse: 20 MiB with 1 MiB of data in the middle.
  truncate -s $((20 * 1024 * 1024)) "$d/data/sparse.img"
  random_file "$WORK/chunk.bin" $((1024 * 1024)) seed3
  dd if="$WORK/chunk.bin" of="$d/data/sparse.img" bs=1M seek=10 conv=notrunc status=none
  mkfifo "$d/data/fifo"
  mknod "$d/data/null-device" c 1 3
  mknod "$d/data/block-device" b 7 200
  setfattr -n user.owner -v platform-team "$d/etc/app/appsettings.json"
  setfattr -n user.binary -v 0x00ff10 "$d/data/log.txt"
  setfattr -n user.on-dir -v yes "$d/etc"
  local long
  long=$(printf 'L%.0s' $(seq 1 255))
  echo long >"$d/data/$long"
  echo space >"$d/data/name with spaces & symbols!"
  echo unicode >"$d/data/prüfung-日本.txt"
  if [[ $odd == yes ]]; then
    # Every case of restic's name quoting: bytes that are not UTF-8,
    # backslashes, quotes, control characters, a non-printable rune.
    echo latin1 >"$d/data/$(printf 'latin1-\xe9.bin')"
    echo newline >"$d/data/$(printf 'new\nline')"
    echo backslash >"$d/data/back\\slash\\xe9"
    echo quote >"$d/data/a \"quoted\" name"
    echo control >"$d/data/$(printf 'ctl-\001-\t-\177')"
    echo nbsp >"$d/data/$(printf 'nb\xc2\xa0sp')"
  fi
  touch -h -d '2021-03-04 05:06:07.123456789' "$d/data/relative-link"
  touch -d '2020-01-02 03:04:05.987654321' "$d/data/random-3m.bin"
  touch -d '2019-06-07 08:09:10' "$d/deep/a/b/c"
}

# start_s3rver: starts s3rver (npm, installed by scripts/bootstrap) on a free
# loopback port with bucket "lifeboat-test", in $WORK/s3rver; sets S3_PORT,
# S3_ENDPOINT and S3_PID, exports its credentials. stop_s3rver stops it.
S3RVER_JS=${S3RVER_JS:-/usr/local/lib/lifeboat-test/node_modules/s3rver/bin/s3rver.js}
start_s3rver() {
  [[ -f $S3RVER_JS ]] || fail "s3rver not installed at $S3RVER_JS (run scripts/bootstrap)"
  mkdir -p "$WORK/s3rver"
  S3_PORT=${S3_PORT:-$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}
  node --openssl-legacy-provider "$S3RVER_JS" -d "$WORK/s3rver" -a 127.0.0.1 -p "$S3_PORT" \
    --configure-bucket lifeboat-test >"$WORK/s3rver.log" 2>&1 &
  S3_PID=$!
  # Ready when it says so in its log (bounded: 10 s).
  for _ in $(seq 1 200); do
    grep -q "listening" "$WORK/s3rver.log" 2>/dev/null && break
    kill -0 "$S3_PID" 2>/dev/null || { cat "$WORK/s3rver.log" >&2; fail "s3rver exited"; }
    sleep 0.05
  done
  grep -q "listening" "$WORK/s3rver.log" || fail "s3rver did not start"
  S3_ENDPOINT=http://127.0.0.1:$S3_PORT
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
  unset AWS_SESSION_TOKEN AWS_PROFILE
}
stop_s3rver() {
  if [[ -n ${S3_PID:-} ]]; then
    kill "$S3_PID" 2>/dev/null || true
    wait "$S3_PID" 2>/dev/null || true
    S3_PID=
  fi
}

# free_port: prints a TCP port on loopback that nobody listens on now.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_redis NAME [ARGS...]: a redis-server 7 on a free loopback port in
# $WORK/redis-NAME, with the debug command (DEBUG DIGEST, POPULATE) and no
# persistence of its own. Sets REDIS_PORT; `rcli NAME ARGS` talks to it.
declare -A REDIS_PORTS
start_redis() {
  local name=$1
  shift
  local dir=$WORK/redis-$name port
  mkdir -p "$dir"
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize no --save '' --appendonly no \
    --repl-diskless-sync-delay 0 --enable-debug-command local "$@" >"$dir/log" 2>&1 &
  CLEANUP_PIDS+=($!)
  for _ in $(seq 1 200); do
    redis-cli -p "$port" --no-auth-warning -a "${REDIS_TEST_PASSWORD:-}" PING 2>/dev/null | grep -q PONG && break
    grep -q "NOAUTH\|Ready to accept" "$dir/log" 2>/dev/null && break
    sleep 0.05
  done
  grep -q "Ready to accept" "$dir/log" || { cat "$dir/log" >&2; fail "redis-server $name did not start"; }
  REDIS_PORTS[$name]=$port
  REDIS_PORT=$port
}
rcli() {
  local name=$1
  shift
  redis-cli -p "${REDIS_PORTS[$name]}" "$@"
}

# start_radosgw: a one-node Ceph (mon, mgr, one memstore OSD) and radosgw
# on free loopback ports in $WORK/ceph, with cephx (rgw hangs without it),
# as ../shared/reference/ceph-one-node.sh does. Sets RGW_ENDPOINT and
# exports AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of user "test"
# (RGW_LC_DEBUG_INTERVAL=N makes a lifecycle day N seconds long);
# rgw_user NAME creates another user whose keys are NAMEKEY / NAMESECRET.
# Its daemons are killed on exit.
start_radosgw() {
  command -v radosgw >/dev/null || fail "radosgw not installed (run scripts/bootstrap)"
  local D=$WORK/ceph mon_port rgw_port fsid osd_uuid id
  mkdir -p "$D"/{run,log,mon,osd,rgw,mgr/ceph-x}
  mon_port=$(free_port)
  rgw_port=$(free_port)
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$D/ceph.conf" <<CONF
[global]
fsid = $fsid
mon initial members = a
mon host = v2:127.0.0.1:$mon_port/0
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $D/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 1073741824
osd memory target = 939524096
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
mgr data = $D/mgr/\$cluster-\$id
ms bind ipv6 = false
${RGW_LC_DEBUG_INTERVAL:+rgw lc debug interval = $RGW_LC_DEBUG_INTERVAL}
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $D/rgw
rgw dns name = localhost
CONF
  export CEPH_CONF=$D/ceph.conf
  local K=$D/keyring
  ceph-authtool --create-keyring "$K" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$K" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' \
    --cap mds 'allow *' >/dev/null
  ceph-authtool "$K" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  ceph-authtool "$K" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' \
    --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool "$K" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$D/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$D/monmap" --keyring "$K" >"$D/log/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs"
  ceph-mon -i a -f >"$D/log/mon.out" 2>&1 &
  CLEANUP_PIDS+=($!)
  for _ in $(seq 1 120); do timeout 5 ceph -s >/dev/null 2>&1 && break; sleep 0.25; done
  ceph-mgr -i x -f >"$D/log/mgr.out" 2>&1 &
  CLEANUP_PIDS+=($!)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph osd new "$osd_uuid")
  mkdir -p "$D/osd/ceph-$id"
  ceph-osd -i "$id" --mkfs --osd-uuid "$osd_uuid" >"$D/log/osd-mkfs.out" 2>&1 || fail "ceph-osd --mkfs"
  ceph-osd -i "$id" -f >"$D/log/osd.out" 2>&1 &
  CLEANUP_PIDS+=($!)
  for _ in $(seq 1 240); do ceph osd stat 2>/dev/null | grep -q '1 up' && break; sleep 0.25; done
  radosgw -n client.rgw.a -f >"$D/log/rgw.out" 2>&1 &
  CLEANUP_PIDS+=($!)
  for _ in $(seq 1 480); do curl -s -o /dev/null "http://127.0.0.1:$rgw_port/" && break; sleep 0.25; done
  curl -s -o /dev/null "http://127.0.0.1:$rgw_port/" || { tail -20 "$D/log/rgw.out" >&2; fail "radosgw did not start"; }
  rgw_user test
  RGW_ENDPOINT=http://127.0.0.1:$rgw_port
  export AWS_ACCESS_KEY_ID=testKEY AWS_SECRET_ACCESS_KEY=testSECRET
  unset AWS_SESSION_TOKEN AWS_PROFILE
}
# rgw_storage_classes CLASS...: adds storage classes to the default
# placement of the zonegroup and zone (each with its own data pool), so
# that lifecycle transitions to them are accepted, as AWS accepts
# STANDARD_IA and GLACIER. radosgw reads the placement when a bucket is
# made or a rule is put: no restart.
rgw_storage_classes() {
  local c
  for c in "$@"; do
    # The class's own pool, made now: radosgw would make it on the first
    # transition, where an OSD of this size may refuse it.
    ceph osd pool create "default.rgw.$c.data" 8 >/dev/null 2>&1 || fail "ceph osd pool create default.rgw.$c.data"
    ceph osd pool application enable "default.rgw.$c.data" rgw >/dev/null 2>&1 || fail "pool application enable"
    radosgw-admin zonegroup placement add --rgw-zonegroup default --placement-id default-placement \
      --storage-class "$c" >/dev/null 2>&1 || fail "radosgw-admin zonegroup placement add $c"
    radosgw-admin zone placement add --rgw-zone default --placement-id default-placement --storage-class "$c" \
      --data-pool "default.rgw.$c.data" >/dev/null 2>&1 || fail "radosgw-admin zone placement add $c"
  done
}
# s3c COMMAND BUCKET ARGS...: tests/tools/s3_client.py (boto3, AWS's SDK)
# against radosgw as the "test" user: a second client for what lifeboat
# writes and reads.
s3c() {
  AWS_ACCESS_KEY_ID=testKEY AWS_SECRET_ACCESS_KEY=testSECRET /usr/bin/python3 "$LIFEBOAT_SRC/tests/tools/s3_client.py" \
    "$RGW_ENDPOINT" "$@"
}
rgw_user() {
  radosgw-admin user create --uid="$1" --display-name="$1" --access-key="${1}KEY" --secret-key="${1}SECRET" \
    >/dev/null 2>&1 || fail "radosgw-admin user create $1"
}

# as_pg CMD...: runs CMD as the unprivileged "postgres" user (PostgreSQL
# refuses root), or as ourselves when we are not root.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_postgres: initdb and start a PostgreSQL 15 server in a new directory
# owned by the postgres user, on a free loopback port (TCP needs the
# password $PG_PASSWORD, the Unix socket in $PG_DIR trusts). Sets PG_DIR,
# PG_PORT, PG_BIN, PG_URL (no password) and PGPASSWORD. Extra settings for
# postgresql.conf may be given as arguments.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PASSWORD=pg-secret-$$
start_postgres() {
  [[ -x $PG_BIN/initdb ]] || fail "PostgreSQL 15 not installed in $PG_BIN (run scripts/bootstrap)"
  PG_DIR=$(mktemp -d /tmp/lifeboat-pg.XXXXXX)
  chmod 700 "$PG_DIR"
  [[ $(id -u) -ne 0 ]] || chown postgres: "$PG_DIR"
  PG_PORT=$(free_port)
  echo "$PG_PASSWORD" >"$PG_DIR/pwfile"
  [[ $(id -u) -ne 0 ]] || chown postgres: "$PG_DIR/pwfile"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$PG_DIR/pwfile" --no-sync --data-checksums -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; fail "initdb"; }
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$PG_DIR'"
    echo "fsync = off"
    echo "max_connections = 50"
    for setting in "$@"; do echo "$setting"; done
  } >>"$PG_DIR/data/postgresql.conf"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; fail "PostgreSQL did not start"; }
  PG_URL=postgres://postgres@127.0.0.1:$PG_PORT
  export PGPASSWORD=$PG_PASSWORD
}
stop_postgres() {
  if [[ -n ${PG_DIR:-} && -f $PG_DIR/data/postmaster.pid ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
}
# pg_owned_repo NAME: an initialised repository in /tmp/NAME.$$ that belongs
# to the postgres user (a server's archive_command writes WAL there; root
# runs the other commands). Sets PGREPO (its directory), REPO and PWF, the
# password file that replaces LIFEBOAT_PASSWORD from here on.
pg_owned_repo() {
  PGREPO=/tmp/$1.$$
  mkdir -p "$PGREPO"
  [[ $(id -u) -ne 0 ]] || chown postgres: "$PGREPO"
  chmod 700 "$PGREPO"
  CLEANUP_DIRS+=("$PGREPO")
  REPO=$PGREPO/repo
  PWF=$PGREPO/password
  echo "$LIFEBOAT_PASSWORD" >"$PWF"
  chmod 600 "$PWF"
  [[ $(id -u) -ne 0 ]] || chown postgres: "$PWF"
  unset LIFEBOAT_PASSWORD
  export LIFEBOAT_PASSWORD_FILE=$PWF
  as_pg env LIFEBOAT_PASSWORD_FILE="$PWF" LIFEBOAT_INSECURE_TEST_KDF=1 "$LIFEBOAT" -r "$REPO" init >/dev/null
}
# psql_q DB SQL: one query over the Unix socket, unaligned, tuples only.
psql_q() { "$PG_BIN/psql" -X -h "$PG_DIR" -p "$PG_PORT" -U postgres -d "$1" -Atq -v ON_ERROR_STOP=1 -c "$2"; }
