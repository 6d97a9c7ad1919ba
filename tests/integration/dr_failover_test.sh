#!/usr/bin/env bash
# A failover on one machine, two "sites" on loopback (docs/dr.md): a
# primary PostgreSQL 15 archiving its WAL into the primary repository, a
# primary redis-server and a config directory; a DR data directory, a
# second redis-server and a DR directory; the DR repository fed by `copy`
# (snapshots and the WAL). A write load with heartbeats runs, part of it is
# copied to the DR site, the rest is not; the primary PostgreSQL and Redis
# are killed with SIGKILL. `dr assess` reports them down; `dr failover
# --yes` fences, restores in group order, starts the DR PostgreSQL (WAL
# replayed to the end of the DR archive), checks health and switches. The
# DR services then hold exactly the writes the DR repository had (checked
# against the load's own log), the RPO measured from the heartbeats is the
# time between the newest beat the DR site has and the newest the primary
# took, and `dr report` shows RTO and RPO beside the objectives. Then bad
# input: no --yes without a terminal, an unknown service, DR targets that
# are not empty (nothing is fenced or changed), and a switch command that
# fails (the failover says traffic was not switched, and its record says
# so too).
source "$(dirname "$0")/lib.sh"

pg_owned_repo lifeboat-drfo
PREPO=$REPO
DREPO=$PGREPO/dr-repo
as_pg env LIFEBOAT_PASSWORD_FILE="$PWF" LIFEBOAT_INSECURE_TEST_KDF=1 "$LIFEBOAT" -r "$DREPO" init \
  --copy-chunker-params --from-repo "$PREPO" --from-password-file "$PWF" >/dev/null
start_postgres "wal_level = replica" "archive_mode = on" \
  "archive_command = 'LIFEBOAT_REPOSITORY=$PREPO LIFEBOAT_PASSWORD_FILE=$PWF $LIFEBOAT -q pg wal-push %p'"
psql_q postgres "CREATE DATABASE app" >/dev/null
sql() { psql_q app "$1"; }
sql "CREATE TABLE load (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())" >/dev/null
start_redis primary
start_redis dr
mkdir -p "$WORK/site/app" "$PGREPO/dr-sock" "$PGREPO/scratch"
[[ $(id -u) -ne 0 ]] || chown postgres: "$PGREPO/dr-sock" "$PGREPO/scratch"
echo "listen=8080" >"$WORK/site/app/app.conf"
DR_PORT=$(free_port)
P=$WORK/dr-plan.yaml
cat >"$P" <<YAML
objectives: {rto: 4h, rpo: 1h}
state_dir: $WORK/state
health_wait: 5m
scratch_dir: $PGREPO/scratch
sites:
  primary: {url: $PREPO, password_file: $PWF}
  dr:      {url: $DREPO, password_file: $PWF}
services:
  app-db:
    type: postgres
    critical: true
    heartbeat: true
    objectives: {rto: 2h, rpo: 15m}
    primary:
      url: "$PG_URL/app"
      data_dir: $PG_DIR/data
      settings: {listen_addresses: 127.0.0.1, unix_socket_directories: $PG_DIR}
    dr:
      url: "postgres://postgres@127.0.0.1:$DR_PORT/app"
      data_dir: $PGREPO/dr-pg
      port: $DR_PORT
      settings: {listen_addresses: 127.0.0.1, unix_socket_directories: $PGREPO/dr-sock}
    health:  {sql: "SELECT count(*) FROM load"}
    probe:   {sql: "SELECT count(*) FROM load"}
  cache:
    type: redis
    heartbeat: true
    primary: {url: "redis://127.0.0.1:${REDIS_PORTS[primary]}"}
    dr:      {url: "redis://127.0.0.1:${REDIS_PORTS[dr]}"}
    health:  {redis: PING}
  app-config:
    type: files
    heartbeat: true
    primary: {path: $WORK/site/app}
    dr:      {path: $WORK/dr-site/app}
groups: [[app-db], [cache, app-config]]
switch:
  to_dr: [sh, -c, "echo dr >$WORK/switched"]
  to_primary: [sh, -c, "echo primary >$WORK/switched"]
  fence_primary: [sh, -c, "echo fenced >>$WORK/fence.log"]
