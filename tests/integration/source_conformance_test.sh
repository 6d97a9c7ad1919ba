#!/usr/bin/env bash
# The source conformance suite: every source this lifeboat registers is
# driven through the same phases, against real servers on loopback —
#   1. data of its own kind is made;
#   2. backup (the generic command: the driver is chosen by the URL);
#   3. restore into a sandbox (a new directory, database, data directory or
#      redis-server) and validate it independently of lifeboat's own
#      fingerprints (same_tree, psql checksums, DEBUG DIGEST), then
#      `lifeboat verify` where the driver has one;
#   4. the backup killed (SIGKILL) after its first write: no new snapshot,
#      `check` passes, and the next backup succeeds.
# The sources: files, PostgreSQL logical (postgres://), PostgreSQL physical
# (pg basebackup), Redis (redis://). A URL scheme the binary registers
# that this suite has no case for fails the test, so a new driver cannot
# arrive without it. Not run here: rediss:// (TLS; redis_test.sh covers a
# wrong CA only).
source "$(dirname "$0")/lib.sh"

# One repository for every source, owned by the postgres user: its
# archive_command writes WAL there (root runs the rest).
pg_owned_repo lifeboat-conformance
export LIFEBOAT_REPOSITORY=$REPO

step "every registered URL scheme has a case here"
schemes=$( (lb backup nosuch://x 2>&1 || true) | sed -n 's/.*(paths, --stdin, \(.*\) are).*/\1/p' | tr -d ' ' | tr ',' '\n' | sed 's|://||')
[[ -n $schemes ]] || fail "could not read the registered schemes from lifeboat's message"
for s in $schemes; do
  case $s in
    postgres | postgresql | redis | rediss) ;;
    *) fail "source scheme $s:// is registered but has no case in the conformance suite" ;;
  esac
done

snapshots() { lb --json snapshots | jq length; }

# kill_phase NAME CMD...: the backup CMD killed after its first write to
# the repository leaves no snapshot and a repository that checks clean.
kill_phase() {
  local name=$1 before rc
  shift
  before=$(snapshots)
  set +e
  (LIFEBOAT_TEST_KILL_AT=after:1 "$@" >/dev/null 2>&1 </dev/null) 2>/dev/null
  rc=$?
  set -e
  [[ $rc -eq 137 ]] || fail "$name: the backup was not killed after its first write (exit $rc)"
  [[ $(snapshots) -eq $before ]] || fail "$name: a killed backup left a snapshot"
  lb -q check >"$WORK/check-$name.out" 2>&1 || { cat "$WORK/check-$name.out"; fail "$name: check after the kill"; }
  lb unlock >/dev/null 2>&1 || true
}

# --- files -----------------------------------------------------------------
step "files: backup, restore into a directory, compare"
SRC=$WORK/src
make_tree "$SRC"
id=$(lb --json backup "$SRC" | json_field snapshot_id)
lb -q restore "$id" --target "$WORK/fs-out"
same_tree "$SRC" "$WORK/fs-out$SRC" || fail "files: the restored tree differs"
kill_phase files "$LIFEBOAT" backup --force "$SRC"
lb -q backup "$SRC" || fail "files: the backup after the kill"

# --- PostgreSQL ----------------------------------------------------------------
cat >"$PGREPO/wal-push.sh" <<SCRIPT
#!/bin/sh
export LIFEBOAT_REPOSITORY="$REPO" LIFEBOAT_PASSWORD_FILE="$PWF" LIFEBOAT_INSECURE_TEST_KDF=1
exec "$LIFEBOAT" -q pg wal-push "\$1"
SCRIPT
chmod 755 "$PGREPO/wal-push.sh"
start_postgres "wal_level = replica" "archive_mode = on" "archive_command = 'sh $PGREPO/wal-push.sh %p'"
psql_q postgres "CREATE DATABASE app" >/dev/null
psql_q app "CREATE TABLE t (id int PRIMARY KEY, v text, b bytea)" >/dev/null
psql_q app "INSERT INTO t SELECT i, md5(i::text), decode(md5(i::text), 'hex') FROM generate_series(1, 20000) i" >/dev/null
sum_of() {  # sum_of HOST PORT DB: a checksum of table t, by the server itself
  "$PG_BIN/psql" -X -h "$1" -p "$2" -U postgres -d "$3" -Atq \
    -c "SELECT count(*) || ':' || md5(string_agg(id || v || encode(b, 'hex'), ',' ORDER BY id)) FROM t"
}
want=$(sum_of "$PG_DIR" "$PG_PORT" app)

step "PostgreSQL logical: backup postgres://, restore --to a new database, compare, verify"
lb -q backup "$PG_URL/app"
lb -q restore latest --to "$PG_URL/app_copy" --create
[[ $(sum_of "$PG_DIR" "$PG_PORT" app_copy) == "$want" ]] || fail "logical: the restored database differs"
lb -q verify || fail "logical: verify"
kill_phase pg-logical "$LIFEBOAT" backup "$PG_URL/app"
lb -q backup "$PG_URL/app" || fail "logical: the backup after the kill"

step "PostgreSQL physical: pg basebackup, pg restore into a data directory, start it, compare"
lb -q pg basebackup --type full "$PG_URL/"
d=$PGREPO/restored
lb -q pg restore --data-dir "$d"
CLEANUP_PG_DATA+=("$d")
port=$(free_port)
as_pg "$PG_BIN/pg_ctl" -D "$d" -l "$PGREPO/restored.log" -w -t 120 \
  -o "-c port=$port -c listen_addresses='' -c unix_socket_directories='$d' -c archive_mode=off" start >/dev/null \
  || { tail -20 "$PGREPO/restored.log" >&2; fail "physical: the restored server did not start"; }
for _ in $(seq 1 600); do
  [[ $("$PG_BIN/psql" -X -h "$d" -p "$port" -U postgres -d app -Atq -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && break
  sleep 0.1
done
[[ $(sum_of "$d" "$port" app) == "$want" ]] || fail "physical: the restored cluster differs"
as_pg "$PG_BIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null
kill_phase pg-physical "$LIFEBOAT" pg basebackup --type full "$PG_URL/"
lb -q pg basebackup "$PG_URL/" || fail "physical: the base backup after the kill"

# --- Redis ---------------------------------------------------------------------
step "Redis: backup redis://, restore --to a second server, compare DEBUG DIGEST, verify"
start_redis src
rcli src DEBUG POPULATE 20000 key 64 >/dev/null
rcli src HSET h a 1 b 2 >/dev/null
rcli src RPUSH l x y z >/dev/null
rcli src ZADD z 1 a 2 b >/dev/null
rcli src SET ttl v EX 3600 >/dev/null
rcli src -n 3 SET other-db v >/dev/null
lb -q backup "redis://127.0.0.1:${REDIS_PORTS[src]}"
start_redis dst
lb -q restore latest --to "redis://127.0.0.1:${REDIS_PORTS[dst]}"
[[ $(rcli dst DEBUG DIGEST) == "$(rcli src DEBUG DIGEST)" ]] || fail "Redis: the restored data differs"
lb -q verify || fail "Redis: verify"
kill_phase redis "$LIFEBOAT" backup "redis://127.0.0.1:${REDIS_PORTS[src]}"
lb -q backup "redis://127.0.0.1:${REDIS_PORTS[src]}" || fail "Redis: the backup after the kill"

step "every source's snapshots in one repository, which checks clean with its data read"
lb -q check --read-data || fail "check --read-data"
echo "source conformance: files, PostgreSQL logical and physical, Redis passed every phase"
