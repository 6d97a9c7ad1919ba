#!/usr/bin/env bash
# lifeboat doctor against real components: a one-node Ceph radosgw (which
# implements the bucket APIs doctor reads: versioning, Object Lock,
# lifecycle; Pacific has no GetBucketEncryption), s3rver, a PostgreSQL 15
# and a redis-server started here. Every check passes on a healthy chain;
# then each failure is provoked once and doctor must name it with a fix and
# exit 4: a wrong S3 secret, a user without permission on the bucket, a
# missing bucket, a wrong repository password, a directory that is not a
# repository, a stale lock, a wrong PostgreSQL password, a dead PostgreSQL,
# failing WAL archiving, archiving off (a warning), a wrong Redis
# password, a dead Redis, an unreadable path, and clock skew (a proxy in
# front of radosgw moves the Date of its answers: this machine's clock is
# not ours to move).
source "$(dirname "$0")/lib.sh"

start_radosgw
RGW_KEY=$AWS_ACCESS_KEY_ID
RGW_SECRET=$AWS_SECRET_ACCESS_KEY
start_postgres "archive_mode = on" "archive_command = 'true'"
psql_q postgres "CREATE DATABASE app" >/dev/null
start_redis cache
REDIS_TEST_PASSWORD=redis-s3cret start_redis locked --requirepass redis-s3cret
echo "$LIFEBOAT_PASSWORD" >"$WORK/pw"
chmod 600 "$WORK/pw"
echo redis-s3cret >"$WORK/redis-pw"
mkdir -p "$WORK/etc/app"
echo 'a=1' >"$WORK/etc/app/settings"

step "radosgw: a repository made with Object Lock passes every S3 check but encryption and lifecycle"
LOCKED=s3:$RGW_ENDPOINT/locked/repo
lb -r "$LOCKED" -o s3.object-lock-mode=GOVERNANCE -o s3.object-lock-days=1 init -q
lb -r "$LOCKED" doctor >"$WORK/d1.txt" || { cat "$WORK/d1.txt"; fail "doctor of a healthy radosgw repository"; }
for c in "clock" "s3 credentials" "s3 write" "s3 read" "s3 list" "s3 delete" "reachable" "password" "locks"; do
  grep -q "^PASS  repository $LOCKED: $c: " "$WORK/d1.txt" || { cat "$WORK/d1.txt"; fail "no PASS for $c"; }
done
grep -q "^PASS  .*: s3 versioning: versioning enabled" "$WORK/d1.txt" || { cat "$WORK/d1.txt"; fail "versioning"; }
grep -q "^PASS  .*: s3 object lock: Object Lock enabled" "$WORK/d1.txt" || { cat "$WORK/d1.txt"; fail "object lock"; }
grep -q "^WARN  .*: s3 lifecycle: not configured on bucket locked (NoSuchLifecycleConfiguration)" "$WORK/d1.txt" ||
  { cat "$WORK/d1.txt"; fail "lifecycle"; }
grep -A1 "^WARN  .*: s3 lifecycle" "$WORK/d1.txt" | grep -q "^      fix: " || fail "a warning without a fix"
lb -r "$LOCKED" --json doctor | jq -e '.passed and .failures == 0 and (.checks | length) >= 13' >/dev/null ||
  fail "doctor --json"
lb -r "$LOCKED" --json doctor | jq -e '[.checks[] | select(.check == "s3 write")][0].detail | test("lifeboat-doctor/")' \
  >/dev/null || fail "the probe's place is not named"
lb -r "$LOCKED" check >/dev/null || fail "the repository does not check clean after doctor"

step "radosgw: a bucket without versioning or Object Lock is warned about, not failed"
PLAIN=s3:$RGW_ENDPOINT/plain/repo
lb -r "$PLAIN" init -q
lb -r "$PLAIN" doctor >"$WORK/d2.txt" || { cat "$WORK/d2.txt"; fail "warnings made doctor fail"; }
grep -q "^WARN  .*: s3 versioning: versioning is off" "$WORK/d2.txt" || { cat "$WORK/d2.txt"; fail "versioning off"; }
grep -q "^WARN  .*: s3 object lock: not configured on bucket plain" "$WORK/d2.txt" || fail "object lock off"

