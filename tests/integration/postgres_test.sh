#!/usr/bin/env bash
# PostgreSQL logical backups against a real PostgreSQL 15 started here:
# pgbench data plus awkward types (bytea, jsonb, arrays, large objects,
# hstore/citext extensions, partitions, odd names), streamed in with
# pg_dump -Fc -Z0, restored with pg_restore, fingerprints equal, dedup from
# one day to the next, SQL export, restore tests in a scratch server, a
# killed backup, and bad input: wrong password, dead server, no pg_dump,
# non-empty target.
source "$(dirname "$0")/lib.sh"

start_postgres
psql_q postgres "CREATE DATABASE app" >/dev/null
"$PG_BIN/pgbench" -i -s 2 -q -h "$PG_DIR" -p "$PG_PORT" -U postgres app >/dev/null 2>&1 || fail "pgbench -i"
psql_q app "$(cat "$LIFEBOAT_SRC/tests/integration/sql/awkward.sql")" >/dev/null
R=$WORK/repo
lb -r "$R" init >/dev/null

# Wrappers around pg_dump and pg_restore that record their argv and whether
# a password reached them through the environment.
WRAP=$WORK/pgbin
mkdir -p "$WRAP"
for tool in pg_dump pg_dumpall pg_restore psql initdb pg_ctl; do
  cat >"$WRAP/$tool" <<WRAPPER
#!/bin/sh
echo "$tool \$*" >>"$WORK/argv.log"
[ -n "\$PGPASSWORD" ] && echo "$tool has PGPASSWORD" >>"$WORK/argv.log"
env | grep -q '^LIFEBOAT_' && echo "$tool sees LIFEBOAT_ variables" >>"$WORK/argv.log"
exec "$PG_BIN/$tool" "\$@"
WRAPPER
  chmod +x "$WRAP/$tool"
done
chmod 755 "$WORK" "$WRAP"

# table_sums DB: per user table, its row count and an md5 of its sorted rows.
table_sums() {
  local t
  psql_q "$1" "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables ORDER BY 1" |
    while IFS= read -r t; do
      echo "$t $(psql_q "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM $t x")"
    done
  echo "large objects $(psql_q "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(encode(lo_get(oid), 'hex'), '|' ORDER BY oid)), '-') FROM pg_largeobject_metadata")"
  echo "sequence $(psql_q "$1" "SELECT last_value || ' ' || is_called FROM counter")"
}

step "logical backup of one database (password from the URL; never in argv)"
PASSURL=postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/app
env -u PGPASSWORD LIFEBOAT_PG_BINDIR="$WRAP" "$LIFEBOAT" -r "$R" --json backup "$PASSURL" >"$WORK/b1.json" 2>"$WORK/b1.err" \
  || { cat "$WORK/b1.err"; fail "backup of app"; }
grep -q "pg_dump --format=custom --compress=0 --snapshot=" "$WORK/argv.log" || { cat "$WORK/argv.log"; fail "pg_dump not run as expected"; }
grep -q "pg_dump has PGPASSWORD" "$WORK/argv.log" || fail "pg_dump did not get the password through its environment"
grep -q "$PG_PASSWORD" "$WORK/argv.log" && fail "the password reached a command line"
grep -q "LIFEBOAT_ variables" "$WORK/argv.log" && fail "pg_dump saw LIFEBOAT_ variables"
grep -q "$PG_PASSWORD" "$WORK/b1.json" "$WORK/b1.err" && fail "the password reached the output"
lb -r "$R" --json snapshots | grep -q "$PG_PASSWORD" && fail "the password reached the snapshot"
[[ $(lb -r "$R" --json snapshots | jq -r '.[0].paths[0]') == "$PG_URL/app" ]] || fail "snapshot path is not the URL without password"
lb -r "$R" ls latest >"$WORK/ls.txt"
for f in /postgres/manifest.json /postgres/globals.sql /postgres/app.dump /postgres/app.fingerprint.json; do
  grep -qx "$f" "$WORK/ls.txt" || { cat "$WORK/ls.txt"; fail "$f not in the snapshot"; }
done
lb -r "$R" dump latest /postgres/globals.sql | grep -q "CREATE ROLE app_owner" || fail "globals lack the role"
lb -r "$R" dump latest /postgres/app.fingerprint.json >"$WORK/fp.json"
[[ $(jq -r '.tables[] | select(.name == "public.pgbench_accounts") | .rows' "$WORK/fp.json") -eq 200000 ]] || fail "fingerprint rows of pgbench_accounts"
[[ $(jq -r '.tables[] | select(.name == "\"Odd Schema\".\"Mixed Case\"") | .rows' "$WORK/fp.json") -eq 200 ]] || fail "fingerprint of the odd table"
[[ $(jq -r '.tables[] | select(.kind == "large objects") | .rows' "$WORK/fp.json") -eq 5 ]] || fail "fingerprint of large objects"
dump_size=$(tail -n 1 "$WORK/b1.json" | jq -r .total_bytes_processed)