YAML
CLEANUP_PG_DATA+=("$PGREPO/dr-pg")
lb dr check --plan "$P" >/dev/null || fail "dr check of the failover plan"

# beat SERVICE: one heartbeat into the primary; prints its milliseconds.
beat() { lb --json dr heartbeat --plan "$P" --service "$1" --count 1 | jq -r .beat_ms; }
switch_and_wait() {
  local seg
  seg=$(sql "SELECT pg_walfile_name(pg_current_wal_lsn())")
  sql "SELECT pg_switch_wal()" >/dev/null
  for _ in $(seq 1 600); do
    [[ $(psql_q postgres "SELECT coalesce(last_archived_wal, '') >= '$seg' FROM pg_stat_archiver") == t ]] && return 0
    sleep 0.1
  done
  fail "segment $seg was not archived"
}

step "backups at the primary, the load with heartbeats, copied to the DR site up to a point"
lb -r "$PREPO" -q pg basebackup "$PG_URL/" || fail "base backup"
lb -r "$PREPO" -q pg basebackup --type full "$PG_URL/" || fail "second base backup"
for i in 1 2 3 4 5; do
  sql "INSERT INTO load (id) VALUES ($i)" >/dev/null
  echo "$i $(beat app-db)" >>"$WORK/load.log"
done
hb_copied=$(tail -n 1 "$WORK/load.log" | cut -d' ' -f2)
switch_and_wait
# Two points of Redis and of the files, a beat in each (a level 4 drill
# falls back to the first).
for k in k1 k2; do rcli primary SET "$k" "v-$k" >/dev/null; done
hb_cache_a=$(beat cache)
lb -r "$PREPO" -q backup "redis://127.0.0.1:${REDIS_PORTS[primary]}" || fail "first redis backup"
rcli primary SET k3 v-k3 >/dev/null
hb_cache_copied=$(beat cache)
lb -r "$PREPO" -q backup "redis://127.0.0.1:${REDIS_PORTS[primary]}" || fail "redis backup"
hb_files_a=$(beat app-config)
lb -r "$PREPO" -q backup "$WORK/site/app" || fail "first files backup"
hb_files_copied=$(beat app-config)
lb -r "$PREPO" -q backup "$WORK/site/app" || fail "files backup"
lb -r "$DREPO" copy --from-repo "$PREPO" --from-password-file "$PWF" >"$WORK/copy.out" || fail "copy to the DR repository"
grep -q "file(s) of the log archive" "$WORK/copy.out" || { cat "$WORK/copy.out"; fail "copy left the WAL behind"; }
lb -r "$DREPO" pg wal-list >"$WORK/dr-wal.txt" || fail "wal-list of the DR repository"
# What the DR site never gets: written and acknowledged at the primary after the copy.
for i in 6 7 8; do
  sql "INSERT INTO load (id) VALUES ($i)" >/dev/null
  echo "$i $(beat app-db)" >>"$WORK/load.log"
done
hb_last=$(tail -n 1 "$WORK/load.log" | cut -d' ' -f2)
rcli primary SET k4 v-k4 >/dev/null
hb_cache_last=$(beat cache)
hb_files_last=$(beat app-config)
jq -e --argjson a "$hb_last" --argjson c "$hb_cache_last" '.["app-db"] == $a and .cache == $c' \
  "$WORK/state/dr-heartbeats.json" >/dev/null || { cat "$WORK/state/dr-heartbeats.json"; fail "the heartbeat log"; }