step "clock skew (tests/tools/skew_proxy.js moves the server's Date): 5 min is WARN, 1 h is FAIL"
skew_endpoint() {  # SHIFT_SECONDS: a proxy to radosgw whose answers carry a moved Date
  local port log=$WORK/skew$1.log
  port=$(free_port)
  node "$LIFEBOAT_SRC/tests/tools/skew_proxy.js" "$port" "${RGW_ENDPOINT#http://}" "$1" >"$log" 2>&1 &
  CLEANUP_PIDS+=($!)
  for _ in $(seq 1 100); do grep -q listening "$log" && break; sleep 0.1; done
  grep -q listening "$log" || { cat "$log"; fail "skew_proxy did not start"; }
  echo "http://127.0.0.1:$port"
}
ep=$(skew_endpoint -300)
lb -r "s3:$ep/plain/repo" doctor >"$WORK/d-skew.txt" || { cat "$WORK/d-skew.txt"; fail "a 5-minute skew failed doctor"; }
grep -Eq "^WARN  .*: clock: this host's clock is 30[0-9] s ahead of the server's" "$WORK/d-skew.txt" ||
  { cat "$WORK/d-skew.txt"; fail "a 5-minute skew is not a warning"; }
grep -A1 "^WARN  .*: clock:" "$WORK/d-skew.txt" | grep -q "fix: synchronise the clock" || fail "no fix for the skew"
ep=$(skew_endpoint 3600)
expect_exit 4 lb -r "s3:$ep/plain/repo" doctor
grep -Eq "^FAIL  .*: clock: this host's clock is 3[56][0-9][0-9] s behind the server's" "$WORK/last.out" ||
  { cat "$WORK/last.out"; fail "an hour's skew is not a failure"; }

step "a wrong S3 secret: FAIL s3 credentials, with the fix; the secret is not printed"
AWS_SECRET_ACCESS_KEY=not-the-secret expect_exit 4 lb -r "$LOCKED" doctor
grep -q "^FAIL  .*: s3 credentials: .*SignatureDoesNotMatch" "$WORK/last.out" || { cat "$WORK/last.out"; fail "wrong secret"; }
grep -q "fix: the server refuses this access key or secret" "$WORK/last.out" || fail "no fix for the secret"
grep -q "not-the-secret\|$RGW_SECRET" "$WORK/last.out" "$WORK/last.err" && fail "a secret was printed"

step "a user without permission on the bucket: FAIL s3 write and s3 list, naming the permission"
rgw_user intruder
AWS_ACCESS_KEY_ID=intruderKEY AWS_SECRET_ACCESS_KEY=intruderSECRET expect_exit 4 lb -r "$LOCKED" doctor
grep -q "^FAIL  .*: s3 write: .*AccessDenied" "$WORK/last.out" || { cat "$WORK/last.out"; fail "no write failure"; }
grep -q "fix: allow s3:PutObject and s3:PutObjectTagging on arn:aws:s3:::locked/repo/\*" "$WORK/last.out" || fail "no PutObject fix"
grep -q "^FAIL  .*: s3 list: " "$WORK/last.out" || fail "no list failure"
grep -q "fix: allow s3:ListBucket on arn:aws:s3:::locked" "$WORK/last.out" || fail "no ListBucket fix"

