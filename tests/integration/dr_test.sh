#!/usr/bin/env bash
# The DR plan (docs/dr.md), as far as it is built: `dr check` reads the
# issue's example plan with its repositories named in a serve config,
# prints the restore order, the objectives and the switch commands, hides
# a password written into a URL, and refuses a plan with an unknown
# service or repository (the file, line and key named, exit 2). The later
# commands (assess, failover, failback, drill, report) say they are not
# built yet. Nothing is started: no server is needed to read a plan.
source "$(dirname "$0")/lib.sh"

C=$WORK/lifeboat.yml
cat >"$C" <<YAML
state_dir: $WORK/state
repositories:
  primary: {url: $WORK/primary, password_file: $WORK/pw}
  dr: {url: $WORK/dr, password_file: $WORK/pw}
jobs:
  app-db: {source: "postgres://app@127.0.0.1:5432/app", repository: primary, schedule: "0 2 * * *", copy_to: [dr]}
YAML
P=$WORK/dr-plan.yaml
cat >"$P" <<YAML
objectives: {rto: 4h, rpo: 1h}
config: $C
sites:
  primary: {repository: primary}
  dr:      {repository: dr}
services:
  app-db:
    type: postgres
    critical: true
    objectives: {rto: 2h, rpo: 15m}
    primary: {url: "postgres://app:s3cret-pw@db1:5432/app"}
    dr:      {data_dir: $WORK/dr-pg, port: 5433, url: postgres://app@127.0.0.1:5433/app}
    health:  {sql: "select 1"}
  cache:
    type: redis
    primary: {url: redis://cache1:6379}
    dr:      {url: redis://127.0.0.1:6380}
    health:  [{redis: PING, timeout: 2s}, {tcp: "127.0.0.1:6380"}]
  app-config:
    type: files
    primary: {path: /etc/app}
    dr:      {path: $WORK/dr-etc}
groups: [[app-db], [cache, app-config]]
switch:
  to_dr: ["/usr/local/bin/switch-dns", "dr"]
  to_primary: ["/usr/local/bin/switch-dns", "primary"]
YAML

step "dr check: the plan read, the restore order, objectives and switch commands printed"
lb dr check --plan "$P" >"$WORK/check.out" || { cat "$WORK/check.out"; fail "dr check of a good plan"; }
grep -q "^plan $P: RTO 4h, RPO 1h$" "$WORK/check.out" || { cat "$WORK/check.out"; fail "objectives line"; }
grep -q "^site dr: repository $WORK/dr (dr in $C)$" "$WORK/check.out" || { cat "$WORK/check.out"; fail "dr site"; }
grep -q "^     app-db (postgres, critical, RTO 2h, RPO 15m): from postgres://app:\*\*\*@db1:5432/app to " \
  "$WORK/check.out" || { cat "$WORK/check.out"; fail "app-db line"; }
grep -q "^  2. in parallel:$" "$WORK/check.out" || fail "group 2"
grep -q "^       health: tcp 127.0.0.1:6380 (within 10s)$" "$WORK/check.out" || fail "a list of health checks"
grep -q "^fence primary: none$" "$WORK/check.out" || fail "fence line"
grep -q "^the plan is valid$" "$WORK/check.out" || fail "verdict"
grep -q "s3cret-pw" "$WORK/check.out" && fail "a password reached the output"
lb --json dr check --plan "$P" >"$WORK/check.json" || fail "dr check --json"
jq -e '.valid and (.services | map(.name)) == ["app-db", "cache", "app-config"] and
       .services[0].rpo_seconds == 900 and .services[1].group == 2 and .services[1].rto_seconds == 14400' \
  "$WORK/check.json" >/dev/null || { cat "$WORK/check.json"; fail "dr check --json fields"; }
grep -q "s3cret-pw" "$WORK/check.json" && fail "a password reached the JSON"

step "a bad plan: the file, the line and the key named, exit 2"
sed 's/\[cache, app-config\]/[cache, nosuch]/' "$P" >"$WORK/bad1.yaml"
expect_exit 2 lb dr check --plan "$WORK/bad1.yaml"
expect_stderr "bad1.yaml:[0-9]+: groups\[1\]: no service \"nosuch\" under services:"
sed 's/{repository: dr}/{repository: offsite}/' "$P" >"$WORK/bad2.yaml"
expect_exit 2 lb dr check --plan "$WORK/bad2.yaml"
expect_stderr "sites.dr.repository: no repository \"offsite\" in $C \(primary, dr\)"
expect_exit 13 lb dr check --plan "$WORK/nosuch.yaml"
expect_stderr "nosuch.yaml"

step "the later commands say they are not built yet"
for c in assess failover failback drill report; do
  expect_exit 2 lb dr "$c" --plan "$P"
  expect_stderr "dr $c is not in this build yet"
done

echo "PASS dr_test"
