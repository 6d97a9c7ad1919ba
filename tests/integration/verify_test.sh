#!/usr/bin/env bash
# The restore-test suite and the plan's Backup Validation Report against
# real servers: a PostgreSQL 15 and a redis-server started here, and a
# directory of configuration files, each backed up by a job of a config.
# `verify --all --config` restores the newest snapshot of every job where
# nothing depends on it (a scratch PostgreSQL, a scratch redis-server, a
# scratch directory) and compares it; the report's text form starts as the
# plan's does, JSON and HTML render, the tests land in the run history,
# --notify reaches a webhook. Then the failures the report must name: a
# job whose last run failed (Backup Jobs: FAIL) and damaged packs (every
# source FAIL with the reason, exit 4). MongoDB has no source yet: SKIP.
source "$(dirname "$0")/lib.sh"

start_postgres
psql_q postgres "CREATE DATABASE app" >/dev/null
psql_q app "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g"
start_redis cache
rcli cache DEBUG POPULATE 500 key 32 >/dev/null
rcli cache SET greeting hello >/dev/null
mkdir -p "$WORK/etc/app"
echo '{"listen": 8080}' >"$WORK/etc/app/appsettings.json"
echo 'LOG_LEVEL=info' >"$WORK/etc/app/env"
echo "$LIFEBOAT_PASSWORD" >"$WORK/pw"
chmod 600 "$WORK/pw"
lb init -r "$WORK/repo" --password-file "$WORK/pw" -q

HOOK_PORT=$(free_port)
node -e '
  const http = require("http"), fs = require("fs");
  http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      fs.appendFileSync(process.argv[2] + "/hooks" + req.url.replace(/\//g, "-") + ".log", body + "\n");
      res.writeHead(200); res.end("ok");
    });
  }).listen(Number(process.argv[1]), "127.0.0.1");
' "$HOOK_PORT" "$WORK" &
CLEANUP_PIDS+=($!)

C=$WORK/lifeboat.yml
cat >"$C" <<YAML
state_dir: $WORK/state
notifications:
  webhooks:
    - {url: "http://127.0.0.1:$HOOK_PORT/json", events: [failure]}
    - {url: "http://127.0.0.1:$HOOK_PORT/slack", format: slack}
repositories:
  primary: {url: $WORK/repo, password_file: $WORK/pw}
jobs:
  postgres:
    source: $PG_URL/app
    repository: primary
    schedule: "0 2 * * *"
  redis:
    source: redis://127.0.0.1:${REDIS_PORTS[cache]}
    repository: primary
    schedule: "@every 6h"
  config:
    type: config
    source: $WORK/etc
    repository: primary
    schedule: "0 3 * * *"
YAML
PW=$LIFEBOAT_PASSWORD
unset LIFEBOAT_PASSWORD

step "a restore test of a file snapshot by ID (verify is no longer for databases only)"
for j in postgres redis config; do lb run "$j" --config "$C" -q || fail "run $j"; done
id=$(lb -r "$WORK/repo" --password-file "$WORK/pw" --json snapshots --path "$WORK/etc" | jq -r '.[0].id')
lb -r "$WORK/repo" --password-file "$WORK/pw" verify "$id" >"$WORK/one.out" || { cat "$WORK/one.out"; fail "verify of a file snapshot"; }
grep -q "^PASS 2 files, .* restored and read back" "$WORK/one.out" || { cat "$WORK/one.out"; fail "file verify line"; }
grep -q "^PASS 2 files match the fingerprints taken at backup$" "$WORK/one.out" ||
  { cat "$WORK/one.out"; fail "the restored files were not compared with the backup's fingerprints"; }

step "a snapshot without fingerprints (made by restic 0.14): \"no fingerprint\", not passed, exit 4"
lb -r "$WORK/plain" --password-file "$WORK/pw" init -q
RESTIC_PASSWORD=$PW restic -r "$WORK/plain" backup -q "$WORK/etc" >/dev/null || fail "restic backup"
expect_exit 4 lb -r "$WORK/plain" --password-file "$WORK/pw" verify latest
grep -q "no fingerprint: none of the 2 files was fingerprinted at backup" "$WORK/last.out" "$WORK/last.err" ||
  { cat "$WORK/last.out" "$WORK/last.err"; fail "a restic snapshot is not reported as without fingerprint"; }

step "a PostgreSQL snapshot taken with --no-fingerprint: \"no fingerprint\", not passed, exit 4"
lb -r "$WORK/plain" --password-file "$WORK/pw" backup -q --no-fingerprint "$PG_URL/app" || fail "backup --no-fingerprint"
expect_exit 4 lb -r "$WORK/plain" --password-file "$WORK/pw" verify latest
grep -q "FAIL no fingerprint: none of the 1 databases was fingerprinted at backup" "$WORK/last.out" ||
  { cat "$WORK/last.out" "$WORK/last.err"; fail "a PostgreSQL snapshot without fingerprint passed"; }