step "a missing bucket, a wrong repository password, a directory that is not a repository"
expect_exit 4 lb -r "s3:$RGW_ENDPOINT/nosuchbucket/repo" doctor
grep -q "^FAIL  .*: s3 bucket: .*NoSuchBucket" "$WORK/last.out" || { cat "$WORK/last.out"; fail "missing bucket"; }
LIFEBOAT_PASSWORD=wrong expect_exit 4 lb -r "$LOCKED" doctor
grep -q "^FAIL  .*: password: " "$WORK/last.out" || { cat "$WORK/last.out"; fail "wrong password"; }
grep -q "fix: the password opens no key" "$WORK/last.out" || fail "no fix for the password"
mkdir -p "$WORK/notrepo"
expect_exit 4 lb -r "$WORK/notrepo" doctor
grep -q "^FAIL  .*: reachable: .*not a .*repository" "$WORK/last.out" || { cat "$WORK/last.out"; fail "not a repository"; }
grep -q "fix: lifeboat init -r $WORK/notrepo" "$WORK/last.out" || fail "no init fix"

step "a stale lock (a backup killed after taking it): WARN with lifeboat unlock"
lb -r "$WORK/local" init -q
set +e
LIFEBOAT_TEST_KILL_AT=after:1 "$LIFEBOAT" -r "$WORK/local" -q backup "$WORK/etc" >/dev/null 2>&1 </dev/null
set -e
lb -r "$WORK/local" doctor >"$WORK/d3.txt" || { cat "$WORK/d3.txt"; fail "a stale lock failed doctor"; }
grep -q "^WARN  .*: locks: 1 stale lock(s)" "$WORK/d3.txt" || { cat "$WORK/d3.txt"; fail "stale lock not found"; }
grep -q "fix: lifeboat unlock -r $WORK/local" "$WORK/d3.txt" || fail "no unlock fix"

step "s3rver: the permissions pass; the bucket settings it lacks are said to be missing"
S3_PORT=
start_s3rver
lb -r "s3:$S3_ENDPOINT/lifeboat-test/r" init -q
lb -r "s3:$S3_ENDPOINT/lifeboat-test/r" doctor >"$WORK/d4.txt" || { cat "$WORK/d4.txt"; fail "doctor on s3rver"; }
grep -q "^PASS  .*: s3 delete: " "$WORK/d4.txt" || { cat "$WORK/d4.txt"; fail "s3rver delete"; }
grep -q "^WARN  .*: s3 object lock: " "$WORK/d4.txt" || { cat "$WORK/d4.txt"; fail "s3rver object lock"; }
stop_s3rver
export AWS_ACCESS_KEY_ID=$RGW_KEY AWS_SECRET_ACCESS_KEY=$RGW_SECRET

C=$WORK/lifeboat.yml
write_config() {  # write_config PG_URL REDIS_PORT REDIS_PASSWORD_FILE FILES_PATH
  cat >"$C" <<YAML
state_dir: $WORK/state
repositories:
  primary: {url: "$LOCKED", password_file: $WORK/pw}
  local: {url: $WORK/local, password_file: $WORK/pw}
jobs:
  postgres: {source: "$1", repository: primary, schedule: "0 2 * * *"}
  redis:
    source: redis://127.0.0.1:$2
    repository: local
    schedule: "@every 6h"
    options: {redis-password-file: "$3"}
  config: {type: config, source: "$4", repository: local, schedule: "0 3 * * *"}
YAML
}
step "a config whose chain is healthy: every source checked, exit 0"
write_config "$PG_URL/app" "${REDIS_PORTS[locked]}" "$WORK/redis-pw" "$WORK/etc"
lb doctor --config "$C" >"$WORK/d5.txt" || { cat "$WORK/d5.txt"; fail "doctor of a healthy config"; }
grep -q "^PASS  job postgres: postgres connect: connected to .*, PostgreSQL 15" "$WORK/d5.txt" || { cat "$WORK/d5.txt"; fail "pg connect"; }
grep -q "^PASS  job postgres: postgres pg_dump: .*pg_dump (15" "$WORK/d5.txt" || { cat "$WORK/d5.txt"; fail "pg_dump version"; }
grep -q "^PASS  job postgres: postgres archive_command: archive_mode = on" "$WORK/d5.txt" || fail "archive_command"
grep -q "^PASS  job redis: redis connect: connected to redis://127.0.0.1:.*, Redis 7" "$WORK/d5.txt" || { cat "$WORK/d5.txt"; fail "redis connect"; }
grep -q "^PASS  job redis: redis redis-server: " "$WORK/d5.txt" || fail "redis-server version"
grep -q "^PASS  job config: files: $WORK/etc is readable" "$WORK/d5.txt" || fail "files"
grep -q "^PASS  job config: scratch space: .* free in " "$WORK/d5.txt" || fail "scratch space"
grep -q "^PASS  repository local: locks: " "$WORK/d5.txt" && fail "the stale lock of local vanished"

