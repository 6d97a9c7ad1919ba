#!/usr/bin/env bash
# lifeboat serve against real parts: jobs on "@every" schedules of a few
# seconds over a files source and a PostgreSQL 15 source; /metrics moving as
# runs succeed and fail; the HTTP API (token, 202, 409); webhooks received
# by a local HTTP listener (the first delivery refused, so the retry is
# seen); SIGHUP with a broken config, then a good one; a real Prometheus
# (Debian's) scraping serve with the alert rules loaded, and every query of
# the Grafana dashboard answered with data through its HTTP API; SIGTERM in
# the middle of a backup (exit 0, the run cancelled, the repository checks
# clean); a restart that keeps the history and runs what it missed.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/bootstrap)"

echo "$LIFEBOAT_PASSWORD" >"$WORK/pw"
unset LIFEBOAT_PASSWORD
echo "s3cret-api-token" >"$WORK/token"
mkdir -p "$WORK/src/sub"
echo one >"$WORK/src/a"
echo two >"$WORK/src/sub/b"
for r in repo pgrepo side dr; do lb init -r "$WORK/$r" --password-file "$WORK/pw" -q; done
start_postgres
psql_q postgres "CREATE DATABASE app"
psql_q app "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g"
mkfifo "$WORK/started"

# The webhook listener: each POST body becomes a line of hooks-PATH.log;
# the first request of all is answered 500.
HOOK_PORT=$(free_port)
node -e '
  const http = require("http"), fs = require("fs");
  let first = true;
  http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (first) { first = false; res.writeHead(500); return res.end(); }
      fs.appendFileSync(process.argv[2] + "/hooks" + req.url.replace(/\//g, "-") + ".log", body + "\n");
      res.writeHead(200); res.end("ok");
    });
  }).listen(Number(process.argv[1]), "127.0.0.1");
' "$HOOK_PORT" "$WORK" &
CLEANUP_PIDS+=($!)

PORT=$(free_port)
# The DR plan whose heartbeats serve writes (docs/dr.md): one files service.
mkdir -p "$WORK/hb"
cat >"$WORK/dr-plan.yaml" <<YAML
objectives: {rto: 4h, rpo: 1h}
heartbeat_every: 1s
sites:
  primary: {url: $WORK/repo, password_file: $WORK/pw}
  dr:      {url: $WORK/dr, password_file: $WORK/pw}
services:
  conf: {type: files, heartbeat: true, primary: {path: $WORK/hb}, dr: {path: $WORK/hb-dr}}
YAML
C=$WORK/lifeboat.yml
write_config() {  # write_config [EXTRA JOB YAML]
  cat >"$C" <<YAML
listen: 127.0.0.1:$PORT
state_dir: $WORK/state
dr_plan: $WORK/dr-plan.yaml
shutdown_grace: 2s
concurrency: {global: 4, per_repository: 2}  # the prune's exclusivity, not the limit, keeps it alone
api: {token_file: $WORK/token}
notifications:
  webhooks:
    - {url: "http://127.0.0.1:$HOOK_PORT/json/secret-path", events: [success, failure, missed]}
    - {url: "http://127.0.0.1:$HOOK_PORT/slack", format: slack, events: [failure]}
repositories:
  primary: {url: $WORK/repo, password_file: $WORK/pw, prune: {schedule: "@every 5s", max_unused: 0%}}
  pgrepo:  {url: $WORK/pgrepo, password_file: $WORK/pw}
  side:    {url: $WORK/side, password_file: $WORK/pw}
  dr:      {url: $WORK/dr, password_file: $WORK/pw}
retention:
  ops: {keep_last: 3}
jobs:
  files:
    type: config
    source: $WORK/src
    repository: primary
    schedule: "@every 2s"
    retention: ops
    copy_to: [dr]
    verify: {schedule: "@every 4s"}
  pg:
    source: $PG_URL/app
    repository: pgrepo
    schedule: "@every 3s"
    retention: ops
    verify: {schedule: "@every 7s"}
  gated:
    type: config
    source: $WORK/src
    repository: side
    schedule: "@daily"
    hooks: {pre: ["sh -c 'echo \$\$ >$WORK/started; exec sleep 600'"]}
${1:-}
YAML
}
write_config