step "verify --all --config: every job's newest snapshot restored and compared; the plan's header"
lb verify --all --config "$C" --notify >"$WORK/report.txt" || { cat "$WORK/report.txt"; fail "verify --all of good backups"; }
[[ -z ${SAVE_REPORT:-} ]] || cp "$WORK/report.txt" "$SAVE_REPORT"  # for the docs and the notes
head -n 11 "$WORK/report.txt" >"$WORK/head.txt"
sed -i -E '3s/^Date: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$/Date: D/' "$WORK/head.txt"
cat >"$WORK/want.txt" <<'EOF'
Backup Validation Report
========================
Date: D
Validation Namespace: backup-validation

Summary:
- PostgreSQL Backup: PASS
- MongoDB Backup: SKIP (no MongoDB source configured)
- Redis Backup: PASS
- Configuration Backup: PASS
- Backup Jobs: PASS
EOF
diff "$WORK/want.txt" "$WORK/head.txt" || { cat "$WORK/report.txt"; fail "the report does not start as the plan's"; }
grep -q "^\[PASS\] PostgreSQL Backup: job postgres" "$WORK/report.txt" || fail "no PostgreSQL detail"
grep -q "database app .* ok: 1 of 1 tables match" "$WORK/report.txt" || { cat "$WORK/report.txt"; fail "PostgreSQL compare line"; }
grep -q "PASS db0: 501 keys (501 at backup)" "$WORK/report.txt" || { cat "$WORK/report.txt"; fail "Redis compare line"; }
grep -q "PASS 2 files, .* restored and read back" "$WORK/report.txt" || fail "files compare line"
grep -Eq "^  snapshot [0-9a-f]{8} of host .*, taken .* UTC \(.* old\), repository primary$" "$WORK/report.txt" ||
  fail "no snapshot age line"
grep -Eq "^  restored .* in " "$WORK/report.txt" || fail "no restore duration line"
grep -q "^  \[PASS\] redis (@every 6h): last run success" "$WORK/report.txt" || fail "no Backup Jobs detail"
compgen -G "$TMPDIR/lifeboat-scratch-*" >/dev/null && fail "a scratch server was left behind"
compgen -G "$TMPDIR/lifeboat-verify-*" >/dev/null && fail "a scratch directory was left behind"

step "the tests are in the run history as verify-NAME"
lb runs --config "$C" --json >"$WORK/runs.json"
for j in postgres redis config; do
  jq -e --arg j "verify-$j" 'map(select(.job == $j and .result == "success")) | length == 1' "$WORK/runs.json" >/dev/null ||
    { cat "$WORK/runs.json"; fail "no successful verify-$j run in the history"; }
done

step "--notify: the summary reached the slack hook (every hook, whatever its events)"
for _ in $(seq 1 100); do [[ -s $WORK/hooks-slack.log && -s $WORK/hooks-json.log ]] && break; sleep 0.1; done
jq -e '.text | test("Backup Validation Report PASS") and test("- Redis Backup: PASS")' "$WORK/hooks-slack.log" >/dev/null ||
  { cat "$WORK/hooks-slack.log"; fail "slack body"; }
jq -e '.event == "validation" and .passed and (.report.summary | length) == 5' "$WORK/hooks-json.log" >/dev/null ||
  { cat "$WORK/hooks-json.log"; fail "json body"; }

step "--report json and html, --output"
lb verify --all --config "$C" --no-history --report json >"$WORK/report.json" || fail "json report"
jq -e '.passed and .namespace == "backup-validation" and (.snapshots | length) == 3 and
       ([.snapshots[] | select(.result == "PASS" and .bytes > 0 and .duration_seconds >= 0)] | length) == 3 and
       ([.summary[] | select(.name == "MongoDB Backup")][0].result == "SKIP")' "$WORK/report.json" >/dev/null ||
  { cat "$WORK/report.json"; fail "json report fields"; }
lb verify --all --config "$C" --no-history --report html --output "$WORK/report.html" >"$WORK/summary.txt" || fail "html report"
grep -q "^- PostgreSQL Backup: PASS" "$WORK/summary.txt" || fail "--output does not print the summary"
grep -q "<!DOCTYPE html>" "$WORK/report.html" || fail "not an HTML page"
grep -q "Backup Validation Report" "$WORK/report.html" || fail "html title"
grep -Eiq '<(script|link|img)|src=|url\(' "$WORK/report.html" && fail "the HTML page fetches something"
[[ ! -e $WORK/report.html.tmp ]] || fail "--output left its temporary file"

