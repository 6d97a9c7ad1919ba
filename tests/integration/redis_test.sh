#!/usr/bin/env bash
# Redis backups against a real redis-server 7 (Debian's), started here on
# loopback: the RDB over the replication protocol into the repository, its
# fingerprint, the stored RDB compared with the source independently of
# lifeboat (redis-check-rdb, and DEBUG DIGEST of a server loaded from it),
# the BGSAVE fallback when SYNC and PSYNC are renamed away, wrong password,
# dead server, and a backup killed mid-transfer.
source "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || fail "redis-server is not installed (scripts/bootstrap installs it)"

REPO=$WORK/repo
export LIFEBOAT_CACHE_DIR=$WORK/cache
lb -r "$REPO" init >/dev/null

# Data of every type, small (listpack/intset) and large (quicklist, hash
# table, skiplist) encodings, TTLs, three databases, binary keys and values.
populate() {
  local n=$1
  {
    echo "SET str:plain hello"
    echo "SET str:int 12345"
    echo "SETEX str:ttl 100000 expiring"
    echo "RPUSH list:small a b 3 -4"
    for i in $(seq 1 300); do echo "RPUSH list:big element-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done
    echo "SADD set:int 1 2 3 1000000 -5"
    echo "SADD set:small a b c"
    for i in $(seq 1 300); do echo "SADD set:big member-$i"; done
    echo "HSET hash:small f1 v1 f2 2"
    for i in $(seq 1 300); do echo "HSET hash:big field-$i value-$i-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"; done
    echo "ZADD zset:small 1 a 2.5 b -3 c"
    for i in $(seq 1 300); do echo "ZADD zset:big $i.25 m$i"; done
    echo "XADD stream:s * f1 v1 f2 v2"
    echo "XADD stream:s * f1 v3 f2 v4"
    echo "XADD stream:s * other 1"
    echo "XGROUP CREATE stream:s g1 0"
    echo "PEXPIRE hash:small 86400000"
    echo "SELECT 2"
    echo "SET db2:key value2"
    echo "SELECT 5"
    echo "SET db5:key value5"
    echo "EXPIRE db5:key 86400"
  } | rcli "$n" >/dev/null
  printf 'bin\x00\xffkey' | rcli "$n" -x SET bin:value >/dev/null
  printf 'v\x00\x01' | rcli "$n" -x SET "$(printf 'key\xe9\x01')" >/dev/null
  rcli "$n" DEBUG POPULATE 20000 pop 64 >/dev/null
}

step "backup over the replication protocol: nothing written on the server"
start_redis src
populate src
lb -r "$REPO" --json backup "redis://127.0.0.1:$REDIS_PORT" >"$WORK/b1.json" || fail "redis backup"
[[ $(jq -r .method "$WORK/b1.json") == replication ]] || fail "not taken over the replication protocol"
[[ ! -e $WORK/redis-src/dump.rdb ]] || fail "the backup left a dump.rdb on the server"
want_keys=$(( $(rcli src -n 0 DBSIZE) + $(rcli src -n 2 DBSIZE) + $(rcli src -n 5 DBSIZE) ))
[[ $(jq -r .keys "$WORK/b1.json") -eq $want_keys ]] || fail "fingerprint counts $(jq -r .keys "$WORK/b1.json") keys, server has $want_keys"
[[ $(jq -r '.fingerprint["0"].expires' "$WORK/b1.json") -eq 2 ]] || fail "db0 keys with a TTL: $(jq -r '.fingerprint["0"].expires' "$WORK/b1.json")"
[[ $(jq -r '.fingerprint["5"].expires' "$WORK/b1.json") -eq 1 ]] || fail "db5 TTL not counted"
lb -r "$REPO" snapshots --tag redis | grep -q "redis://127.0.0.1:$REDIS_PORT" || fail "snapshot path is not the server"

