#!/usr/bin/env bash
# The plan's audit reports on a repository with a history: a month of
# daily snapshots of a configuration directory (recorded with --time) with
# a four-day gap, monthly compliance snapshots, a held one; inventory in
# text, CSV, JSON and HTML; compliance finding the gap and a young class;
# cost by storage class, under the lifecycle, and against gzip -9 dumps,
# with a price table of our own. Storage classes other than a local
# repository's are exercised by doctor_test (radosgw).
source "$(dirname "$0")/lib.sh"

echo "$LIFEBOAT_PASSWORD" >"$WORK/pw"
chmod 600 "$WORK/pw"
mkdir -p "$WORK/etc/app" "$WORK/ledger"
for i in $(seq 1 200); do echo "setting_$i = value $i" >>"$WORK/etc/app/settings.conf"; done
random_file "$WORK/ledger/ledger.bin" $((2 * 1024 * 1024)) ledger
lb init -r "$WORK/repo" -q
HOST=$(hostname)
C=$WORK/lifeboat.yml
cat >"$C" <<YAML
state_dir: $WORK/state
repositories:
  primary: {url: $WORK/repo, password_file: $WORK/pw}
retention:
  operational: {keep_within: 30d}
  compliance:  {keep_monthly: 84}
jobs:
  config: {type: config, source: $WORK/etc, repository: primary, schedule: "0 3 * * *", retention: operational}
  ledger: {source: $WORK/ledger, repository: primary, schedule: "@monthly", retention: compliance}
YAML
day() { date -u -d "@$(($(date +%s) - $1 * 86400))" '+%Y-%m-%d %H:%M:%S'; }
step "a month of daily snapshots with a gap (days 12-15 missing), three monthly ones, one held"
for d in $(seq 31 -1 1); do
  ((d >= 12 && d <= 15)) && continue
  echo "change $d" >"$WORK/etc/app/today"
  lb -r "$WORK/repo" backup -q --host "$HOST" --tag operational --time "$(day "$d")" "$WORK/etc"
done
for m in 2 1 0; do
  lb -r "$WORK/repo" backup -q --host "$HOST" --tag compliance --time "$(day $((m * 30 + 1)))" "$WORK/ledger"
done
lb -r "$WORK/repo" backup -q --host "$HOST" --tag compliance,hold --time "$(day 45)" "$WORK/ledger"

step "inventory: every snapshot by source, job, class, size, age and storage; totals per class"
lb report inventory --config "$C" >"$WORK/inv.txt" || { cat "$WORK/inv.txt"; fail "inventory"; }
head -n 3 "$WORK/inv.txt" | head -n 2 | diff - <(printf 'Backup Inventory\n================\n') || fail "inventory title"
n=$(lb -r "$WORK/repo" --json snapshots | jq length)
grep -q "^Snapshots: $n$" "$WORK/inv.txt" || { cat "$WORK/inv.txt"; fail "inventory count"; }
grep -Eq "^[0-9a-f]{8}  .*  files     config        operational .* local        $WORK/etc$" "$WORK/inv.txt" ||
  { cat "$WORK/inv.txt"; fail "an operational row"; }
grep -Eq "^  operational: 27 snapshots, " "$WORK/inv.txt" || { cat "$WORK/inv.txt"; fail "operational total"; }
grep -Eq "^  compliance: 4 snapshots, .*, 1 held$" "$WORK/inv.txt" || { cat "$WORK/inv.txt"; fail "compliance total"; }
lb report inventory --config "$C" --format csv >"$WORK/inv.csv"
[[ $(head -n 1 "$WORK/inv.csv") == "snapshot,time,age_seconds,host,source,kind,job,retention,held,files,size,stored,repository,storage_class" ]] ||
  fail "csv header"
[[ $(($(wc -l <"$WORK/inv.csv") - 1)) -eq $n ]] || fail "csv rows"
lb report inventory --config "$C" --format json | jq -e --argjson n "$n" \
  '(.snapshots | length) == $n and .retention_classes.operational.snapshots == 27 and
   ([.snapshots[] | select(.job == "ledger" and .retention == "compliance")] | length) >= 3 and
   (.snapshots | all(.size > 0 and .stored > 0))' >/dev/null || fail "inventory json"
lb report inventory --config "$C" --format html --output "$WORK/inv.html"
grep -q "<!DOCTYPE html>" "$WORK/inv.html" || fail "inventory html"
grep -Eiq '<(script|link|img)|src=' "$WORK/inv.html" && fail "the inventory page fetches something"
lb -r "$WORK/repo" report inventory >/dev/null || fail "inventory without a config"

step "compliance: the class's period against its oldest snapshot, the gap found, the young class warned"
set +e
lb report compliance --config "$C" >"$WORK/comp.txt"
set -e
grep -q "^operational: FAIL (keep .*within 30d" "$WORK/comp.txt" || { cat "$WORK/comp.txt"; fail "operational verdict"; }
grep -q "  PASS  job config: 30 d 0 h required, oldest 31 d" "$WORK/comp.txt" || { cat "$WORK/comp.txt"; fail "period met"; }
grep -q "  FAIL  job config: a gap of 5 d 0 h between snapshots, longer than its schedule (every 1 day)" "$WORK/comp.txt" ||
  { cat "$WORK/comp.txt"; fail "the gap"; }
grep -q "  WARN  job ledger: 2520 d 0 h required, oldest " "$WORK/comp.txt" || { cat "$WORK/comp.txt"; fail "young class"; }
lb report compliance --config "$C" --format json | jq -e \
  '([.classes[] | select(.class == "operational")][0].result == "FAIL") and (.classes | length) == 2' >/dev/null ||
  fail "compliance json"

step "cost: storage classes, the lifecycle projection, gzip -9 dumps, a price table"
lb report cost --config "$C" >"$WORK/cost.txt" || { cat "$WORK/cost.txt"; fail "cost"; }
grep -q "^  data packs, local " "$WORK/cost.txt" || { cat "$WORK/cost.txt"; fail "storage class line"; }
grep -q "^Under the plan's lifecycle" "$WORK/cost.txt" || fail "lifecycle projection"
grep -q "^  STANDARD_IA \|^  GLACIER " "$WORK/cost.txt" || { cat "$WORK/cost.txt"; fail "old packs not projected colder"; }
grep -q "as dumps, .* here: .*% less" "$WORK/cost.txt" || { cat "$WORK/cost.txt"; fail "no saving against gzip -9"; }
cat >"$WORK/prices.yml" <<'YAML'
STANDARD: {gb_month: 1000}
YAML
lb report cost --config "$C" --prices "$WORK/prices.yml" --format json >"$WORK/cost.json"
jq -e '.usd_month > 1 and .saving_vs_gzip9 > 0.5 and .gzip9_dump_bytes > .stored_bytes' "$WORK/cost.json" >/dev/null ||
  { cat "$WORK/cost.json"; fail "cost json with the price table"; }
echo 'STANDARD: {gb_month: cheap}' >"$WORK/bad.yml"
expect_exit 2 lb report cost --config "$C" --prices "$WORK/bad.yml"
expect_stderr "STANDARD.gb_month: not a number"
expect_exit 2 lb report weekly --config "$C"
expect_stderr "report weekly: not inventory, compliance or cost"
lb -r "$WORK/repo" check >/dev/null || fail "the reports changed the repository"

echo "PASS reports_test"