step "without a config: the repository's newest snapshot of every source"
lb -r "$WORK/repo" --password-file "$WORK/pw" verify --all >"$WORK/repo-report.txt" ||
  { cat "$WORK/repo-report.txt"; fail "verify --all of the repository"; }
grep -q "^- Redis Backup: PASS" "$WORK/repo-report.txt" || fail "repository report: redis"
grep -q "^- Backup Jobs: SKIP (no config" "$WORK/repo-report.txt" || fail "repository report: Backup Jobs"
expect_exit 2 lb -r "$WORK/repo" --password-file "$WORK/pw" verify --all --notify
expect_stderr "--notify needs --config"
expect_exit 2 lb verify --all --config "$C" --report pdf
expect_stderr "--report pdf: not text, json or html"
expect_exit 2 lb verify --all --config "$C" --job nosuch
expect_stderr "no backup job named nosuch"

step "every restore test so far is recorded in the repository (results/), readable without the config"
R=(-r "$WORK/repo" --password-file "$WORK/pw")
lb "${R[@]}" verify --history --json >"$WORK/hist.json" || fail "verify --history"
# by ID 1, --all --config 3, --report json 3, --report html 3, --all without a config 3
jq -e 'length == 13 and all(.[]; .kind == "verify" and .passed and (.snapshot | length) == 64)' "$WORK/hist.json" >/dev/null ||
  { cat "$WORK/hist.json"; fail "the repository does not hold the 13 restore tests"; }
jq -e 'map(select(.job == "config" and .test == "files" and (.source | endswith("'"$WORK/etc"'")))) | length == 3' \
  "$WORK/hist.json" >/dev/null || { cat "$WORK/hist.json"; fail "the config job's tests are not named"; }
lb "${R[@]}" verify --history >"$WORK/hist.txt" || fail "verify --history text"
grep -Eq "PASS  verify [0-9a-f]{8} redis .* \(job redis\), 0 files" "$WORK/hist.txt" || { cat "$WORK/hist.txt"; fail "history text"; }
ls "$WORK/repo/results" | grep -Eqv '^[0-9a-f]{64}$' && fail "a results/ file not named by its hash"
grep -rlq "redis" "$WORK/repo/results" && fail "a result file is not encrypted"
lb "${R[@]}" verify "$id" --no-record -q >/dev/null || fail "verify --no-record"
[[ $(ls "$WORK/repo/results" | wc -l) == 13 ]] || fail "--no-record recorded"
RESTIC_PASSWORD=$PW restic -r "$WORK/repo" check -q >/dev/null 2>"$WORK/restic.err" ||
  { cat "$WORK/restic.err"; fail "restic 0.14 check minds results/"; }

step "--sample 50%: successive runs restore the two halves of the files in turn"
mkdir -p "$WORK/many"
for i in $(seq 1 40); do echo "file $i" >"$WORK/many/f$i"; done
lb "${R[@]}" backup -q "$WORK/many" || fail "backup many"
sid=$(lb "${R[@]}" --json snapshots --path "$WORK/many" | jq -r '.[0].id')
for n in 1 2 3; do
  lb "${R[@]}" verify "$sid" --sample 50% >"$WORK/s$n.out" || { cat "$WORK/s$n.out"; fail "sampled verify $n"; }
done
part() { sed -nE "s/^NOTE sample: part $2 of 2 of the files \(([0-9]+) restored\); the next run takes part $3$/\1/p" "$WORK/s$1.out"; }
n1=$(part 1 1 2) n2=$(part 2 2 1) n3=$(part 3 1 2)
[[ -n $n1 && -n $n2 && $n1 == "$n3" ]] || { cat "$WORK"/s?.out; fail "the sample did not go part 1, 2, 1"; }
((n1 > 0 && n2 > 0 && n1 + n2 == 40)) || fail "the two parts ($n1 + $n2) are not the 40 files"
grep -q "^PASS $n1 files match the fingerprints taken at backup$" "$WORK/s1.out" || { cat "$WORK/s1.out"; fail "sample fingerprints"; }
lb "${R[@]}" verify --history --json | jq -e '[.[] | select(.sample)] | map(.sample.group) == [0, 1, 0]' >/dev/null ||
  fail "the sample groups are not recorded"
expect_exit 2 lb "${R[@]}" verify "$sid" --sample 0%
expect_stderr "--sample 0%: not a percentage from 1% to 100%"