step "drill level 2: app-db (critical) into scratch, measured, cleaned up, production untouched"
rows_before=$(sql "SELECT count(*) FROM load")
lb dr drill --plan "$P" --level 2 >"$WORK/d2.out" 2>"$WORK/d2.err" || { cat "$WORK/d2.out" "$WORK/d2.err"; fail "drill level 2"; }
[[ -z ${DR_TEST_SHOW:-} ]] || cat "$WORK/d2.out"
grep -q " app-db .* healthy" "$WORK/d2.out" || { cat "$WORK/d2.out"; fail "the drill's app-db did not come up"; }
grep -q " cache " "$WORK/d2.out" && fail "a level 2 drill touched another service"
grep -q " app-db .* cleaned up: scratch $PGREPO/scratch/lifeboat-drill-app-db" "$WORK/d2.out" || fail "no cleanup line"
[[ -z $(ls "$PGREPO/scratch") ]] || { ls -la "$PGREPO/scratch"; fail "the drill left its scratch behind"; }
[[ $(sql "SELECT count(*) FROM load") == "$rows_before" ]] || fail "the drill changed the primary"
[[ ! -e $PGREPO/dr-pg && $(rcli dr DBSIZE) == 0 ]] || fail "the drill touched the DR site"
lb dr report --plan "$P" --format json >"$WORK/d2.json" || fail "dr report of the drill"
jq -e --argjson want "$(awk "BEGIN {print ($hb_last - $hb_copied) / 1000}")" \
  '.[0] | .action == "drill" and .level == 2 and .succeeded and (.switched | not) and (.services | length) == 1 and
   (.services[0] | .service == "app-db" and .rpo_how == "heartbeat" and ((.rpo_seconds - $want) | fabs) < 0.0005 and
    (.performance | type) == "number" and .validated == true and (.validation | test("^the restore test of [0-9a-f]{8} passed")))' \
  "$WORK/d2.json" >/dev/null || { cat "$WORK/d2.json"; fail "the level 2 drill's record"; }

step "a drill interrupted (SIGTERM) while its scratch PostgreSQL runs: servers stopped, scratch removed"
"$LIFEBOAT" dr drill --plan "$P" --level 2 --service app-db >"$WORK/dint.out" 2>"$WORK/dint.err" &
drill_pid=$!
pidfile=""
for _ in $(seq 1 1200); do  # until the scratch server has started (bounded)
  pidfile=$(ls "$PGREPO"/scratch/lifeboat-drill-app-db.*/pgdata/postmaster.pid 2>/dev/null | head -n 1 || true)
  [[ -n $pidfile ]] && break
  kill -0 "$drill_pid" 2>/dev/null || break
  sleep 0.05
done
[[ -n $pidfile ]] || { cat "$WORK/dint.out" "$WORK/dint.err"; fail "the drill's scratch PostgreSQL never started"; }
scratch_pg=$(head -n 1 "$pidfile")
kill -TERM "$drill_pid"
rc=0
wait "$drill_pid" || rc=$?
[[ $rc == 143 ]] || { cat "$WORK/dint.out" "$WORK/dint.err"; fail "an interrupted drill exited $rc, not 143"; }
grep -q "scratch place removed" "$WORK/dint.err" || { cat "$WORK/dint.err"; fail "no cleanup message"; }
[[ -z $(ls "$PGREPO/scratch") ]] || { ls -laR "$PGREPO/scratch" | head; fail "the interrupted drill left its scratch behind"; }
# Gone, or a zombie no one reaps (pg_ctl, its parent, was stopped first; PID 1 here may not reap).
[[ $(ps -o stat= -p "$scratch_pg" 2>/dev/null || true) == [^Z]* ]] && { cat "$WORK/dint.out" "$WORK/dint.err"; ps -o pid,stat,args -p "$scratch_pg"; fail "the interrupted drill's PostgreSQL ($scratch_pg) still runs"; }

step "drill level 4, damaged-pack: every newest point treated as damaged, the point before restored and measured"
lb --json dr drill --plan "$P" --level 4 --scenario damaged-pack >"$WORK/d4.json" 2>"$WORK/d4.err" ||
  { cat "$WORK/d4.json" "$WORK/d4.err"; fail "drill level 4"; }
jq -s -e 'map(select(.message_type == "event" and .what == "damaged")) | length == 3' "$WORK/d4.json" >/dev/null ||
  { cat "$WORK/d4.json"; fail "not every service fell back"; }