step "the stored RDB is the server's data: redis-check-rdb, and DEBUG DIGEST of a server loaded from it"
lb -r "$REPO" dump latest /redis/dump.rdb >"$WORK/got.rdb"
redis-check-rdb "$WORK/got.rdb" >"$WORK/check-rdb.out" 2>&1 || { cat "$WORK/check-rdb.out"; fail "redis-check-rdb refuses the stored RDB"; }
mkdir -p "$WORK/redis-loaded" && cp "$WORK/got.rdb" "$WORK/redis-loaded/dump.rdb"
start_redis loaded
[[ $(rcli loaded DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "DEBUG DIGEST of the loaded RDB differs from the source's"
lb -r "$REPO" dump latest /redis/manifest.json | jq -e '.kind == "redis" and .rdb_version >= 10' >/dev/null || fail "manifest"

step "an unchanged server backs up again as a delta of nothing (the later restores merge it with its full)"
lb -r "$REPO" --json backup "redis://127.0.0.1:${REDIS_PORTS[src]}" >"$WORK/b2.json"
[[ $(jq -r .data_added "$WORK/b2.json") -lt 200000 ]] || fail "second backup of unchanged data added $(jq -r .data_added "$WORK/b2.json") bytes"
jq -e --arg full "$(jq -r .snapshot_id "$WORK/b1.json")" \
  '.type == "delta" and .base_snapshot == $full and .changed == 0 and .added == 0 and .deleted == 0' "$WORK/b2.json" \
  >/dev/null || { cat "$WORK/b2.json"; fail "the second backup is not an empty delta of the first"; }

step "restore into a live server by RESTORE: the same data as the source (DEBUG DIGEST), TTLs kept"
start_redis target
lb -r "$REPO" --json restore latest --tag redis --to "redis://127.0.0.1:$REDIS_PORT" >"$WORK/r1.json" || fail "restore --to redis://"
[[ $(rcli target DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "the restored server's DEBUG DIGEST differs from the source's"
[[ $(jq -r .keys_restored "$WORK/r1.json") -eq $want_keys ]] || fail "restored $(jq -r .keys_restored "$WORK/r1.json") keys, want $want_keys"
ttl=$(rcli target PTTL str:ttl)
[[ $ttl -gt 0 && $ttl -le 100000000 ]] || fail "TTL not kept: $ttl"
expect_exit 1 lb -r "$REPO" restore latest --tag redis --to "redis://127.0.0.1:$REDIS_PORT"
expect_stderr "is not empty \(db0: [0-9]+ keys.*give --flush"
echo "SET extra 1" | rcli target >/dev/null
lb -r "$REPO" restore latest --tag redis --to "redis://127.0.0.1:$REDIS_PORT" --replace >/dev/null || fail "--replace"
[[ $(rcli target GET extra) == 1 ]] || fail "--replace removed a key the snapshot does not have"
lb -r "$REPO" restore latest --tag redis --to "redis://127.0.0.1:$REDIS_PORT" --flush >/dev/null || fail "--flush"
[[ $(rcli target DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "after --flush the data differs"

step "restore --data-dir for a stopped server, and dump of a Redis snapshot"
mkdir -p "$WORK/redis-fromdir"
lb -r "$REPO" restore latest --tag redis --data-dir "$WORK/redis-fromdir" >/dev/null || fail "--data-dir"
expect_exit 1 lb -r "$REPO" restore latest --tag redis --data-dir "$WORK/redis-fromdir"
expect_stderr "dump.rdb exists"
start_redis fromdir
[[ $(rcli fromdir DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "a server started on the restored dump.rdb differs"
full=$(jq -r .snapshot_id "$WORK/b1.json")
lb -r "$REPO" dump "$full" >"$WORK/dumped.rdb"
lb -r "$REPO" dump "$full" /redis/dump.rdb >"$WORK/dumped-by-path.rdb"
cmp "$WORK/dumped.rdb" "$WORK/dumped-by-path.rdb" || fail "dump of a full Redis snapshot is not its RDB"

step "verify: redis-check-rdb, a scratch server, every key read back and compared with the fingerprint"
lb -r "$REPO" verify latest --tag redis >"$WORK/verify.out" || { cat "$WORK/verify.out"; fail "verify of a good snapshot"; }
grep -q "^PASS redis-check-rdb" "$WORK/verify.out" || fail "verify did not run redis-check-rdb"
grep -q "^PASS db0: $(rcli src -n 0 DBSIZE) keys" "$WORK/verify.out" || { cat "$WORK/verify.out"; fail "verify db0"; }
grep -q "^PASS db5: 1 keys (1 at backup), 1 with a TTL" "$WORK/verify.out" || { cat "$WORK/verify.out"; fail "verify db5"; }
lb -r "$REPO" --json verify latest --tag redis | jq -e '.ok and (.databases | length) == 3' >/dev/null || fail "verify --json"

step "a day of change: the delta holds only what changed; restore, dump and verify give the server's data"
{
  for i in $(seq 1 200); do echo "SET pop:$i rewritten-$i"; done
  for i in $(seq 201 260); do echo "DEL pop:$i"; done
  for i in $(seq 1 50); do echo "SET fresh:$i new-$i"; done
  echo "RPUSH list:big one-more"
  echo "HSET hash:small f3 v3"
  echo "EXPIRE str:plain 500000"
  echo "PERSIST hash:small"
  echo "SELECT 2"
  echo "DEL db2:key"
  echo "SELECT 7"
  echo "SET db7:key seven"
} | rcli src >/dev/null
lb -r "$REPO" --json backup "redis://127.0.0.1:${REDIS_PORTS[src]}" >"$WORK/b4.json" || fail "delta backup"
# changed: 200 pop, list:big, hash:small, str:plain; added: 50 fresh + db7; deleted: 60 pop + db2:key
jq -e '.type == "delta" and .changed == 203 and .added == 51 and .deleted == 61' "$WORK/b4.json" >/dev/null \
  || { jq -c '{type, changed, added, deleted}' "$WORK/b4.json"; fail "the delta's counts"; }
full_added=$(jq -r .data_added "$WORK/b1.json")
[[ $(jq -r .data_added "$WORK/b4.json") -lt $((full_added / 10)) ]] \
  || fail "the delta added $(jq -r .data_added "$WORK/b4.json") bytes, the full $full_added"
lb -r "$REPO" restore latest --tag redis --to "redis://127.0.0.1:${REDIS_PORTS[target]}" --flush >/dev/null || fail "restore of the delta"
[[ $(rcli target DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "the delta restored differs from the source"
[[ $(rcli target -n 2 EXISTS db2:key) == 0 && $(rcli target -n 7 GET db7:key) == seven ]] || fail "delta: db2/db7 keys"
[[ $(rcli target PTTL hash:small) == -1 && $(rcli target TTL str:plain) -gt 400000 ]] || fail "delta: TTL changes"
lb -r "$REPO" dump latest --tag redis >"$WORK/delta.rdb"
redis-check-rdb "$WORK/delta.rdb" >"$WORK/check-delta.out" 2>&1 || { cat "$WORK/check-delta.out"; fail "redis-check-rdb refuses the merged RDB"; }
mkdir -p "$WORK/redis-fromdelta" && cp "$WORK/delta.rdb" "$WORK/redis-fromdelta/dump.rdb"
start_redis fromdelta
[[ $(rcli fromdelta DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "a server loading the merged RDB differs from the source"
lb -r "$REPO" verify latest --tag redis >"$WORK/verify-delta.out" || { cat "$WORK/verify-delta.out"; fail "verify of the delta"; }
grep -q "^PASS db7: 1 keys" "$WORK/verify-delta.out" || { cat "$WORK/verify-delta.out"; fail "verify of the delta: db7"; }
# Every delta counts what changed since the full (b4's counts).
step "a full keeps its key table in the local cache; a delta without it reads the full back and keeps it"
jq -e '.base_read == "cache"' "$WORK/b4.json" >/dev/null || fail "the delta did not take the full's key table from the cache"
tables() { find "$WORK/cache" -path '*/redis-keys/*' -type f 2>/dev/null | wc -l; }
[[ $(tables) == 1 ]] || fail "want one key table in the cache, found $(tables)"
[[ -f $WORK/cache/CACHEDIR.TAG ]] || fail "the cache has no CACHEDIR.TAG"
backup_json() { lb -r "$REPO" --json "$@" backup "redis://127.0.0.1:${REDIS_PORTS[src]}" 2>"$WORK/cache.err" | tail -n 1; }
backup_json --no-cache | jq -e '.type == "delta" and .base_read == "repository"' >/dev/null || fail "--no-cache"
rm -rf "$WORK/cache"
backup_json >"$WORK/b-nocache.json"
jq -e '.base_read == "repository" and .changed == 203 and .added == 51 and .deleted == 61' "$WORK/b-nocache.json" >/dev/null \
  || { cat "$WORK/b-nocache.json" "$WORK/cache.err"; fail "a delta with no cache reads its full back"; }
[[ $(tables) == 1 ]] || fail "the delta that read its full back kept no key table"
backup_json | jq -e '.base_read == "cache" and .changed == 203' >/dev/null || fail "the key table kept by a delta"
table=$(find "$WORK/cache" -path '*/redis-keys/*' -type f)
printf 'x' | dd of="$table" bs=1 seek=100 conv=notrunc status=none
backup_json | jq -e '.base_read == "repository" and .changed == 203 and .deleted == 61' >/dev/null || fail "a damaged key table"
grep -q "key table of the full backup .* is unusable (cache file .* does not authenticate" "$WORK/cache.err" \
  || { cat "$WORK/cache.err"; fail "no warning for the damaged key table"; }
backup_json | jq -e '.base_read == "cache"' >/dev/null || fail "the damaged key table was not replaced"
lb -r "$REPO" restore latest --tag redis --to "redis://127.0.0.1:${REDIS_PORTS[target]}" --flush >/dev/null || fail "restore"
[[ $(rcli target DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "the delta made with the cached table differs"
# The delta keeps the full's RDB alive: forget the full and the delta still restores.
lb -r "$REPO" -q forget "$full" "$(jq -r .snapshot_id "$WORK/b2.json")"
lb -r "$REPO" -q prune >/dev/null
lb -r "$REPO" check --read-data >/dev/null || fail "check after the full was forgotten"
lb -r "$REPO" restore latest --tag redis --to "redis://127.0.0.1:${REDIS_PORTS[target]}" --flush >/dev/null \
  || fail "restore of the delta once its full is forgotten"
[[ $(rcli target DEBUG DIGEST) == $(rcli src DEBUG DIGEST) ]] || fail "the delta without its full snapshot differs"
# --type full (and --force) take a full again; --type takes no other word.
lb -r "$REPO" --json backup --type full "redis://127.0.0.1:${REDIS_PORTS[src]}" | tail -n 1 | jq -e '.type == "full"' >/dev/null \
  || fail "--type full"
lb -r "$REPO" --json backup "redis://127.0.0.1:${REDIS_PORTS[src]}" | tail -n 1 | jq -e '.type == "delta" and .changed == 0' >/dev/null \
  || fail "a delta against the new full"
expect_exit 2 lb -r "$REPO" backup --type weekly "redis://127.0.0.1:${REDIS_PORTS[src]}"
expect_stderr "--type must be full, delta or auto"

step "verify of an RDB the server cannot load: FAIL, exit 4, and the reason named"
# A real RDB of src made into version 11 (Redis 7.2's), with the checksum
# left out (zero): lifeboat's parser reads it, redis-server 7.0 refuses it.
# A stand-in master (tests/tools/fake_redis_master.js) serves it, as no real
# server here would.
redis-cli -p "${REDIS_PORTS[src]}" --rdb "$WORK/real.rdb" >/dev/null 2>&1 || fail "redis-cli --rdb"
{ printf 'REDIS0011'; tail -c +10 "$WORK/real.rdb" | head -c -8; head -c 8 /dev/zero; } >"$WORK/v11.rdb"
fake=$(free_port)
node "$LIFEBOAT_SRC/tests/tools/fake_redis_master.js" "$fake" "$WORK/v11.rdb" >"$WORK/fake.out" 2>&1 &
CLEANUP_PIDS+=($!)
for _ in $(seq 1 100); do grep -q ready "$WORK/fake.out" && break; sleep 0.05; done
grep -q ready "$WORK/fake.out" || fail "the stand-in master did not start"
lb -r "$REPO" --json backup "redis://127.0.0.1:$fake" >"$WORK/v11.json" || fail "backup of the v11 RDB"
[[ $(json_field rdb_version <"$WORK/v11.json") == 11 ]] || fail "the v11 RDB was not recorded as version 11"
set +e
lb -r "$REPO" verify latest --tag redis >"$WORK/v11-verify.out" 2>"$WORK/v11-verify.err"
rc=$?
set -e
[[ $rc -eq 4 ]] || { cat "$WORK/v11-verify.out" "$WORK/v11-verify.err"; fail "verify of an unloadable RDB: exit $rc, want 4"; }
grep -q "^FAIL redis-check-rdb: .*version" "$WORK/v11-verify.out" || { cat "$WORK/v11-verify.out"; fail "verify does not name the RDB version"; }
grep -q "verification FAILED" "$WORK/v11-verify.out" || fail "verify does not say it failed"
lb -r "$REPO" -q forget "$(json_field snapshot_id <"$WORK/v11.json")"  # the later steps verify "latest"

step "password: from the URL, REDISCLI_AUTH and --redis-password-file; a wrong one is exit 15 and never printed"
start_redis auth --requirepass 's3cret-pass'
echo "SET k v" | rcli auth -a 's3cret-pass' --no-auth-warning >/dev/null
lb -r "$REPO" backup "redis://:s3cret-pass@127.0.0.1:$REDIS_PORT" >/dev/null || fail "password in the URL"
REDISCLI_AUTH=s3cret-pass lb -r "$REPO" backup "redis://127.0.0.1:$REDIS_PORT" >/dev/null || fail "REDISCLI_AUTH"
echo 's3cret-pass' >"$WORK/redis-pw"
lb -r "$REPO" backup --redis-password-file "$WORK/redis-pw" "redis://127.0.0.1:$REDIS_PORT" >/dev/null || fail "--redis-password-file"
expect_exit 15 lb -r "$REPO" backup "redis://:wrong-pass-xyz@127.0.0.1:$REDIS_PORT"
expect_stderr "AUTH refused"
! grep -q "wrong-pass-xyz\|s3cret" "$WORK/last.err" || fail "a password reached the error message"
expect_exit 15 lb -r "$REPO" backup "redis://127.0.0.1:$REDIS_PORT"
expect_stderr "NOAUTH"

step "a dead server: exit 16, one line"
dead=$(free_port)
expect_exit 16 lb -r "$REPO" backup "redis://127.0.0.1:$dead"
expect_stderr "connect to redis://127.0.0.1:$dead: Connection refused"
[[ $(wc -l <"$WORK/last.err") -eq 1 ]] || fail "not one line"

step "SYNC and PSYNC renamed away: BGSAVE with --redis-data-dir, else a clear refusal"
start_redis nosync --rename-command SYNC "" --rename-command PSYNC ""
echo "SET only here" | rcli nosync >/dev/null
before=$(lb -r "$REPO" --json snapshots | jq length)
expect_exit 15 lb -r "$REPO" backup "redis://127.0.0.1:$REDIS_PORT"
expect_stderr "refuses replication .* no --redis-data-dir"
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq $before ]] || fail "a refused backup saved a snapshot"
lb -r "$REPO" --json backup --redis-data-dir "$WORK/redis-nosync" "redis://127.0.0.1:$REDIS_PORT" >"$WORK/b3.json" \
  || fail "BGSAVE fallback"
[[ $(jq -r .method "$WORK/b3.json") == bgsave ]] || fail "the fallback is not reported"
[[ $(jq -r .keys "$WORK/b3.json") -eq 1 ]] || fail "the fallback's RDB does not hold the key"

step "killed mid-transfer: no snapshot, the repository checks clean, the next backup works"
before=$(lb -r "$REPO" --json snapshots | jq length)
rcli src DEBUG POPULATE 300000 big 200 >/dev/null
set +e
(LIFEBOAT_TEST_KILL_AT=after:1 "$LIFEBOAT" -r "$REPO" -q backup "redis://127.0.0.1:${REDIS_PORTS[src]}" >/dev/null 2>&1) 2>/dev/null
rc=$?
set -e
[[ $rc -eq 137 ]] || fail "the backup was not killed (exit $rc)"
lb -r "$REPO" unlock >/dev/null
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq $before ]] || fail "a killed backup saved a snapshot"
lb -r "$REPO" check >/dev/null || fail "check after the killed backup"
lb -r "$REPO" backup "redis://127.0.0.1:${REDIS_PORTS[src]}" >/dev/null || fail "backup after the killed one"
lb -r "$REPO" check --read-data >/dev/null || fail "check --read-data"
restic -r "$REPO" check --read-data >/dev/null 2>&1 || fail "restic check"
echo "redis: ok"
