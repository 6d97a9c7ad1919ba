#!/usr/bin/env bash
# The DR plan (docs/dr.md), as far as it is built: `dr check` reads the
# issue's example plan with its repositories named in a serve config,
# prints the restore order, the objectives and the switch commands, hides
# a password written into a URL, and refuses a plan with an unknown
# service or repository (the file, line and key named, exit 2).
# dr_failover_test runs failover, failback and drills. Then `dr check --health` against real servers started here (a
# PostgreSQL 15, a redis-server with a password, an HTTP server): every
# kind of check passes at the primary and fails, with the cause, at a DR
# site where nothing runs yet.
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

step "failover asks for --yes; drill wants a level"
expect_exit 2 lb dr drill --plan "$P"
expect_stderr "dr drill needs --level 1, 2, 3 or 4"
expect_exit 2 lb dr failover --plan "$P" </dev/null
expect_stderr "give --yes \(there is no terminal to ask\)"

step "dr check --health: tcp, http, sql, redis and command checks against real servers"
start_postgres
REDIS_TEST_PASSWORD=redis-pw-7 start_redis cache --requirepass redis-pw-7
HTTP_PORT=$(free_port)
node -e 'require("http").createServer((q, s) => { s.writeHead(q.url === "/down" ? 503 : 200); s.end("ok"); })
  .listen(Number(process.argv[1]), "127.0.0.1", () => console.log("listening"))' "$HTTP_PORT" >"$WORK/http.log" 2>&1 &
CLEANUP_PIDS+=($!)
for _ in $(seq 1 100); do grep -q listening "$WORK/http.log" && break; sleep 0.05; done
DEAD=$(free_port)
H=$WORK/health.yaml
cat >"$H" <<YAML
objectives: {rto: 4h, rpo: 1h}
sites:
  primary: {url: $WORK/primary, password_file: $WORK/pw}
  dr:      {url: $WORK/dr, password_file: $WORK/pw}
services:
  app-db:
    type: postgres
    primary: {url: "$PG_URL/postgres"}
    dr:      {data_dir: $WORK/dr-pg, url: "postgres://postgres@127.0.0.1:$DEAD/postgres"}
    health:  [{sql: "select 1 union select 2", timeout: 5s}]
  cache:
    type: redis
    primary: {url: "redis://:redis-pw-7@127.0.0.1:${REDIS_PORTS[cache]}"}
    dr:      {url: "redis://127.0.0.1:$DEAD"}
    health:  {redis: PING, timeout: 2s}
  web:
    type: files
    primary: {path: $WORK/web}
    dr:      {path: $WORK/dr-web}
    health:
      - {http: "http://127.0.0.1:$HTTP_PORT/"}
      - {tcp: "127.0.0.1:$HTTP_PORT"}
      - {command: ["true"]}
YAML
lb dr check --plan "$H" --health --site primary >"$WORK/h1.out" || { cat "$WORK/h1.out"; fail "health at a healthy primary"; }
grep -q "^PASS  app-db at primary: sql select 1 union select 2 (within 5s): 2 rows" "$WORK/h1.out" || { cat "$WORK/h1.out"; fail "sql"; }
grep -q "^PASS  cache at primary: redis PING (within 2s): PONG" "$WORK/h1.out" || { cat "$WORK/h1.out"; fail "redis with AUTH"; }
grep -q "^PASS  web at primary: http http://127.0.0.1:$HTTP_PORT/ (within 10s): HTTP 200" "$WORK/h1.out" || fail "http"
grep -q "^PASS  web at primary: tcp 127.0.0.1:$HTTP_PORT (within 10s): connected" "$WORK/h1.out" || fail "tcp"
grep -q "^PASS  web at primary: command true (within 10s): exit 0" "$WORK/h1.out" || fail "command"
grep -q "^5 checks, 0 failed$" "$WORK/h1.out" || fail "summary"
expect_exit 4 lb dr check --plan "$H" --health --site dr
grep -q "^FAIL  app-db at dr: .*127.0.0.1:$DEAD.*" "$WORK/last.out" || { cat "$WORK/last.out"; fail "sql at a dead DR server"; }
grep -q "^FAIL  cache at dr: .*Connection refused" "$WORK/last.out" || { cat "$WORK/last.out"; fail "redis at a dead DR server"; }
sed -i "s/redis-pw-7@/wrong-pw@/; s|/\"}|/down\"}|; s/\[\"true\"\]/[sleep, \"30\"], timeout: 1s/" "$H"
expect_exit 4 lb --json dr check --plan "$H" --health --site primary
jq -e 'map(select(.ok | not)) | length == 3' "$WORK/last.out" >/dev/null || { cat "$WORK/last.out"; fail "three failures"; }
jq -e '.[] | select(.service == "cache") | .detail | test("AUTH refused")' "$WORK/last.out" >/dev/null || fail "wrong redis password"
jq -e '.[] | select(.check | startswith("http")) | .detail == "HTTP 503"' "$WORK/last.out" >/dev/null || fail "http 503"
jq -e '.[] | select(.check | startswith("command")) | .detail | test("timed out")' "$WORK/last.out" >/dev/null ||
  { cat "$WORK/last.out"; fail "the command's timeout"; }