d4() { tail -n 1 "$WORK/d4.json" | jq -e --arg s "$1" --argjson want "$(awk "BEGIN {print ($2 - $3) / 1000}")" \
  '.scenario == "damaged-pack" and (.services[] | select(.service == $s) | .recovered and (.note | test("fell back to")) and
   .rpo_how == "heartbeat" and ((.rpo_seconds - $want) | fabs) < 0.0005 and .validated == true)' >/dev/null || { tail -n 1 "$WORK/d4.json"; fail "$1 in the level 4 drill"; }; }
d4 app-db "$hb_last" "$hb_copied"  # the older base backup, with the same WAL: nothing more lost
d4 cache "$hb_cache_last" "$hb_cache_a"
d4 app-config "$hb_files_last" "$hb_files_a"
[[ -z $(ls "$PGREPO/scratch") ]] || fail "the level 4 drill left its scratch behind"
step "drill level 4, primary-lost-mid-write: a stand-in primary in scratch lost between two writes, the loss measured"
lb --json dr drill --plan "$P" --level 4 --scenario primary-lost-mid-write >"$WORK/dm.json" 2>"$WORK/dm.err" ||
  { cat "$WORK/dm.json" "$WORK/dm.err"; fail "drill level 4 primary-lost-mid-write"; }
# Redis killed with SIGKILL, the directory's writer stopped: the writes
# acknowledged after the snapshot are lost (> 0), the ones before it kept
# (the drill fails otherwise); PostgreSQL is said not to be simulated.
for svc in cache app-config; do
  tail -n 1 "$WORK/dm.json" | jq -e --arg s "$svc" '.scenario == "primary-lost-mid-write" and .succeeded and
    (.services[] | select(.service == $s) | .recovered and .simulated_loss_seconds > 0 and
     (.note | test("primary lost mid-write: [0-9]+ writes acknowledged, the snapshot taken among them restored in")))' \
    >/dev/null || { tail -n 1 "$WORK/dm.json"; fail "$svc in the primary-lost-mid-write drill"; }
done
tail -n 1 "$WORK/dm.json" | jq -e '.services[] | select(.service == "app-db") | .recovered and
  (.note | test("not simulated for postgres")) and (.simulated_loss_seconds == null)' >/dev/null ||
  { tail -n 1 "$WORK/dm.json"; fail "app-db in the primary-lost-mid-write drill"; }
jq -s -e 'map(select(.message_type == "event" and .what == "primary lost")) | length == 2' "$WORK/dm.json" >/dev/null ||
  { cat "$WORK/dm.json"; fail "no 'primary lost' events"; }
[[ -z $(ls "$PGREPO/scratch") ]] || { ls -la "$PGREPO/scratch"; fail "the mid-write drill left its scratch behind"; }
[[ -z ${DR_TEST_SHOW:-} ]] || { lb dr report --plan "$P"; }
# A DR Redis with a password: the scratch server takes it (from a file, not argv).
sed "s|redis://127.0.0.1:${REDIS_PORTS[dr]}|redis://:dr-pw-9@127.0.0.1:${REDIS_PORTS[dr]}|" "$P" >"$WORK/plan-pw.yaml"
lb dr drill --plan "$WORK/plan-pw.yaml" --level 2 --service cache >"$WORK/dpw.out" 2>&1 ||
  { cat "$WORK/dpw.out"; fail "a drill of a Redis with a password"; }
grep -q "dr-pw-9" "$WORK/dpw.out" && fail "the DR Redis password reached the drill's output"
expect_exit 2 lb dr drill --plan "$P" --level 4
expect_stderr "needs --scenario: one of repository-unreachable, damaged-pack, copy-lag"
expect_exit 2 lb dr drill --plan "$P" --level 5
expect_exit 2 lb dr drill --plan "$P" --level 2 --service cache --service app-db

