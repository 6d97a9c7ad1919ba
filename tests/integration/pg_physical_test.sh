#!/usr/bin/env bash
# PostgreSQL physical backups and point-in-time recovery against a real
# PostgreSQL 15: archive_command runs lifeboat pg wal-push, two base
# backups (the second differential: page deltas against the first, which
# is then forgotten and pruned before the restores), marker rows with known
# commit times across several WAL segments, restores to a time, to an LSN
# and to the end of the archive that each hold exactly the expected markers,
# WAL expiry that keeps what the remaining backup needs, wal-push killed
# before and after storing (the server's archiver recovers; the archive
# stays valid), an archiver blocked and unblocked, the archive_check job
# (lifeboat_wal_archive_last_timestamp_seconds, a failing archiver, a
# repository archive_command does not write to), and bad input.
source "$(dirname "$0")/lib.sh"

# The repository belongs to the server's user: its archive_command writes
# WAL there (root runs the other commands).
pg_owned_repo lifeboat-pgrepo

cat >"$PGREPO/archive.sh" <<SCRIPT
#!/bin/sh
# archive_command for the test: blockable, and killable at a chosen point.
[ -e "$PGREPO/archive-blocked" ] && exit 1
export LIFEBOAT_REPOSITORY="$REPO" LIFEBOAT_PASSWORD_FILE="$PWF"
if [ -e "$PGREPO/kill-next" ]; then
  point=\$(cat "$PGREPO/kill-next"); rm -f "$PGREPO/kill-next"
  echo "\$1" >>"$PGREPO/killed"
  LIFEBOAT_TEST_KILL_AT=\$point exec "$LIFEBOAT" -q pg wal-push "\$1"
fi
exec "$LIFEBOAT" -q pg wal-push "\$1"
SCRIPT
chmod 755 "$PGREPO/archive.sh"
start_postgres "wal_level = replica" "archive_mode = on" "archive_command = 'sh $PGREPO/archive.sh %p'"

sql() { psql_q app "$1"; }
# switch_and_wait: ends the current WAL segment and waits (bounded) until
# the archiver has stored it.
switch_and_wait() {
  local seg
  seg=$(sql "SELECT pg_walfile_name(pg_current_wal_lsn())")
  sql "SELECT pg_switch_wal()" >/dev/null
  for _ in $(seq 1 600); do
    [[ $(psql_q postgres "SELECT coalesce(last_archived_wal, '') >= '$seg' FROM pg_stat_archiver") == t ]] && return 0
    sleep 0.1
  done
  cat "$PG_DIR/server.log" | tail -20 >&2
  fail "segment $seg was not archived"
}
psql_q postgres "CREATE DATABASE app" >/dev/null
"$PG_BIN/pgbench" -i -s 3 -q -h "$PG_DIR" -p "$PG_PORT" -U postgres app >/dev/null 2>&1 || fail "pgbench -i"
sql "CREATE TABLE markers (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())" >/dev/null
sql "INSERT INTO markers (id) VALUES (1)" >/dev/null

step "base backup (pg_backup_start/stop, WAL archived by wal-push before it counts)"
lb -r "$REPO" --json pg basebackup "$PG_URL/" >"$WORK/bb1.json" 2>"$WORK/bb1.err" || { cat "$WORK/bb1.err"; fail "basebackup"; }
bb1=$(tail -n 1 "$WORK/bb1.json" | jq -r .snapshot_id)
start1=$(tail -n 1 "$WORK/bb1.json" | jq -r .start_wal)
stop1=$(tail -n 1 "$WORK/bb1.json" | jq -r .stop_wal)
total1=$(tail -n 1 "$WORK/bb1.json" | jq -r .total_bytes_processed)
lb -r "$REPO" pg wal-list --files >"$WORK/wal1.txt"
grep -q "^$stop1 " "$WORK/wal1.txt" || { cat "$WORK/wal1.txt"; fail "the backup's last segment $stop1 is not archived"; }
grep -q "^$start1\.[0-9A-F]*\.backup " "$WORK/wal1.txt" || fail "no backup history file"
lb -r "$REPO" ls "$bb1" >"$WORK/ls1.txt"
grep -qx "/pgdata/PG_VERSION" "$WORK/ls1.txt" || fail "PG_VERSION not in the backup"
grep -qx "/postgres/backup_label" "$WORK/ls1.txt" || fail "backup_label not in the backup"
grep -q "^/pgdata/pg_wal/0000" "$WORK/ls1.txt" && fail "pg_wal contents were copied"
grep -qx "/pgdata/postmaster.pid" "$WORK/ls1.txt" && fail "postmaster.pid was copied"