step "restore into a new database with pg_restore -j2; every table equal"
table_sums app >"$WORK/sums.app"
lb -r "$R" --json restore latest --to "$PG_URL/app_copy" --create --jobs 2 >"$WORK/r1.json"
[[ $(tail -n 1 "$WORK/r1.json" | jq -r .created) == true ]] || fail "app_copy not reported created"
table_sums app_copy >"$WORK/sums.copy"
diff "$WORK/sums.app" "$WORK/sums.copy" || fail "restored database differs"
[[ $(psql_q app_copy "SELECT tableowner FROM pg_tables WHERE tablename = 'Mixed Case'") == app_owner ]] || fail "owner not restored"
lb -r "$R" verify latest --against "$PG_URL/app_copy" >"$WORK/v0.txt" || { cat "$WORK/v0.txt"; fail "verify --against the copy"; }

step "restore test in a scratch server: every table matches its fingerprint"
lb -r "$R" verify >"$WORK/v1.txt" || { cat "$WORK/v1.txt"; fail "verify"; }
grep -q "database app .* ok: " "$WORK/v1.txt" || { cat "$WORK/v1.txt"; fail "verify did not report app ok"; }
grep -q "ok   public.pgbench_accounts .*200000 rows, checksum equal" "$WORK/v1.txt" || { cat "$WORK/v1.txt"; fail "verify table line"; }
lb -r "$R" --json verify >"$WORK/v1.json"
[[ $(tail -n 1 "$WORK/v1.json" | jq -r .ok) == true ]] || fail "verify --json not ok"
compgen -G "$TMPDIR/lifeboat-scratch-pg-*" >/dev/null && fail "verify left its scratch server behind"

step "a changed database is named, table by table"
psql_q app_copy "UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1; DELETE FROM \"Odd Schema\".\"Mixed Case\" WHERE k = 'key 7'" >/dev/null
expect_exit 4 lb -r "$R" verify latest --against "$PG_URL/app_copy"
grep -q "FAIL public.pgbench_branches .*contents differ" "$WORK/last.out" || { cat "$WORK/last.out"; fail "changed branch not named"; }
grep -q "FAIL \"Odd Schema\".\"Mixed Case\" *rows: 200 at backup, 199 restored" "$WORK/last.out" || { cat "$WORK/last.out"; fail "deleted row not named"; }

step "dump: the custom file as stored, and plain SQL"
lb -r "$R" dump latest >"$WORK/app.dump"
"$PG_BIN/pg_restore" -l "$WORK/app.dump" | grep -q "TABLE DATA public pgbench_accounts" || fail "dump is not a custom-format archive"
lb -r "$R" dump latest --format sql >"$WORK/app.sql"
grep -q "CREATE TABLE public.awkward" "$WORK/app.sql" || fail "SQL lacks CREATE TABLE"
grep -q "^COPY public.pgbench_accounts" "$WORK/app.sql" || fail "SQL lacks the data"

step "one day of change: the second dump deduplicates against the first"
"$PG_BIN/pgbench" -h "$PG_DIR" -p "$PG_PORT" -U postgres -t 200 -c 2 app >/dev/null 2>&1 || fail "pgbench run"
psql_q app "UPDATE awkward SET note = 'changed' WHERE id % 50 = 0" >/dev/null
lb -r "$R" --json backup "$PG_URL/app" >"$WORK/b2.json"
added=$(tail -n 1 "$WORK/b2.json" | jq -r .data_added)
echo "dump $dump_size bytes; second day added $added bytes"
[[ $added -lt $((dump_size / 3)) ]] || fail "second backup added $added bytes of a $dump_size-byte dump"
lb -r "$R" verify >/dev/null || fail "verify of the second backup"