step "the primary PostgreSQL and Redis killed with SIGKILL; dr assess reports them down"
kill -9 "$(head -n 1 "$PG_DIR/data/postmaster.pid")"
kill -9 "$(rcli primary INFO server | tr -d '\r' | sed -n 's/^process_id://p')"
# Exit 0: the DR site could take over within the objectives (every point
# is fresh, and the drills recorded restore tests, so the RTO is known).
expect_exit 0 lb dr assess --plan "$P"
grep -q "^app-db: primary DOWN" "$WORK/last.out" || { cat "$WORK/last.out"; fail "assess: app-db not reported down"; }
grep -q "^cache: primary DOWN" "$WORK/last.out" || { cat "$WORK/last.out"; fail "assess: cache not reported down"; }
# app-db's newest point is the last commit in the archived WAL (heartbeat 5,
# committed after the base backups), not the base backup's time.
expect_exit 0 lb --json dr assess --plan "$P"
jq -e --argjson hb "$hb_copied" '.services[] | select(.service == "app-db") |
  (.dr_newest_source | test("^the last commit in WAL [0-9A-F]{24}$")) and .dr_newest == .primary_newest and
  .copy_lag_seconds == 0 and
  ((.dr_newest | sub("\\.[0-9]+"; "") | fromdateiso8601) - (($hb / 1000) | floor)) as $d | $d >= 0 and $d < 10' \
  "$WORK/last.out" >/dev/null || { cat "$WORK/last.out"; fail "assess: app-db's newest point is not the last archived commit"; }

step "bad input first: no --yes without a terminal, an unknown service (nothing done)"
expect_exit 2 lb dr failover --plan "$P" </dev/null
expect_stderr "give --yes"
expect_exit 2 lb dr failover --plan "$P" --yes --service nosuch
expect_stderr "--service nosuch: no such service"
[[ ! -e $WORK/fence.log && ! -e $PGREPO/dr-pg ]] || fail "a refused failover changed something"

step "dr failover --yes: fenced, restored in group order, healthy, switched"
lb dr failover --plan "$P" --yes >"$WORK/fo.out" 2>"$WORK/fo.err" || { cat "$WORK/fo.out" "$WORK/fo.err"; fail "dr failover"; }
[[ -z ${DR_TEST_SHOW:-} ]] || cat "$WORK/fo.out" "$WORK/fo.err"
[[ $(cat "$WORK/fence.log") == fenced ]] || fail "the primary was not fenced"
[[ $(cat "$WORK/switched") == dr ]] || fail "traffic was not switched"
# Order: app-db healthy before group 2 starts.
db_healthy=$(grep -n " app-db .* healthy" "$WORK/fo.out" | head -n 1 | cut -d: -f1)
cache_start=$(grep -n " cache .* restore started" "$WORK/fo.out" | head -n 1 | cut -d: -f1)
[[ -n $db_healthy && -n $cache_start && $db_healthy -lt $cache_start ]] || { cat "$WORK/fo.out"; fail "group order"; }

step "the DR site holds exactly what the DR repository had: rows 1-5, k1-k3, the config"
got=$("$PG_BIN/psql" -X -h "$PGREPO/dr-sock" -p "$DR_PORT" -U postgres -d app -Atq \
  -c "SELECT string_agg(id::text, ',' ORDER BY id) FROM load")
want=$(awk '$2 <= '"$hb_copied"' {print $1}' "$WORK/load.log" | paste -sd,)
[[ $got == "$want" && $got == "1,2,3,4,5" ]] || fail "DR PostgreSQL holds rows $got, the copied load $want"
[[ $("$PG_BIN/psql" -X -h "$PGREPO/dr-sock" -p "$DR_PORT" -U postgres -d app -Atq -c "SELECT pg_is_in_recovery()") == f ]] ||
  fail "the DR PostgreSQL is still in recovery"
for k in k1 k2 k3; do [[ $(rcli dr GET "$k") == "v-$k" ]] || fail "DR Redis lacks $k"; done
[[ -z $(rcli dr GET k4) ]] || fail "DR Redis holds k4, written after the backup"
cmp "$WORK/site/app/app.conf" "$WORK/dr-site/app/app.conf" || fail "the DR config differs"

step "RTO and RPO measured: the RPO is the heartbeats the DR site lacks"
lb --json dr report --plan "$P" --format json >"$WORK/report.json" || fail "dr report --format json"
jq -e '.[0] | .action == "failover" and .succeeded and .switched and .rto_seconds > 0' "$WORK/report.json" >/dev/null ||
  { cat "$WORK/report.json"; fail "the failover's record"; }