SERVE_PID=
start_serve() {
  "$LIFEBOAT" serve --config "$C" >>"$WORK/serve.out" 2>>"$WORK/serve.err" &
  SERVE_PID=$!
  CLEANUP_PIDS+=($SERVE_PID)
  wait_for "serve is ready" ready
}
ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]]; }
# wait_for WHAT CMD...: CMD succeeds within 240 s (it is polled). Generous:
# a loaded CI machine has stalled every fsync of serve for over a minute.
wait_for() {
  local what=$1 i
  shift
  for ((i = 0; i < 1200; i++)); do
    "$@" && return 0
    kill -0 "${SERVE_PID:-$$}" 2>/dev/null || fail "serve died while waiting for $what: $(tail -5 "$WORK/serve.err")"
    sleep 0.2
  done
  fail "timed out waiting for $what; serve said: $(tail -20 "$WORK/serve.err")"
}
# Not grep -q: it would stop reading at the match, curl would fail on the
# closed pipe, and pipefail would fail the check.
metric() { curl -s "http://127.0.0.1:$PORT/metrics" | grep -xF "$1" >/dev/null; }
api() { curl -s -H "Authorization: Bearer $(cat "$WORK/token")" "$@"; }
hook_has() { [[ -f $WORK/hooks-$1.log ]] && jq -e "$2" "$WORK/hooks-$1.log" >/dev/null 2>&1 && grep -q . "$WORK/hooks-$1.log"; }
any_hook() { [[ -f $WORK/hooks-$1.log ]] && jq -s -e "any(.[]; $2)" "$WORK/hooks-$1.log" >/dev/null 2>&1; }

step "serve starts, runs both sources on their schedules, and /metrics says so"
start_serve
wait_for "backup_success{type=config} 1" metric 'backup_success{type="config"} 1'
wait_for "backup_success{type=postgres} 1" metric 'backup_success{type="postgres"} 1'
curl -s "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.1"
grep -Eq '^backup_total_size_bytes\{type="postgres"\} [1-9][0-9]*$' "$WORK/metrics.1" || fail "pg size: $(grep backup_total "$WORK/metrics.1")"
grep -Eq '^lifeboat_job_runs_total\{job="files",result="success"\} [1-9]' "$WORK/metrics.1" || fail "runs_total"
grep -q '^lifeboat_job_next_run_timestamp_seconds{job="gated"} ' "$WORK/metrics.1" || fail "next run of gated"
grep -q '^# TYPE lifeboat_job_duration_seconds histogram' "$WORK/metrics.1" || fail "duration histogram"
# Exit 3 is lint only: the plan's backup_age_hours is not in base units,
# and promtool says so. Anything else it reports is a failure.
promtool check metrics <"$WORK/metrics.1" >"$WORK/promtool.out" 2>&1 ||
  ! grep -v 'backup_age_hours use base unit' "$WORK/promtool.out" | grep -q . || fail "promtool: $(cat "$WORK/promtool.out")"
wait_for "a success webhook" any_hook json-secret-path '.event == "success" and .run.result == "success"'

step "the restore tests: verify-files restores into a scratch directory, verify-pg into a scratch server"
wait_for "lifeboat_verify_success{job=files} 1" metric 'lifeboat_verify_success{job="files"} 1'
wait_for "lifeboat_verify_success{job=pg} 1" metric 'lifeboat_verify_success{job="pg"} 1'
lb runs --config "$C" --json --job verify-pg | jq -e 'any(.[]; .result == "success" and (.snapshot_id | length) == 64)' \
  >/dev/null || fail "verify-pg runs: $(lb runs --config "$C" --json --job verify-pg)"