step "every database plus globals"
lb -r "$R" --json backup "$PG_URL/" >"$WORK/b3.json"
[[ $(tail -n 1 "$WORK/b3.json" | jq -r '.databases | join(",")') == "app,app_copy,postgres" ]] || { cat "$WORK/b3.json"; fail "databases"; }
expect_exit 2 lb -r "$R" restore latest --to "$PG_URL/app3" --create
expect_stderr "holds 3 databases .*--database"
lb -r "$R" restore latest --to "$PG_URL/app3" --create --database app >/dev/null
table_sums app3 >"$WORK/sums.app3"
table_sums app >"$WORK/sums.app.now"
diff "$WORK/sums.app.now" "$WORK/sums.app3" || fail "app from the all-databases snapshot differs"
lb -r "$R" verify latest >"$WORK/v3.txt" || { cat "$WORK/v3.txt"; fail "verify of all databases"; }
[[ $(grep -c "^  database .* ok: " "$WORK/v3.txt") -eq 3 ]] || { cat "$WORK/v3.txt"; fail "not 3 databases verified"; }

step "a backup killed mid-dump leaves a valid repository; the next one works"
for point in after:1 after:3 before:5; do
  before=$(lb -r "$R" --json snapshots | jq length)
  set +e
  (LIFEBOAT_TEST_KILL_AT=$point "$LIFEBOAT" -r "$R" -q backup "$PG_URL/app" >/dev/null 2>&1 </dev/null) 2>/dev/null
  rc=$?
  set -e
  [[ $rc -eq 137 ]] || fail "backup was not killed at $point (exit $rc)"
  lb -r "$R" unlock >/dev/null
  [[ $(lb -r "$R" --json snapshots | jq length) -eq $before ]] || fail "a killed backup saved a snapshot"
  lb -r "$R" check >/dev/null || fail "check after a backup killed at $point"
done
# No pg_dump is left running, and the server serves.
pgrep -f "pg_dump --format=custom" >/dev/null && fail "a pg_dump outlived the killed backup"
lb -r "$R" backup "$PG_URL/app" >/dev/null || fail "backup after the killed ones"
lb -r "$R" check --read-data >/dev/null || fail "check --read-data"
restic -r "$R" check --read-data >"$WORK/restic.out" 2>&1 || { cat "$WORK/restic.out"; fail "restic check"; }

step "bad input: clear errors, documented exit codes"
expect_exit 15 env PGPASSWORD=wrong "$LIFEBOAT" -r "$R" backup "$PG_URL/app"
expect_stderr "password authentication failed"
[[ $(wc -l <"$WORK/last.err") -eq 1 ]] || { cat "$WORK/last.err"; fail "not one line"; }
expect_exit 15 env -u PGPASSWORD "$LIFEBOAT" -r "$R" backup "postgres://postgres:wrong-$PG_PASSWORD@127.0.0.1:$PG_PORT/app"
grep -q "wrong-$PG_PASSWORD" "$WORK/last.err" && fail "the wrong password was printed"
dead=$(free_port)
expect_exit 16 lb -r "$R" backup "postgres://postgres@127.0.0.1:$dead/app"
expect_stderr "127.0.0.1:$dead/app.*(refused|failed)"
expect_exit 13 lb -r "$R" backup "$PG_URL/nosuchdb"
expect_stderr "nosuchdb"
mkdir -p "$WORK/empty-bin"
expect_exit 13 env LIFEBOAT_PG_BINDIR="$WORK/empty-bin" "$LIFEBOAT" -r "$R" backup "$PG_URL/app"
expect_stderr "pg_dump not found"
expect_exit 1 lb -r "$R" restore latest --to "$PG_URL/app_copy"
expect_stderr "app_copy.* is not empty .*--clean"
expect_exit 13 lb -r "$R" restore latest --to "$PG_URL/app4"
expect_stderr "app4 does not exist.*--create"
expect_exit 2 lb -r "$R" backup "$PG_URL/app" /etc
expect_exit 2 lb -r "$R" backup "postgres://[bad"
lb -r "$R" restore latest --to "$PG_URL/app_copy" --clean >/dev/null || fail "restore --clean"
table_sums app_copy >"$WORK/sums.clean"
table_sums app >"$WORK/sums.app.now"
diff "$WORK/sums.app.now" "$WORK/sums.clean" || fail "restore --clean differs"
step "several databases"
lb -r "$R" --json backup "$PG_URL/" --database app_copy,app3 --no-globals >"$WORK/b4.json"
[[ $(tail -n 1 "$WORK/b4.json" | jq -r '.databases | join(",")') == "app3,app_copy" ]] || { cat "$WORK/b4.json"; fail "--database"; }
lb -r "$R" ls latest | grep -qx /postgres/globals.sql && fail "--no-globals dumped globals"
expect_exit 13 lb -r "$R" backup "$PG_URL/" --database app,nosuch
expect_stderr "database nosuch does not exist"
expect_exit 2 lb -r "$R" backup "$PG_URL/app" --database app

lb -r "$R" check >/dev/null
echo "postgres: ok"