check_rpo() {  # SERVICE LAST COPIED
  jq -e --arg s "$1" --argjson want "$(awk "BEGIN {print ($2 - $3) / 1000}")" \
    '.[0].services[] | select(.service == $s) | .rpo_how == "heartbeat" and
     ((.rpo_seconds - $want) | fabs) < 0.0005 and .rpo_met and .rto_met and .recovered' \
    "$WORK/report.json" >/dev/null || { cat "$WORK/report.json"; fail "$1: RPO not $2 - $3 ms"; }
}
check_rpo app-db "$hb_last" "$hb_copied"
check_rpo cache "$hb_cache_last" "$hb_cache_copied"
check_rpo app-config "$hb_files_last" "$hb_files_copied"
# Data validation from the restore tests the drills recorded in the DR
# repository (the mid-write drill tested every newest point).
jq -e '.[0].services | all(.validated == true and (.validation | test("^the restore test of [0-9a-f]{8} on .* passed$")))' \
  "$WORK/report.json" >/dev/null || { cat "$WORK/report.json"; fail "the failover's data validation"; }
lb dr report --plan "$P" >"$WORK/report.txt" || fail "dr report"
[[ -z ${DR_TEST_SHOW:-} ]] || cat "$WORK/report.txt"
grep -Eq "^      RPO [0-9.]+s \(heartbeat\), objective 15m: met$" "$WORK/report.txt" || { cat "$WORK/report.txt"; fail "report RPO line"; }
grep -Eq "^  RTO of the plan: [0-9.hms]+, objective 4h: met$" "$WORK/report.txt" || { cat "$WORK/report.txt"; fail "report RTO line"; }
grep -Eq "^    Recovery within RTO +PASS" "$WORK/report.txt" || fail "criteria: RTO"
grep -Eq "^    All critical services operational +PASS" "$WORK/report.txt" || fail "criteria: critical services"
grep -Eq "^    Data validation 100% +PASS \(3/3 restored points passed their restore test\)$" \
  "$WORK/report.txt" || { cat "$WORK/report.txt"; fail "criteria: data validation"; }
lb dr report --plan "$P" --format html --output "$WORK/report.html" || fail "dr report --format html"
grep -q "<h1>Disaster recovery report</h1>" "$WORK/report.html" || fail "html report"
# The record is encrypted in the DR repository, which restic still reads.
grep -rq "app-db" "$DREPO/results" && fail "the DR record is stored in the clear"
restic -r "$DREPO" --password-file "$PWF" check >"$WORK/restic.out" 2>&1 || { cat "$WORK/restic.out"; fail "restic check of the DR repository"; }

step "the DR targets are not empty now: a second failover refuses before the fence"
expect_exit 1 lb dr failover --plan "$P" --yes
expect_stderr "is not empty"
expect_stderr "nothing was changed"
[[ $(wc -l <"$WORK/fence.log") -eq 1 ]] || fail "the refused failover ran the fence"

step "a switch command that fails: the failover stops and says traffic was not switched"
sed -e "s|$WORK/dr-site/app|$WORK/dr-site2/app|" -e "s|to_dr: .*|to_dr: [sh, -c, \"echo no route >\&2; exit 3\"]|" \
  "$P" >"$WORK/plan2.yaml"
expect_exit 1 lb dr failover --plan "$WORK/plan2.yaml" --yes --service app-config --no-fence
expect_stderr "switch.to_dr failed"
expect_stderr "traffic was not switched"
[[ $(cat "$WORK/switched") == dr ]] || fail "the failed switch changed the switch file"
lb dr report --plan "$P" --format json >"$WORK/report2.json" || fail "dr report after the failed switch"
jq -e '.[0] | (.succeeded | not) and (.switched | not) and (.error | test("traffic was not switched")) and
       (.services[0].service == "app-config") and .services[0].recovered' "$WORK/report2.json" >/dev/null ||
  { cat "$WORK/report2.json"; fail "the failed switch's record"; }