step "a second base backup stores only what changed"
"$PG_BIN/pgbench" -h "$PG_DIR" -p "$PG_PORT" -U postgres -t 300 -c 2 app >/dev/null 2>&1 || fail "pgbench"
# Hint bits set now, so that no later read changes the accounts' pages: WAL
# replay after the restore must not rewrite (and so mend) the pages put
# together from deltas, or the comparison below would prove nothing.
sql "VACUUM pgbench_accounts" >/dev/null
accounts_sum=$(sql "SELECT count(*) || ' ' || sum(hashtext(a::text)) FROM pgbench_accounts a")
lb -r "$REPO" --json pg basebackup "$PG_URL/" >"$WORK/bb2.json"
bb2=$(tail -n 1 "$WORK/bb2.json" | jq -r .snapshot_id)
start2=$(tail -n 1 "$WORK/bb2.json" | jq -r .start_wal)
added2=$(tail -n 1 "$WORK/bb2.json" | jq -r .data_added)
unmodified2=$(tail -n 1 "$WORK/bb2.json" | jq -r .files_unmodified)
echo "first base backup: $total1 bytes of files; second added $added2 bytes, $unmodified2 files not read again"
[[ $(tail -n 1 "$WORK/bb2.json" | jq -r .parent) == "$bb1" ]] || fail "second base backup did not use the first as parent"
[[ $unmodified2 -gt 100 ]] || fail "only $unmodified2 unchanged files skipped"
[[ $added2 -lt $((total1 / 4)) ]] || fail "second base backup added $added2 of $total1 bytes"
# Differential: the relation files pgbench changed are page deltas against
# the first (full) one, and the snapshot keeps the full's version of them.
jq -e '.type == "diff" and .delta_files > 0 and .delta_pages_patched > 0' <(tail -n 1 "$WORK/bb2.json") >/dev/null \
  || { tail -n 1 "$WORK/bb2.json"; fail "the second base backup is not differential"; }
[[ $(tail -n 1 "$WORK/bb2.json" | jq -r .base_snapshot) == "$bb1" ]] || fail "the differential backup is not based on the full one"
[[ $(tail -n 1 "$WORK/bb1.json" | jq -r .type) == full ]] || fail "the first base backup is not full"
accounts=$(sql "SELECT pg_relation_filepath('pgbench_accounts')")
lb -r "$REPO" ls "$bb2" >"$WORK/ls2.txt"
grep -qx "/pgdata-delta/$accounts" "$WORK/ls2.txt" || fail "no page delta of pgbench_accounts ($accounts)"
grep -qx "/pgdata-base/$accounts" "$WORK/ls2.txt" || fail "the full's pgbench_accounts is not kept"
grep -qx "/pgdata/$accounts" "$WORK/ls2.txt" && fail "pgbench_accounts stored whole and as a delta"

step "a base backup killed mid-way: the repository stays valid, the server ends the backup, the next one works"
for point in after:1 after:3; do
  before=$(lb -r "$REPO" --json snapshots | jq length)
  set +e
  (LIFEBOAT_TEST_KILL_AT=$point "$LIFEBOAT" -r "$REPO" -q pg basebackup "$PG_URL/" >/dev/null 2>&1 </dev/null) 2>/dev/null
  rc=$?
  set -e
  [[ $rc -eq 137 ]] || fail "basebackup was not killed at $point (exit $rc)"
  lb -r "$REPO" unlock >/dev/null
  [[ $(lb -r "$REPO" --json snapshots | jq length) -eq $before ]] || fail "a killed base backup saved a snapshot"
  lb -r "$REPO" check >/dev/null || fail "check after a base backup killed at $point"
done
lb -r "$REPO" --json pg basebackup --type full "$PG_URL/" >"$WORK/bb3.json" || fail "base backup after the killed ones"
[[ $(tail -n 1 "$WORK/bb3.json" | jq -r .type) == full ]] || fail "--type full did not take a full base backup"
lb -r "$REPO" forget "$(tail -n 1 "$WORK/bb3.json" | jq -r .snapshot_id)" >/dev/null

