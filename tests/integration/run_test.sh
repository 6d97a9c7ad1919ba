#!/usr/bin/env bash
# lifeboat run JOB --config FILE: a job of the config runs now, through the
# runner serve uses (jobs/runner.h): backup, forget by its retention class,
# copy to its copy_to repositories, recorded in the run history that
# `lifeboat runs` lists. A failing job retries and exits non-zero with its
# error recorded; a job over its timeout is stopped (its hook's processes
# too) and SIGTERM cancels a running job, each leaving a repository that
# checks clean and no lock behind.
source "$(dirname "$0")/lib.sh"

echo "$LIFEBOAT_PASSWORD" >"$WORK/pw"
unset LIFEBOAT_PASSWORD  # the config's password_file is what the jobs use
mkdir -p "$WORK/src/sub"
echo one >"$WORK/src/a"
echo two >"$WORK/src/sub/b"
lb init -r "$WORK/repo" --password-file "$WORK/pw" -q
lb init -r "$WORK/dr" --password-file "$WORK/pw" -q
mkfifo "$WORK/started"
C=$WORK/lifeboat.yml
cat >"$C" <<YAML
state_dir: $WORK/state
repositories:
  primary: {url: $WORK/repo, password_file: $WORK/pw}
  dr:      {url: $WORK/dr, password_file: $WORK/pw}
retention:
  ops: {keep_last: 2}
jobs:
  files:
    source: $WORK/src
    repository: primary
    schedule: "@every 1m"
    retention: ops
    copy_to: [dr]
    tags: [config]
  gone:
    source: $WORK/no-such-dir
    repository: primary
    schedule: "@daily"
    retries: {attempts: 2, backoff: 1s}
  slow:
    source: $WORK/src
    repository: primary
    schedule: "@daily"
    timeout: 3s
    hooks: {pre: ["sh -c 'echo \$\$ >$WORK/slow.pid; exec sleep 600'"]}
  held:
    source: $WORK/src
    repository: primary
    schedule: "@daily"
    hooks: {pre: ["sh -c 'echo \$\$ >$WORK/started; exec sleep 600'"]}
YAML
# gone PID: the process has ended (absent, or a zombie nobody reaped yet),
# within 10 s: a signal is delivered, not waited for, by kill.
gone() {
  local i state
  for ((i = 0; i < 100; i++)); do
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
    [[ $state == Z ]] && return 0
    sleep 0.1
  done
  return 1
}
snaps() { lb snapshots -r "$1" --password-file "$WORK/pw" --json | jq length; }

step "three runs: each backs up and copies to dr; the class keeps the last 2"
for i in 1 2 3; do
  echo "change $i" >>"$WORK/src/a"
  lb run files --config "$C" >"$WORK/run.out" 2>"$WORK/run.err" || fail "run $i: $(cat "$WORK/run.err")"
done
grep -Eq '^job files: success, snapshot [0-9a-f]{8}, .* added, 1 forgotten, 1 copied to dr in ' "$WORK/run.out" ||
  fail "summary: $(cat "$WORK/run.out")"
[[ $(snaps "$WORK/repo") == 2 ]] || fail "primary should keep 2 snapshots, has $(snaps "$WORK/repo")"
[[ $(snaps "$WORK/dr") == 3 ]] || fail "dr should hold all 3 copies, has $(snaps "$WORK/dr")"
lb snapshots -r "$WORK/repo" --password-file "$WORK/pw" --json |
  jq -e 'all(.[]; (.tags | index("config")) and (.tags | index("ops")))' >/dev/null ||
  fail "snapshots should carry the job's tags and the class's"

step "runs lists the history, newest first; --json has the fields"
lb runs --config "$C" >"$WORK/runs.txt"
[[ $(grep -c ' files .* success ' "$WORK/runs.txt") == 3 ]] || fail "runs: $(cat "$WORK/runs.txt")"
lb runs --config "$C" --json --job files >"$WORK/runs.json"
jq -e 'length == 3 and .[0].id == 3 and .[0].trigger == "manual" and (.[0].snapshot_id | length) == 64
       and .[0].duration_seconds > 0' "$WORK/runs.json" >/dev/null || fail "runs --json: $(cat "$WORK/runs.json")"
newest=$(jq -r '.[0].snapshot_id' "$WORK/runs.json")
lb snapshots -r "$WORK/repo" --password-file "$WORK/pw" --json | jq -e --arg id "$newest" 'any(.[]; .id == $id)' \
  >/dev/null || fail "the history's snapshot $newest is not in the repository"

step "a job whose source is gone: retried, exit 13, the error recorded"
expect_exit 13 lb run gone --config "$C" --json
jq -e '.result == "failure" and .attempts == 2 and (.error | test("^attempt 2 of 2: backup of .*no-such-dir: none of the paths"))' \
  "$WORK/last.out" >/dev/null || fail "failure JSON: $(cat "$WORK/last.out")"
grep -q "attempt 1 of 2 failed" "$WORK/last.err" || fail "the retry was not announced: $(cat "$WORK/last.err")"
lb runs --config "$C" --json --job gone | jq -e '.[0].result == "failure" and (.[0].error | test("none of the paths"))' \
  >/dev/null || fail "the failure is not in the history"

step "a job over its timeout is stopped, its hook's process with it"
expect_exit 1 lb run slow --config "$C"
grep -q "^job slow: failure in .*: timed out after 3.00s and was stopped" "$WORK/last.out" ||
  fail "timeout summary: $(cat "$WORK/last.out")"
