#!/usr/bin/env bash
# lifeboat config check: the plan's example is read and its jobs shown with
# their next runs (text and --json); a malformed file, an unknown key, a
# job naming a missing repository and an unparsable schedule are one-line
# errors naming file, line and key (exit 2); a password written into a
# file others can read is warned about, and no output quotes it.
source "$(dirname "$0")/lib.sh"

C=$WORK/lifeboat.yml
cat >"$C" <<'YAML'
listen: 127.0.0.1:9471
state_dir: /var/lib/lifeboat
repositories:
  primary: {url: /srv/backup/repo, password_file: /etc/lifeboat/password}
  dr:      {url: "s3:s3.us-west-2.amazonaws.com/acme-dr/prod", password_file: /etc/lifeboat/dr-password, options: {s3.region: us-west-2}}
retention:
  operational: {keep_within: 30d}
  cache:       {keep_within: 7d}
jobs:
  postgres:
    source: postgres://backup@db1:5432/app
    repository: primary
    schedule: "0 2 * * *"
    retention: operational
    copy_to: [dr]
  redis:
    source: redis://cache1:6379
    repository: primary
    schedule: "@every 6h"
    retention: cache
YAML

step "the plan's example: jobs, types and next runs"
lb config check "$C" >"$WORK/out.txt"
grep -q "lifeboat.yml: ok — 2 repositories, 2 retention classes, 2 jobs" "$WORK/out.txt" || fail "summary: $(cat "$WORK/out.txt")"
grep -Eq '^  postgres +postgres +postgres://backup@db1:5432/app +→ primary +\[0 2 \* \* \*\] next [0-9-]+T02:00:00Z, keep: operational, copy to: dr$' \
  "$WORK/out.txt" || fail "postgres line: $(cat "$WORK/out.txt")"
lb --json config check "$C" >"$WORK/out.json"
jq -e '.jobs | map(.name) == ["postgres", "redis"]' "$WORK/out.json" >/dev/null || fail "job order in JSON"
jq -e '.jobs[1].type == "redis" and (.jobs[1].next_run | test("T(00|06|12|18):00:00Z$"))' "$WORK/out.json" >/dev/null ||
  fail "redis job in JSON: $(jq -c '.jobs[1]' "$WORK/out.json")"

step "errors name the file, the line and the key"
check_error() {  # check_error PATTERN: config check of $C fails with exit 2 and PATTERN
  expect_exit 2 lb config check "$C"
  expect_stderr "$1"
  [[ $(wc -l <"$WORK/last.err") -eq 1 ]] || fail "more than one line: $(cat "$WORK/last.err")"
}
printf 'jobs: [unclosed\n' >"$C"
check_error 'lifeboat.yml:[0-9]+: not YAML'
printf 'listen: 127.0.0.1:1\nlisten_port: 2\n' >"$C"
check_error 'lifeboat.yml:2: listen_port: unknown key'
printf 'repositories:\n  l: {url: /r, password_file: /p}\njobs:\n  a: {source: /x, repository: m, schedule: "@daily"}\n' >"$C"
check_error 'lifeboat.yml:4: jobs.a.repository: no repository "m" under repositories:'
printf 'repositories:\n  l: {url: /r, password_file: /p}\njobs:\n  a:\n    source: /x\n    repository: l\n    schedule: "61 * * * *"\n' >"$C"
check_error 'lifeboat.yml:7: jobs.a.schedule: schedule "61 \* \* \* \*": minute "61"'
expect_exit 13 lb config check "$WORK/missing.yml"
expect_stderr 'missing.yml'

step "an inline password: warned about in a readable file, never printed"
printf 'repositories:\n  l: {url: /r, password: pw-Zq9-secret}\njobs:\n  a: {source: /x, repository: l, schedule: "@daily"}\n' >"$C"
chmod 644 "$C"
lb config check "$C" >"$WORK/out.txt" 2>"$WORK/err.txt"
grep -q 'warning: .*lifeboat.yml: repositories.l.password is written in a file others may read' "$WORK/err.txt" ||
  fail "no warning: $(cat "$WORK/err.txt")"
chmod 600 "$C"
lb config check "$C" >>"$WORK/out.txt" 2>"$WORK/err2.txt"
[[ ! -s $WORK/err2.txt ]] || fail "a private file was warned about: $(cat "$WORK/err2.txt")"
lb --json config check "$C" >>"$WORK/out.txt"
! grep -q 'pw-Zq9' "$WORK/out.txt" "$WORK/err.txt" || fail "the password was printed"
echo "config_test: ok"