step "writes at the DR site during the outage; the primary comes back"
drsql() { "$PG_BIN/psql" -X -h "$PGREPO/dr-sock" -p "$DR_PORT" -U postgres -d app -Atq -v ON_ERROR_STOP=1 -c "$1"; }
drsql "INSERT INTO load (id) VALUES (9), (10)" >/dev/null || fail "a write at the DR PostgreSQL"
rcli dr SET k9 v-k9 >/dev/null
echo "written at DR" >"$WORK/dr-site/app/new.conf"
port=${REDIS_PORTS[primary]}
redis-server --port "$port" --bind 127.0.0.1 --dir "$WORK/redis-primary" --daemonize no --save '' --appendonly no \
  >"$WORK/redis-primary/log2" 2>&1 &
CLEANUP_PIDS+=($!)
for _ in $(seq 1 200); do rcli primary PING 2>/dev/null | grep -q PONG && break; sleep 0.05; done
rcli primary SET stale from-before >/dev/null || fail "the primary Redis did not come back"
# The old primary PostgreSQL started on its old data: failback refuses to move it while it runs.
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server2.log" -w -t 60 -o "-c archive_mode=off" start >/dev/null ||
  fail "the old primary did not start"
expect_exit 1 lb dr failback --plan "$P" --yes
expect_stderr "the primary PostgreSQL of app-db runs in $PG_DIR/data"
expect_stderr "nothing was changed"
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
[[ $(cat "$WORK/switched") == dr ]] || fail "the refused failback switched"

step "dr failback --yes: the DR site backed up, copied, restored at the primary, switched back"
lb dr failback --plan "$P" --yes >"$WORK/fb.out" 2>"$WORK/fb.err" || { cat "$WORK/fb.out" "$WORK/fb.err"; fail "dr failback"; }
[[ -z ${DR_TEST_SHOW:-} ]] || cat "$WORK/fb.out" "$WORK/fb.err"
[[ $(cat "$WORK/switched") == primary ]] || fail "traffic was not switched back"
got=$(psql_q app "SELECT string_agg(id::text, ',' ORDER BY id) FROM load")
[[ $got == "1,2,3,4,5,9,10" ]] || fail "the primary holds rows $got after failback, want 1-5 and the DR site's 9, 10"
[[ $(psql_q app "SELECT pg_is_in_recovery()") == f ]] || fail "the primary is still in recovery"
for k in k1 k2 k3 k9; do [[ $(rcli primary GET "$k") == "v-$k" ]] || fail "the primary Redis lacks $k"; done
[[ -z $(rcli primary GET stale) ]] || fail "the primary Redis kept a key from before the outage"
[[ $(cat "$WORK/site/app/new.conf") == "written at DR" ]] || fail "the DR site's file did not come back"
ls -d "$WORK/site/app.before-failback-"* >/dev/null 2>&1 || fail "the primary's old directory was not moved aside"
ls -d "$PG_DIR/data.before-failback-"* >/dev/null 2>&1 || fail "the primary's old data directory was not moved aside"
grep -q "scale down: the DR site still runs app-db (PostgreSQL in $PGREPO/dr-pg)" "$WORK/fb.out" ||
  { cat "$WORK/fb.out"; fail "what to scale down"; }
lb dr report --plan "$P" --format json >"$WORK/report3.json" || fail "dr report after failback"
jq -e '.[0] | .action == "failback" and .succeeded and .switched and
       (.services | all(.recovered and .rpo_how == "heartbeat" and .rpo_seconds == 0))' "$WORK/report3.json" >/dev/null ||
  { cat "$WORK/report3.json"; fail "the failback's record"; }
# The failback's fresh backups have no restore test: validation is not measured, and says so.
lb dr report --plan "$P" >"$WORK/report3.txt" || fail "dr report after failback"
grep -Eq "^    Data validation 100% +NOT MEASURED for app-db, cache, app-config \(no restore test of the point restored.*; 0/3 passed$" \
  "$WORK/report3.txt" || { cat "$WORK/report3.txt"; fail "criteria after failback: data validation"; }
restic -r "$PREPO" --password-file "$PWF" check >"$WORK/restic.out" 2>&1 || { cat "$WORK/restic.out"; fail "restic check of the primary repository"; }

echo "PASS dr_failover_test"