step "the sources broken: wrong passwords, dead servers, failing archiving, an unreadable path"
psql_q postgres "ALTER SYSTEM SET archive_command = 'false'" >/dev/null
psql_q postgres "SELECT pg_reload_conf()" >/dev/null
psql_q app "CREATE TABLE t AS SELECT 1 AS x" >/dev/null
psql_q postgres "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 1 200); do
  [[ $(psql_q postgres "SELECT failed_count > 0 FROM pg_stat_archiver") == t ]] && break
  sleep 0.1
done
echo not-the-password >"$WORK/redis-wrong"
write_config "postgres://postgres:not-the-pg-password@127.0.0.1:$PG_PORT/app" "${REDIS_PORTS[locked]}" \
  "$WORK/redis-wrong" "$WORK/nosuch"
PGPASSWORD= expect_exit 4 lb doctor --config "$C"
grep -q "^FAIL  job postgres: postgres authentication: " "$WORK/last.out" || { cat "$WORK/last.out"; fail "pg password"; }
grep -q "^FAIL  job redis: redis authentication: " "$WORK/last.out" || { cat "$WORK/last.out"; fail "redis password"; }
grep -q "^FAIL  job config: files: $WORK/nosuch: No such file or directory" "$WORK/last.out" || fail "missing path"
grep -q "not-the-pg-password\|not-the-password\|redis-s3cret" "$WORK/last.out" "$WORK/last.err" && fail "a password was printed"

write_config "$PG_URL/app" "${REDIS_PORTS[locked]}" "$WORK/redis-pw" "$WORK/etc"
expect_exit 4 lb doctor --config "$C"
grep -q "^FAIL  job postgres: postgres archiver: archiving is failing: " "$WORK/last.out" ||
  { cat "$WORK/last.out"; fail "failing archiving not found"; }
grep -q "fix: read archive_command's error in the server log" "$WORK/last.out" || fail "no archiving fix"

rcli cache SHUTDOWN NOSAVE >/dev/null 2>&1 || true
dead_pg=$(free_port)
write_config "postgres://postgres@127.0.0.1:$dead_pg/app" "${REDIS_PORTS[cache]}" "$WORK/redis-pw" "$WORK/etc"
expect_exit 4 lb doctor --config "$C"
grep -q "^FAIL  job postgres: postgres connect: " "$WORK/last.out" || { cat "$WORK/last.out"; fail "dead pg"; }
grep -q "fix: start the server, or check host, port, listen_addresses" "$WORK/last.out" || fail "no dead-pg fix"
grep -q "^FAIL  job redis: redis connect: " "$WORK/last.out" || { cat "$WORK/last.out"; fail "dead redis"; }

step "archiving off is a warning with the setup as its fix"
psql_q postgres "ALTER SYSTEM SET archive_mode = off" >/dev/null
stop_postgres
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null
write_config "$PG_URL/app" "${REDIS_PORTS[locked]}" "$WORK/redis-pw" "$WORK/etc"
lb doctor --config "$C" >"$WORK/d6.txt" || { cat "$WORK/d6.txt"; fail "archiving off failed doctor"; }
grep -q "^WARN  job postgres: postgres archive_mode: WAL archiving is off" "$WORK/d6.txt" || { cat "$WORK/d6.txt"; fail "archive off"; }
grep -q "fix: set archive_mode = on and archive_command = 'lifeboat pg wal-push %p'" "$WORK/d6.txt" || fail "no archive fix"

echo "PASS doctor_test"