# Damaged packs fail the files job's restore test (verify_success 0);
# restored, it passes again. Every pack, not one: the newest snapshot need
# not use any blob of a given pack, and prune rewrites packs meanwhile.
# Nothing is deleted while they are damaged: prune cannot read the trees.
mkdir "$WORK/packs.good"
find "$WORK/repo/data" -type f >"$WORK/packs.list"
while read -r pack; do
  cp "$pack" "$WORK/packs.good/$(basename "$pack")"
  chmod u+w "$pack"
  head -c "$(stat -c %s "$pack")" /dev/zero | dd of="$pack" conv=notrunc 2>/dev/null
done <"$WORK/packs.list"
wait_for "lifeboat_verify_success{job=files} 0" metric 'lifeboat_verify_success{job="files"} 0'
while read -r pack; do
  if [[ -e $pack ]]; then cp "$WORK/packs.good/$(basename "$pack")" "$pack"; else fail "$pack was deleted while damaged"; fi
done <"$WORK/packs.list"
wait_for "lifeboat_verify_success{job=files} 1 again" metric 'lifeboat_verify_success{job="files"} 1'

step "the repository's prune schedule runs prune-primary, alone on primary"
pruned() { lb runs --config "$C" --json --job prune-primary | jq -e 'any(.[]; .result == "success")' >/dev/null; }
wait_for "a prune run" pruned
# Never beside a backup of its repository: no files run overlaps a prune run.
lb runs --config "$C" --json >"$WORK/all-runs.json"
jq -e 'def t: (.[0:19] + "Z" | fromdateiso8601) +
              ((.[19:] | ltrimstr(".") | rtrimstr("Z")) as $f | if $f == "" then 0 else ("0." + $f | tonumber) end);
       [.[] | select(.job == "prune-primary" and .end != "") | {s: (.start | t), e: (.end | t)}] as $p |
       [.[] | select(.job == "files" and .end != "") | {s: (.start | t), e: (.end | t)}] as $f |
       ($p | length) > 0 and all($p[]; . as $x | all($f[]; .e <= $x.s or .s >= $x.e))' "$WORK/all-runs.json" >/dev/null ||
  fail "a prune overlapped a backup of its repository: $(cat "$WORK/all-runs.json")"

step "the API: a token on /api/, jobs with their schedule and last run, the history"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/jobs") == 401 ]] || fail "no token should be 401"
api "http://127.0.0.1:$PORT/api/v1/jobs" >"$WORK/jobs.json"
jq -e '.[1].source as $pg | length == 6 and .[0].name == "files" and .[0].kind == "backup"
       and (.[] | select(.name == "verify-pg") | .kind == "verify" and .source == $pg) and .[0].schedule == "@every 2s" and .[0].last_success.result == "success"
       and (.[1].source | test("^postgres://postgres@127.0.0.1:"))' "$WORK/jobs.json" >/dev/null ||
  fail "jobs: $(cat "$WORK/jobs.json")"
api "http://127.0.0.1:$PORT/api/v1/runs?job=pg&limit=1" | jq -e 'length == 1 and all(.[]; .job == "pg")' >/dev/null ||
  fail "runs?job=pg"

step "the source goes away: backup_success 0, a failure webhook (json and slack); back: 1"
mv "$WORK/src" "$WORK/src.away"
wait_for "backup_success{type=config} 0" metric 'backup_success{type="config"} 0'
wait_for "a failure webhook" any_hook json-secret-path '.event == "failure" and .job == "files" and (.error | test("none of the paths"))'
wait_for "a slack failure" any_hook slack '.text | test("^lifeboat: job files failed on ")'
mv "$WORK/src.away" "$WORK/src"
wait_for "backup_success{type=config} 1 again" metric 'backup_success{type="config"} 1'

step "POST .../run runs a job now (202 with the run id); a second one is 409"
code=$(curl -s -o "$WORK/post.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$WORK/token")" \
  "http://127.0.0.1:$PORT/api/v1/jobs/gated/run")
[[ $code == 202 ]] || fail "POST run: $code $(cat "$WORK/post.json")"
run_id=$(jq -r .run_id "$WORK/post.json")
[[ $run_id =~ ^[0-9]+$ ]] || fail "run id: $(cat "$WORK/post.json")"
hook_pid=$(cat "$WORK/started")  # the gated job's hook runs
code=$(curl -s -o "$WORK/post2.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$WORK/token")" \
  "http://127.0.0.1:$PORT/api/v1/jobs/gated/run")