step "check records its result; doctor tells the age of the last check"
lb "${R[@]}" doctor >"$WORK/doc0.out" 2>&1
grep -q "WARN.*last check.*no check of this repository is recorded" "$WORK/doc0.out" || { cat "$WORK/doc0.out"; fail "doctor before any check"; }
lb "${R[@]}" check -q || fail "check"
lb "${R[@]}" doctor >"$WORK/doc1.out" 2>&1
grep -q "WARN.*last check.*check .* ago (passed, on .*); no check --read-data recorded" "$WORK/doc1.out" ||
  { cat "$WORK/doc1.out"; fail "doctor after check"; }
lb "${R[@]}" check --read-data -q || fail "check --read-data"
lb "${R[@]}" doctor >"$WORK/doc2.out" 2>&1
grep -q "PASS.*last check.*check .* ago (passed, on .*); check --read-data .* ago (passed)" "$WORK/doc2.out" ||
  { cat "$WORK/doc2.out"; fail "doctor after check --read-data"; }
lb "${R[@]}" verify --history | grep -q "PASS  check --read-data" || fail "check --read-data not in the history"

step "the config's verify: suite (the plan's Monday run) runs as the job validation"
S=$WORK/suite.yml
cp "$C" "$S"
cat >>"$S" <<'YAML'
verify:
  schedule: "0 4 * * 1"
  jobs: [config, redis]
YAML
lb run validation --config "$S" >"$WORK/suite.out" 2>"$WORK/suite.err" || { cat "$WORK/suite.out" "$WORK/suite.err"; fail "run validation"; }
grep -q "^job validation: success" "$WORK/suite.out" || { cat "$WORK/suite.out"; fail "the suite's line"; }
[[ $(head -n 1 "$WORK/state/validation-report.txt") == "Backup Validation Report" ]] || fail "no report in state_dir"
grep -q "^- Configuration Backup: PASS" "$WORK/state/validation-report.txt" || fail "suite: config not tested"
grep -q "^- PostgreSQL Backup: SKIP" "$WORK/state/validation-report.txt" || fail "suite: postgres tested though not listed"
grep -q "<!DOCTYPE html>" "$WORK/state/validation-report.html" || fail "no HTML report in state_dir"
jq -e '.passed' "$WORK/state/validation-report.json" >/dev/null || fail "no JSON report in state_dir"
lb runs --config "$S" --json >"$WORK/runs2.json"
jq -e 'map(select(.job == "validation" and .result == "success")) | length == 1' "$WORK/runs2.json" >/dev/null ||
  { cat "$WORK/runs2.json"; fail "the suite is not in the run history"; }
jq -e 'map(select(.job == "verify-config")) | length == 2' "$WORK/runs2.json" >/dev/null ||
  fail "the suite's tests are not in the history as verify-NAME"
sed -i 's/jobs: \[config, redis\]/jobs: [config, nosuch]/' "$S"
expect_exit 2 lb run validation --config "$S"
expect_stderr "verify.jobs: no backup job \"nosuch\" under jobs:"

step "a job whose last run failed: Backup Jobs FAIL, naming the job and the cause"
rcli cache SHUTDOWN NOSAVE >/dev/null 2>&1 || true
for _ in $(seq 1 100); do rcli cache PING >/dev/null 2>&1 || break; sleep 0.05; done
lb run redis --config "$C" -q >/dev/null 2>&1 && fail "a backup of a dead Redis succeeded"
expect_exit 4 lb verify --all --config "$C" --job config
grep -q "^- Backup Jobs: FAIL (job redis: the last run (.*) ended failure: " "$WORK/last.out" ||
  { cat "$WORK/last.out"; fail "Backup Jobs does not name the failed job"; }
grep -q "^- Configuration Backup: PASS" "$WORK/last.out" || fail "--job config did not test config"
grep -q "^- Redis Backup: SKIP" "$WORK/last.out" || fail "--job config tested redis"

step "damaged packs: every source FAIL with the reason, exit 4"
for p in $(find "$WORK/repo/data" -type f); do
  chmod u+w "$p"
  printf 'damage' | dd of="$p" bs=1 seek=40 conv=notrunc 2>/dev/null
done
expect_exit 4 lb verify --all --config "$C" --no-history
for g in PostgreSQL Redis Configuration; do
  grep -q "^- $g Backup: FAIL (snapshot [0-9a-f]\{8\} of job .*: .*)" "$WORK/last.out" ||
    { cat "$WORK/last.out"; fail "$g Backup is not FAIL with a reason"; }
done
grep -qi "damaged\|does not match\|MAC" "$WORK/last.out" || { cat "$WORK/last.out"; fail "the reason does not name the damage"; }
compgen -G "$TMPDIR/lifeboat-scratch-*" >/dev/null && fail "a failed test left a scratch server behind"
grep -q "$PG_PASSWORD\|$PW" "$WORK/last.out" "$WORK/last.err" "$WORK"/hooks-*.log && fail "a secret reached the report"

echo "PASS verify_test"