step "marker rows with known commit times over several WAL segments"
for i in 2 3 4 5 6; do
  sql "INSERT INTO markers (id) VALUES ($i)" >/dev/null
  if [[ $i -eq 3 ]]; then
    T=$(sql "SELECT clock_timestamp()")  # what now() prints: 2026-12-02 07:38:38.6636+00
    T_UTC=$(sql "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || ' UTC'")
  fi
  [[ $i -eq 5 ]] && L=$(sql "SELECT pg_current_wal_lsn()")
  sql "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) SELECT 1, 1, g, g, now() FROM generate_series(1, 20000) g" >/dev/null
  switch_and_wait
done
echo "target time $T (after marker 3), target LSN $L (after marker 5)"

step "wal-list --commits reads each segment's commits as pg_waldump does"
lb -r "$REPO" --json pg wal-list --commits >"$WORK/commits.json"
mkdir -p "$WORK/waldump"
checked=0
# usec T: an RFC 3339 time or pg_waldump's "2026-12-07 16:38:03.752310 UTC"
# as "2026-12-07T16:38:03.752310".
usec() {
  local t=${1% UTC}
  t=${t%Z}
  t=${t/ /T}
  local frac=000000
  [[ $t == *.* ]] && frac=${t#*.}000000
  echo "${t%%.*}.${frac:0:6}"
}
for seg in $(jq -r '.files[] | select(.commits != null) | .name' "$WORK/commits.json"); do
  # One directory per segment: pg_waldump reads on into a next segment it finds.
  mkdir "$WORK/waldump/$seg"
  lb -r "$REPO" pg wal-fetch "$seg" "$WORK/waldump/$seg/$seg" || fail "wal-fetch $seg"
  "$PG_BIN/pg_waldump" "$WORK/waldump/$seg/$seg" >"$WORK/waldump/$seg.txt" 2>/dev/null || true
  want_records=$(grep -c '^rmgr:' "$WORK/waldump/$seg.txt" || true)
  want_commits=$(grep -c 'desc: COMMIT' "$WORK/waldump/$seg.txt" || true)
  want_last=$({ grep 'desc: COMMIT' "$WORK/waldump/$seg.txt" || true; } | tail -n 1 | sed 's/.*desc: COMMIT //; s/;.*//')
  read -r got_records got_commits got_last < <(jq -r --arg s "$seg" \
    '.files[] | select(.name == $s) | "\(.records) \(.commits) \(.last_commit // "")"' "$WORK/commits.json")
  [[ $got_records == "$want_records" && $got_commits == "$want_commits" ]] ||
    fail "$seg: wal-list counts $got_records records, $got_commits commits; pg_waldump $want_records, $want_commits"
  if [[ -n $want_last ]]; then
    [[ $(usec "$got_last") == $(usec "$want_last") ]] || fail "$seg: last commit $got_last, pg_waldump says $want_last"
  else
    [[ -z $got_last ]] || fail "$seg: a last commit $got_last where pg_waldump shows none"
  fi
  checked=$((checked + 1))
done
[[ $checked -ge 5 ]] || fail "only $checked segments compared with pg_waldump"
rm -rf "$WORK/waldump"

step "expire WAL: what the remaining base backup needs stays"
lb -r "$REPO" forget "$bb1" >/dev/null
lb -r "$REPO" --json pg expire-wal --dry-run >"$WORK/exp.json"
[[ $(jq -r .oldest_needed <"$WORK/exp.json") == "$start2" ]] || fail "expire-wal does not start at the remaining backup's $start2"
[[ $(jq -r '.removed | length' <"$WORK/exp.json") -gt 0 ]] || fail "nothing to expire"
jq -r '.removed[]' <"$WORK/exp.json" | while read -r f; do [[ ${f:8:16} < ${start2:8:16} ]] || fail "would remove $f, needed by $start2"; done
lb -r "$REPO" pg expire-wal >/dev/null
lb -r "$REPO" pg wal-list --files >"$WORK/wal2.txt"
grep -q "^$start1 " "$WORK/wal2.txt" && fail "the expired backup's first segment is still there"
grep -q "^$start2 " "$WORK/wal2.txt" || fail "the remaining backup's first segment was removed"
lb -r "$REPO" prune >/dev/null
lb -r "$REPO" check --read-data >/dev/null || fail "check"
restic -r "$REPO" --password-file "$PWF" check --read-data >"$WORK/restic.out" 2>&1 || { cat "$WORK/restic.out"; fail "restic check"; }

# restore_and_count NAME ARGS...: restores into a new data directory, starts
# a server there, waits until it has finished recovery, prints the markers.
restore_and_count() {
  local name=$1
  shift
  local d=$PGREPO/$name port
  lb -r "$REPO" pg restore --data-dir "$d" "$@" >"$WORK/$name.out" || { cat "$WORK/$name.out"; fail "pg restore $name"; }
  port=$(free_port)
  CLEANUP_PG_DATA+=("$d")
  as_pg "$PG_BIN/pg_ctl" -D "$d" -l "$PGREPO/$name.log" -w -t 120 \
    -o "-c port=$port -c listen_addresses='' -c unix_socket_directories='$d' -c archive_mode=off" start >/dev/null \
    || { tail -20 "$PGREPO/$name.log" >&2; fail "restored server $name did not start"; }
  for _ in $(seq 1 600); do
    [[ $("$PG_BIN/psql" -X -h "$d" -p "$port" -U postgres -d app -Atq -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && break
    sleep 0.1
  done
  "$PG_BIN/psql" -X -h "$d" -p "$port" -U postgres -d app -Atq -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM markers"
  "$PG_BIN/psql" -X -h "$d" -p "$port" -U postgres -d app -Atq \
    -c "SELECT count(*) || ' ' || sum(hashtext(a::text)) FROM pgbench_accounts a" >"$WORK/$name.accounts"
  as_pg "$PG_BIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null
}

step "a base backup after every marker: a --to-time before it must not pick it"
lb -r "$REPO" --json pg basebackup "$PG_URL/" >"$WORK/bb4.json" || fail "base backup after the markers"
bb4=$(tail -n 1 "$WORK/bb4.json" | jq -r .snapshot_id)
lb -r "$REPO" --json pg basebackup --type full "$PG_URL/" >/dev/null  # no diff of bb4 below
expect_exit 13 lb -r "$REPO" pg restore "$bb4" --data-dir "$WORK/x" --to-time "$T"
expect_stderr "is before the base backup ${bb4:0:8}"

step "point-in-time restore to a time between markers 3 and 4, in now()'s form and with a UTC suffix"
got=$(restore_and_count r-time-utc --to-time "$T_UTC")
[[ $got == "1,2,3" ]] || { tail -20 "$PGREPO/r-time-utc.log"; fail "restore to $T_UTC holds markers $got"; }
grep -q "${bb2:0:8}" "$WORK/r-time-utc.out" || { cat "$WORK/r-time-utc.out"; fail "restore to $T_UTC did not pick $bb2"; }
got=$(restore_and_count r-time --to-time "$T")
[[ $got == "1,2,3" ]] || { tail -20 "$PGREPO/r-time.log"; fail "restore to $T holds markers $got"; }
# Every page of pgbench_accounts read back, with data checksums on: the
# table put together from page deltas (its full forgotten and pruned) holds
# exactly the rows of the primary.
[[ $(cat "$WORK/r-time.accounts") == "$accounts_sum" ]] || fail "restored accounts: $(cat "$WORK/r-time.accounts"), primary: $accounts_sum"
grep -q "relation files together from page deltas" "$WORK/r-time.out" || fail "pg restore did not apply page deltas"

step "restore to an LSN after marker 5"
got=$(restore_and_count r-lsn --to-lsn "$L")
[[ $got == "1,2,3,4,5" ]] || fail "restore to $L holds markers $got"

step "restore to the end of the archive"
got=$(restore_and_count r-latest --latest)
[[ $got == "1,2,3,4,5,6" ]] || fail "restore to the end holds markers $got"

step "wal-push is idempotent and refuses a different file under an archived name"
seg=$(head -n 1 "$WORK/wal2.txt" | awk '{print $1}')
lb -r "$REPO" pg wal-fetch "$seg" "$WORK/$seg" || fail "wal-fetch"
[[ $(stat -c %s "$WORK/$seg") -eq 16777216 ]] || fail "fetched segment has the wrong size"
lb -r "$REPO" pg wal-push "$WORK/$seg" | grep -q "already archived" || fail "second push of the same segment"
mkdir -p "$WORK/other"
head -c 16777216 /dev/urandom >"$WORK/other/$seg"
expect_exit 1 lb -r "$REPO" pg wal-push "$WORK/other/$seg"
expect_stderr "archived already with different contents"
expect_exit 13 lb -r "$REPO" pg wal-fetch 000000010000000A000000FF "$WORK/none"
expect_exit 2 lb -r "$REPO" pg wal-push "$WORK/ls1.txt"

step "wal-push killed before and after storing: the archive stays valid, a retry finishes"
points=0
for point in before:1 after:1; do
  K=$WORK/krepo-$point
  cp -a "$REPO" "$K"
  # The segment after the copy's last one (any other would be a gap, which
  # check reports).
  last=$(lb -r "$K" --json pg wal-list | jq -r '.ranges[-1].last')
  pos=$(( 16#${last:8:8} * 256 + 16#${last:16:8} + 1 ))
  next=$(printf '%s%08X%08X' "${last:0:8}" $((pos / 256)) $((pos % 256)))
  cp "$WORK/other/$seg" "$WORK/other/$next"
  set +e
  (LIFEBOAT_TEST_KILL_AT=$point "$LIFEBOAT" -r "$K" -q pg wal-push "$WORK/other/$next" >/dev/null 2>&1) 2>/dev/null
  rc=$?
  set -e
  [[ $rc -eq 137 ]] || fail "wal-push not killed at $point ($rc)"
  points=$((points + 1))
  lb -r "$K" check >/dev/null || fail "check after wal-push killed at $point"
  lb -r "$K" pg wal-push "$WORK/other/$next" >/dev/null || fail "retry after $point"
  lb -r "$K" pg wal-fetch "$next" "$WORK/fetched" || fail "fetch after $point"
  cmp "$WORK/fetched" "$WORK/other/$next" || fail "fetched WAL differs after $point"
  lb -r "$K" check >/dev/null || fail "check after the retry at $point"
done

step "the server's archiver: killed wal-push and a blocked archive, then it catches up"
before_failed=$(psql_q postgres "SELECT failed_count FROM pg_stat_archiver")
touch "$PGREPO/archive-blocked"
sql "INSERT INTO markers (id) VALUES (7)" >/dev/null
blocked=$(sql "SELECT pg_walfile_name(pg_current_wal_lsn())")
sql "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 1 600); do
  [[ $(psql_q postgres "SELECT failed_count > $before_failed FROM pg_stat_archiver") == t ]] && break
  sleep 0.1
done
[[ $(psql_q postgres "SELECT failed_count > $before_failed FROM pg_stat_archiver") == t ]] || fail "archiver never failed while blocked"
echo after:1 >"$PGREPO/kill-next"
rm -f "$PGREPO/archive-blocked"
for _ in $(seq 1 600); do
  [[ $(psql_q postgres "SELECT coalesce(last_archived_wal, '') >= '$blocked' FROM pg_stat_archiver") == t ]] && break
  sleep 0.1
done
[[ $(psql_q postgres "SELECT coalesce(last_archived_wal, '') >= '$blocked' FROM pg_stat_archiver") == t ]] || fail "archiver did not catch up"
[[ -s $PGREPO/killed ]] || fail "no wal-push was killed"
points=$((points + 1))
lb -r "$REPO" pg wal-fetch "$blocked" "$WORK/blocked" || fail "the segment archived after the kill cannot be fetched"
lb -r "$REPO" check >/dev/null || fail "check after the archiver's kill"
echo "wal-push kill points tried: $points"

step "a gap in the WAL archive and a damaged segment are reported, and a restore past the gap refused"
G=$WORK/gap-repo
cp -a "$REPO" "$G"
stop2=$(tail -n 1 "$WORK/bb2.json" | jq -r .stop_wal)
bb4_start=$(tail -n 1 "$WORK/bb4.json" | jq -r .start_wal)
lb -r "$G" check >/dev/null || fail "check before the gap"
hole=$(lb -r "$G" --json pg wal-list | jq -r --arg a "$stop2" --arg b "$bb4_start" \
  '[.files[].name | select(length == 24 and . > $a and . < $b)] | .[1]')
[[ $hole != null ]] || fail "no segment between $stop2 and $bb4_start to remove"
rm "$G/wal/$hole"
lb -r "$G" pg wal-list >"$WORK/gap-list.txt"
grep -q "gap on timeline ${hole:0:8}: missing $hole (1 segment)" "$WORK/gap-list.txt" || { cat "$WORK/gap-list.txt"; fail "wal-list does not show the gap"; }
[[ $(grep -c "^timeline " "$WORK/gap-list.txt") -eq 2 ]] || fail "wal-list does not show two ranges around the gap"
expect_exit 4 lb -r "$G" check
grep -q "WAL archive: timeline ${hole:0:8} misses $hole (1 segment): recovery from base backup ${bb2:0:8}" "$WORK/last.out" \
  || { cat "$WORK/last.out"; fail "check does not name the gap and the base backup it hurts"; }
expect_exit 13 lb -r "$G" pg restore "$bb2" --data-dir "$WORK/gap-restore"
expect_stderr "misses $hole .*recovery would stop there"
[[ ! -e $WORK/gap-restore ]] || fail "a refused restore wrote the data directory"
lb -r "$G" pg restore "$bb2" --data-dir "$WORK/gap-restore" --allow-gap >/dev/null 2>"$WORK/gap.err" || fail "--allow-gap"
grep -q "warning: .*misses $hole" "$WORK/gap.err" || fail "--allow-gap did not warn"
lb -r "$G" pg restore --data-dir "$WORK/gap-restore-latest" >/dev/null || fail "the newest base backup is behind the gap: restore it"
rm -rf "$WORK/gap-restore" "$WORK/gap-restore-latest"
seg=$(lb -r "$G" --json pg wal-list | jq -r '[.files[].name | select(length == 24)] | .[-2]')
printf 'CORRUPT!' | dd of="$G/wal/$seg" bs=1 seek=4000 conv=notrunc status=none
expect_exit 4 lb -r "$G" check --read-data
grep -q "WAL file $seg in the archive" "$WORK/last.out" || { cat "$WORK/last.out"; fail "check --read-data does not name the damaged segment"; }
rm -rf "$G"

step "archive_command failing: basebackup gives up after --archive-timeout, naming the archiver's failure"
before=$(lb -r "$REPO" --json snapshots | jq length)
touch "$PGREPO/archive-blocked"
expect_exit 1 lb -r "$REPO" pg basebackup --type full --archive-timeout 3s "$PG_URL/"
expect_stderr "not archived within 3.0*s \(--archive-timeout\); the archiver last failed on [0-9A-F]{24}"
rm -f "$PGREPO/archive-blocked"
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq $before ]] || fail "a base backup that timed out saved a snapshot"
switch_and_wait
lb -r "$REPO" check >/dev/null || fail "check after the archive timeout"
expect_exit 2 lb -r "$REPO" pg basebackup --archive-timeout soon "$PG_URL/"

step "archive_check: the time of the last WAL file archived into the repository, as a metric; failures named"
lb init -r "$WORK/other-repo" >/dev/null
cat >"$WORK/archive.yml" <<YAML
state_dir: $WORK/archive-state
repositories:
  main:  {url: $REPO, password_file: $PWF}
  other: {url: $WORK/other-repo, password_file: $PWF}
jobs:
  pg:
    source: $PG_URL/app
    repository: main
    schedule: "0 2 * * *"
    archive_check: {schedule: "@every 5m", retries: {attempts: 1}}
  elsewhere:
    source: $PG_URL/app
    repository: other
    schedule: "0 2 * * *"
    archive_check: {schedule: "@every 5m", retries: {attempts: 1}}
YAML
lb config check "$WORK/archive.yml" >"$WORK/archive-check.out" || fail "config check of the archive jobs"
grep -q "archive-pg .*archive check of job pg" "$WORK/archive-check.out" || { cat "$WORK/archive-check.out"; fail "config check does not list archive-pg"; }
switch_and_wait
last=$(psql_q postgres "SELECT last_archived_wal FROM pg_stat_archiver")
at=$(psql_q postgres "SELECT floor(extract(epoch FROM last_archived_time))::bigint FROM pg_stat_archiver")
lb run archive-pg --config "$WORK/archive.yml" --metrics-file "$WORK/archive.prom" >"$WORK/archive.out" 2>&1 ||
  { cat "$WORK/archive.out"; fail "archive-pg"; }
grep -q "job archive-pg: success, last archived $last at " "$WORK/archive.out" || { cat "$WORK/archive.out"; fail "the summary does not name $last"; }
metric=$(grep '^lifeboat_wal_archive_last_timestamp_seconds{job="pg"} ' "$WORK/archive.prom") || fail "no WAL metric: $(cat "$WORK/archive.prom")"
[[ $metric =~ \}\ $at(\.[0-9]+)?$ ]] || fail "the WAL metric is not the archiver's time $at: $metric"
# The archive stops: the check fails and names the archiver's failure; the
# metric still says how far the archive reaches.
before_failed=$(psql_q postgres "SELECT failed_count FROM pg_stat_archiver")
touch "$PGREPO/archive-blocked"
# Something to switch away from: a switch on an empty segment is a no-op.
sql "CREATE TABLE IF NOT EXISTS archive_probe (x int); INSERT INTO archive_probe VALUES (1)"
sql "SELECT pg_switch_wal()" >/dev/null
refused=""
for _ in $(seq 1 600); do
  [[ $(psql_q postgres "SELECT failed_count > $before_failed FROM pg_stat_archiver") == t ]] && { refused=1; break; }
  sleep 0.1
done
[[ -n $refused ]] || fail "the blocked archive_command did not fail within 60 s"
expect_exit 1 lb run archive-pg --config "$WORK/archive.yml" --metrics-file "$WORK/archive.prom"
cat "$WORK/last.out" "$WORK/last.err" | grep -Eq "WAL archiving of .* is failing: the archiver last failed on [0-9A-F]{24} at .*, after $last" ||
  { cat "$WORK/last.out" "$WORK/last.err"; fail "the failing archive is not named"; }
grep -q "^lifeboat_wal_archive_last_timestamp_seconds{job=\"pg\"} $at" "$WORK/archive.prom" || fail "the WAL metric moved on a failure"
rm -f "$PGREPO/archive-blocked"
switch_and_wait
lb run archive-pg --config "$WORK/archive.yml" -q 2>/dev/null || fail "archive-pg after the archive caught up"
# A job whose repository is not where archive_command writes.
expect_exit 13 lb run archive-elsewhere --config "$WORK/archive.yml"
cat "$WORK/last.out" "$WORK/last.err" | grep -q "is not in the repository: archive_command writes elsewhere" ||
  { cat "$WORK/last.out" "$WORK/last.err"; fail "archive-elsewhere does not say the file is elsewhere"; }
expect_exit 2 lb config check /dev/stdin <<YAML
repositories:
  main: {url: $REPO, password_file: $PWF}
jobs:
  files:
    source: $WORK
    repository: main
    schedule: "@daily"
    archive_check: {schedule: "@every 5m"}
YAML
expect_stderr "jobs.files.archive_check: a files source has no archive of its own to check"

step "bad input"
expect_exit 1 lb -r "$REPO" pg restore --data-dir "$PGREPO/r-time"
expect_stderr "not empty"
expect_exit 2 lb -r "$REPO" pg restore --data-dir "$WORK/x" --to-time "$T" --latest
expect_exit 2 env -u LIFEBOAT_PASSWORD_FILE LIFEBOAT_PASSWORD=x "$LIFEBOAT" -r "$REPO" pg restore --data-dir "$WORK/x"
expect_stderr "password from a file"
expect_exit 13 lb -r "$REPO" pg restore --data-dir "$WORK/x" --to-time "2001-01-01 00:00:00"
expect_stderr "2001-01-01 00:00:00\+00 is before the oldest base backup"
for bad in yesterday "12/02/2026 07:38" "2026-02-30 10:00" "$T Mars/Olympus"; do
  expect_exit 2 lb -r "$REPO" pg restore --data-dir "$WORK/x" --to-time "$bad"
  expect_stderr "--to-time"
done
expect_exit 2 lb -r "$REPO" pg
expect_exit 2 lb -r "$REPO" pg nonsense
echo "pg physical: ok"