[[ $code == 409 ]] || fail "second POST: $code $(cat "$WORK/post2.json")"
api "http://127.0.0.1:$PORT/api/v1/jobs/gated" | jq -e '.running == true' >/dev/null || fail "gated should run"
metric 'lifeboat_job_running{job="gated"} 1' ||
  fail "lifeboat_job_running of gated: $(curl -s "http://127.0.0.1:$PORT/metrics" | grep job_running); $(tail -5 "$WORK/serve.err")"

step "SIGHUP with a broken config keeps the old one; a good one is taken, the running job kept"
cp "$C" "$C.good"
printf 'jobs:\n  files: {source: /x, repository: nowhere, schedule: "0 2 * * *"}\n' >"$C"
kill -HUP "$SERVE_PID"
wait_for "the reload refusal" grep -q 'reload: .*lifeboat.yml:2: .*nowhere.*; keeping the running config' "$WORK/serve.err"
api "http://127.0.0.1:$PORT/api/v1/jobs" | jq -e 'length == 6' >/dev/null || fail "the old config should stay"
write_config "  extra: {type: config, source: $WORK/src, repository: side, schedule: \"@daily\"}"
kill -HUP "$SERVE_PID"
wait_for "the reload" grep -q 'reloaded .*lifeboat.yml: 7 jobs' "$WORK/serve.err"
api "http://127.0.0.1:$PORT/api/v1/jobs" | jq -e 'length == 7 and (map(.name) | index("extra")) and
  (.[] | select(.name == "gated") | .running)' >/dev/null || fail "after reload: $(api "http://127.0.0.1:$PORT/api/v1/jobs")"

step "a real Prometheus scrapes serve, loads the rules, and every dashboard query returns data"
PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$LIFEBOAT_SRC/deploy/prometheus/lifeboat-rules.yml"]
scrape_configs:
  - job_name: lifeboat
    honor_labels: true
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
CLEANUP_PIDS+=($!)
promq() { curl -s --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"; }
has_data() { promq "$1" | jq -e '.status == "success" and (.data.result | length) > 0' >/dev/null 2>&1; }
wait_for "Prometheus to scrape serve" has_data 'up{instance="127.0.0.1:'"$PORT"'"} == 1'
curl -s "http://127.0.0.1:$PROM_PORT/api/v1/rules" | jq -e '[.data.groups[].rules[] | select(.health == "ok")] | length == 9' \
  >/dev/null || fail "rules: $(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/rules")"
wait_for "the success-rate window (two scrapes of a run)" has_data 'increase(lifeboat_job_runs_total[1d])'
wait_for "BackupJobCompleted to fire" has_data 'ALERTS{alertname="BackupJobCompleted",alertstate="firing"}'
n=0
while IFS= read -r expr; do
  wait_for "dashboard query: $expr" has_data "$expr"
  n=$((n + 1))
done < <(jq -r '.panels[].targets[].expr' "$LIFEBOAT_SRC/deploy/grafana/lifeboat-dashboard.json")
[[ $n -ge 10 ]] || fail "only $n dashboard queries"
echo "    $n dashboard queries answered"

step "SIGTERM in the middle of a backup: exit 0 after the grace, the run cancelled, the repository clean"
kill -TERM "$SERVE_PID"
set +e
wait "$SERVE_PID"
rc=$?
set -e
[[ $rc == 0 ]] || fail "serve exited $rc: $(tail -20 "$WORK/serve.err")"
grep -q 'shutting down: the grace period is over, cancelling the running jobs' "$WORK/serve.err" ||
  fail "no cancel: $(tail -20 "$WORK/serve.err")"
lb runs --config "$C" --json --job gated | jq -e --argjson id "$run_id" \
  '.[0].id == $id and .[0].result == "cancelled" and .[0].error == "lifeboat serve is shutting down"' >/dev/null ||
  fail "gated run: $(lb runs --config "$C" --json --job gated)"