gone "$(cat "$WORK/slow.pid")" || fail "the hook's sleep outlived the stopped job"

step "SIGTERM cancels a running job: exit 143, recorded, no lock left"
"$LIFEBOAT" run held --config "$C" >"$WORK/held.out" 2>"$WORK/held.err" &  # not lb: a function would run in a subshell
run_pid=$!
hook_pid=$(cat "$WORK/started")  # blocks until the hook runs
kill -TERM "$run_pid"
set +e
wait "$run_pid"
rc=$?
set -e
[[ $rc == 143 ]] || fail "cancelled run exited $rc: $(cat "$WORK/held.out" "$WORK/held.err")"
grep -q "^job held: cancelled .*interrupted by Terminated" "$WORK/held.out" || fail "cancel summary: $(cat "$WORK/held.out" "$WORK/held.err")"
gone "$hook_pid" || fail "the hook outlived the cancelled job"
lb runs --config "$C" --json --job held | jq -e '.[0].result == "cancelled"' >/dev/null ||
  fail "the cancel is not in the history"
[[ -z $(ls "$WORK/repo/locks") ]] || fail "locks left: $(ls "$WORK/repo/locks")"
lb check -r "$WORK/repo" --password-file "$WORK/pw" -q || fail "primary does not check clean"
lb check -r "$WORK/dr" --password-file "$WORK/pw" -q || fail "dr does not check clean"

step "restic reads what the job made"
if command -v restic >/dev/null; then
  RESTIC_PASSWORD_FILE=$WORK/pw restic -r "$WORK/dr" --no-cache check -q || fail "restic check of dr"
fi

step "--metrics-file: the plan's metrics for every job, from the history, promtool-clean"
lb run files --config "$C" --metrics-file "$WORK/lifeboat.prom" -q 2>/dev/null || fail "run with --metrics-file"
M=$WORK/lifeboat.prom
grep -qx 'backup_success{type="files"} 0' "$M" || fail "files: 'gone' (type files) failed last: $(grep backup_ "$M")"
awk '$1 == "backup_age_hours{type=\"files\"}" { found = 1; if ($2 < 0 || $2 > 1) exit 1 } END { exit !found }' "$M" ||
  fail "age should be under an hour: $(grep backup_age "$M")"
grep -Eq '^backup_total_size_bytes\{type="files"\} [1-9][0-9]*$' "$M" || fail "size: $(grep backup_total "$M")"
grep -qx 'lifeboat_job_runs_total{job="files",result="success"} 0' "$M" ||
  fail "counters count this process's runs only: $(grep runs_total "$M")"
grep -Eq '^lifeboat_job_last_success_timestamp_seconds\{job="files"\} [1-9]' "$M" || fail "last success"
grep -qx 'lifeboat_copy_lag_seconds{from="primary",to="dr"} 0' "$M" || fail "copy lag: $(grep copy_lag "$M")"
grep -qx 'lifeboat_repository_snapshots{repository="primary"} 2' "$M" || fail "snapshots: $(grep repository_snap "$M")"
grep -q 'lifeboat_job_next_run_timestamp_seconds{job="held"}' "$M" || fail "next run of every job"
if command -v promtool >/dev/null; then
  # Exit 3 is lint only: the plan's backup_age_hours is not in base units,
  # and promtool says so. Anything else it reports is a failure.
  promtool check metrics <"$M" >"$WORK/promtool.out" 2>&1 ||
    ! grep -v 'backup_age_hours use base unit' "$WORK/promtool.out" | grep -q . || fail "promtool: $(cat "$WORK/promtool.out")"
fi
[[ ! -e $M.tmp ]] || fail "the temporary file stayed"
expect_exit 2 lb run files --config "$C" --metrics-file "$M" --no-history

step "--pushgateway: this job's metrics PUT to a real Pushgateway under job=JOB"
if command -v prometheus-pushgateway >/dev/null; then
  GW_PORT=$(free_port)
  prometheus-pushgateway --web.listen-address="127.0.0.1:$GW_PORT" >"$WORK/gateway.log" 2>&1 &
  CLEANUP_PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$GW_PORT/-/ready" >/dev/null && break; sleep 0.1; done
  lb run files --config "$C" --pushgateway "http://127.0.0.1:$GW_PORT" -q || fail "run with --pushgateway"
  curl -s "http://127.0.0.1:$GW_PORT/metrics" >"$WORK/gateway.prom"
  grep -qx 'backup_success{instance="",job="files",type="files"} 1' "$WORK/gateway.prom" ||
    fail "gateway: $(grep backup_success "$WORK/gateway.prom")"
  grep -q '^lifeboat_job_last_success_timestamp_seconds{instance="",job="files"} ' "$WORK/gateway.prom" ||
    fail "the job's own series"
  ! grep -q 'job="held"' "$WORK/gateway.prom" || fail "only the job's own metrics are pushed"
  # A dead gateway: the job ran (its snapshot is there) but the exit says the push failed.
  expect_exit 1 lb run files --config "$C" --pushgateway "http://127.0.0.1:$(free_port)"
  expect_stderr "pushgateway http://127.0.0.1:[0-9]*: "
else
  echo "    prometheus-pushgateway not installed: --pushgateway not tried"
fi

step "bad input: an unknown job, a missing config"
expect_exit 13 lb run nosuch --config "$C"
expect_stderr "no job \"nosuch\" \\(jobs: files, gone, slow, held\\)"
expect_exit 13 lb run files --config "$WORK/missing.yml"
echo "PASS"