grep -q "redis-pw-7\|wrong-pw\|$PG_PASSWORD" "$WORK/h1.out" "$WORK/last.out" && fail "a password reached the output"

step "dr assess: health, each repository's newest point, RPO, copy lag, the last restore test's RTO"
echo "$LIFEBOAT_PASSWORD" >"$WORK/pw"
chmod 600 "$WORK/pw"
mkdir -p "$WORK/site/etc" "$WORK/site/www"
echo 'a=1' >"$WORK/site/etc/app.conf"
echo '<h1>hi</h1>' >"$WORK/site/www/index.html"
for r in p-repo d-repo; do lb init -r "$WORK/$r" --password-file "$WORK/pw" -q; done
lb -r "$WORK/p-repo" --password-file "$WORK/pw" backup -q "$WORK/site/etc" || fail "backup etc"
# www's snapshot is a day old, beyond web's RPO objective below.
lb -r "$WORK/p-repo" --password-file "$WORK/pw" backup -q --time "$(date -u -d '1 day ago' '+%Y-%m-%d %H:%M:%S')" \
  "$WORK/site/www" || fail "backup www"
lb -r "$WORK/d-repo" --password-file "$WORK/pw" copy -q --from-repo "$WORK/p-repo" --from-password-file "$WORK/pw" ||
  fail "copy to the DR repository"
lb -r "$WORK/d-repo" --password-file "$WORK/pw" verify latest --path "$WORK/site/etc" -q || fail "restore test at DR"
A=$WORK/assess.yaml
cat >"$A" <<YAML
objectives: {rto: 4h, rpo: 1h}
sites:
  primary: {url: $WORK/p-repo, password_file: $WORK/pw}
  dr:      {url: $WORK/d-repo, password_file: $WORK/pw}
services:
  app-config:
    type: files
    critical: true
    primary: {path: $WORK/site/etc}
    dr:      {path: $WORK/dr-site/etc}
    health:  {command: [test, -d, $WORK/site/etc]}
YAML
lb dr assess --plan "$A" >"$WORK/a1.out" || { cat "$WORK/a1.out"; fail "assess of a plan within its objectives"; }
grep -q "^app-config: primary healthy$" "$WORK/a1.out" || { cat "$WORK/a1.out"; fail "primary health"; }
grep -Eq "^  DR repository:      snapshot [0-9a-f]{8} of .* ago\)$" "$WORK/a1.out" || { cat "$WORK/a1.out"; fail "DR point"; }
grep -q "^  DR copy lag:        0s$" "$WORK/a1.out" || { cat "$WORK/a1.out"; fail "copy lag"; }
grep -Eq "^  RPO if lost now:    [0-9]+s \(objective 1h\): met$" "$WORK/a1.out" || { cat "$WORK/a1.out"; fail "RPO line"; }
grep -Eq "^  RTO estimate:       [0-9]+s, the last restore test \(objective 4h\): met$" "$WORK/a1.out" ||
  { cat "$WORK/a1.out"; fail "RTO line"; }
grep -q "^the DR site could take over within the objectives: yes$" "$WORK/a1.out" || fail "verdict yes"
cat >>"$A" <<YAML
  web:
    type: files
    objectives: {rpo: 1h}
    primary: {path: $WORK/site/www}
    dr:      {path: $WORK/dr-site/www}
  uploads:
    type: files
    primary: {path: $WORK/site/uploads}
    dr:      {path: $WORK/dr-site/uploads}
    health:  {command: [test, -d, $WORK/site/uploads]}
YAML
expect_exit 4 lb --json dr assess --plan "$A"
jq -e '(.within_objectives | not) and (.services | length) == 3 and
       (.services[] | select(.service == "web") | .reason | test("RPO .* over the objective"))' "$WORK/last.out" >/dev/null ||
  { cat "$WORK/last.out"; fail "web's RPO over its objective"; }
jq -e '.services[] | select(.service == "uploads") | (.primary_healthy | not) and (.reason == "the DR repository holds no snapshot of it")' \
  "$WORK/last.out" >/dev/null || { cat "$WORK/last.out"; fail "uploads: no DR point"; }
rm -rf "$WORK/d-repo"
expect_exit 4 lb dr assess --plan "$A"
grep -q "^  DR repository:      unreachable: " "$WORK/last.out" || { cat "$WORK/last.out"; fail "a lost DR repository"; }

echo "PASS dr_test"