kill -0 "$hook_pid" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$hook_pid/stat" 2>/dev/null) != Z ]] &&
  fail "the hook of the cancelled job outlived serve"
for r in repo pgrepo side dr; do
  [[ -z $(ls "$WORK/$r/locks") ]] || fail "$r: locks left: $(ls "$WORK/$r/locks")"
  lb check -r "$WORK/$r" --password-file "$WORK/pw" -q || fail "$r does not check clean"
done
any_hook json-secret-path '.event == "failure" and .job == "gated" and .run.result == "cancelled"' ||
  fail "the cancel was not notified before exit"
grep -q 'secret-path' "$WORK/serve.err" && fail "a webhook's path (its secret) reached the log"
grep -q "s3cret-api-token\|$PG_PASSWORD" "$WORK/serve.err" "$WORK"/hooks-*.log && fail "a secret reached the log or a webhook"

step "a restart keeps the history and runs what it missed while down"
last=$(lb runs --config "$C" --json --job files | jq -r '.[0].start')
last_s=$(date -d "$last" +%s)
until (($(date +%s) >= last_s + 3)); do sleep 0.2; done  # the downtime spans a fire time of files
before=$(lb runs --config "$C" --json | jq length)
start_serve
# From the history, before any new run: pg's last run (a success, or
# cancelled if the SIGTERM caught it running); gated (type config) was
# cancelled last, which counts against its type.
curl -s "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics.2"
pg_last=$(lb runs --config "$C" --json --job pg | jq -r 'map(select(.end != ""))[0].result')
[[ $pg_last == success ]] && want=1 || want=0
grep -qxF "backup_success{type=\"postgres\"} $want" "$WORK/metrics.2" ||
  fail "pg's last run ($pg_last) should come from the history: $(grep backup_success "$WORK/metrics.2")"
grep -qxF 'backup_success{type="config"} 0' "$WORK/metrics.2" || fail "gated's cancel should count: $(grep backup_success "$WORK/metrics.2")"
wait_for "the missed run of files" any_hook json-secret-path '.event == "missed" and .job == "files"'
wait_for "a run triggered as missed" sh -c "'$LIFEBOAT' runs --config '$C' --json --job files | jq -e '.[0:3] | any(.[]; .trigger == \"missed\")' >/dev/null"
(($(lb runs --config "$C" --json | jq length) > before)) || fail "history lost at restart"
api "http://127.0.0.1:$PORT/api/v1/runs?job=gated" | jq -e 'any(.[]; .result == "cancelled")' >/dev/null ||
  fail "the cancelled run is not in the API's history"

step "serve writes the DR plan's heartbeats"
hb_file() { [[ -s $WORK/hb/.lifeboat-heartbeat ]]; }
wait_for "a heartbeat in the files service" hb_file
first=$(cat "$WORK/hb/.lifeboat-heartbeat")
jq -e --argjson b "$first" '.conf >= $b' "$WORK/state/dr-heartbeats.json" >/dev/null ||
  fail "the heartbeat log lacks the beat: $(cat "$WORK/state/dr-heartbeats.json")"
newer() { (($(cat "$WORK/hb/.lifeboat-heartbeat") > first)); }
wait_for "a later heartbeat" newer

step "a second serve on the same port fails with a clear error"
expect_exit 1 lb serve --config "$C"
expect_stderr "listen 127.0.0.1:$PORT: cannot bind"
kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || fail "serve did not stop cleanly"

step "bad config: one line naming the file, line and key, exit 2"
printf 'jobs:\n  a: {source: /x, repository: nowhere, schedule: "0 2 * * *"}\n' >"$WORK/bad.yml"
expect_exit 2 lb serve --config "$WORK/bad.yml"
expect_stderr "bad.yml:2: jobs.a.repository: .*nowhere"
printf 'jobs:\n  a: {source: /x, repository: r, schedule: "@sometimes"}\nrepositories: {r: {url: /r, password_file: /p}}\n' >"$WORK/bad2.yml"
expect_exit 2 lb serve --config "$WORK/bad2.yml"
expect_stderr "bad2.yml:2: jobs.a.schedule: .*@sometimes"
echo "PASS"
