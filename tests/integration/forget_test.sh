#!/usr/bin/env bash
# Retention (forget): on ~50 snapshots spread over two years, two hosts and
# several tags, lifeboat's policies keep exactly the snapshots restic 0.14's
# keep on the same repository (restic judges lifeboat's own repository);
# then removal, hold tags, explicit IDs and bad input.
source "$(dirname "$0")/lib.sh"
export TZ=UTC

SRC=$WORK/src
REPO=$WORK/repo
mkdir -p "$SRC"
lb -r "$REPO" init >/dev/null
i=0
# Times: hourly on the newest day, daily for three weeks, weekly for three
# months, monthly for two years; host a and b; some tagged.
times=()
for h in 23 21 20 18 12 06 01; do times+=("2026-11-20 $h:15:00"); done
for d in $(seq 1 20); do times+=("$(date -u -d "2026-11-20 -$d days" '+%Y-%m-%d 09:30:00')"); done
for w in $(seq 4 13); do times+=("$(date -u -d "2026-11-20 -$w weeks" '+%Y-%m-%d 03:00:00')"); done
for m in $(seq 4 24); do times+=("$(date -u -d "2026-11-15 -$m months" '+%Y-%m-%d 12:00:00')"); done
for t in "${times[@]}"; do
  i=$((i + 1))
  echo "version $i" >"$SRC/file"
  host=a; [[ $((i % 5)) -eq 0 ]] && host=b
  tag=daily; [[ $((i % 7)) -eq 0 ]] && tag=important
  lb -r "$REPO" backup --host "$host" --tag "$tag" --time "$t" "$SRC" >/dev/null
done
total=$(lb -r "$REPO" --json snapshots | jq length)
echo "snapshots: $total"
[[ $total -eq ${#times[@]} ]] || fail "expected ${#times[@]} snapshots"

kept() {  # kept TOOL ARGS...: the sorted ids a dry run keeps
  local tool=$1
  shift
  if [[ $tool == lifeboat ]]; then
    lb -r "$REPO" --json forget --dry-run "$@" | jq -r '[.[].keep[].id] | sort | .[]'
  else
    restic -r "$REPO" --json forget --dry-run "$@" 2>/dev/null | jq -r '[.[].keep[].id] | sort | .[]'
  fi
}

step "the same policies keep the same snapshots as restic 0.14"
policies=(
  "--keep-last 3"
  "--keep-daily 7 --keep-weekly 4 --keep-monthly 6 --keep-yearly 2"
  "--keep-within 30d"
  "--keep-within 1y2m"
  "--keep-hourly 5 --keep-tag important"
  "--keep-within-daily 10d --keep-monthly 3"
  "--keep-within-weekly 2m --keep-within-monthly 1y"
  "--group-by host --keep-last 2"
  "--group-by host,tags --keep-daily 3"
  "--group-by= --keep-weekly 5"
  "--host b --keep-last 1"
)
for p in "${policies[@]}"; do
  # shellcheck disable=SC2086
  kept lifeboat $p >"$WORK/lb.keep"
  # shellcheck disable=SC2086
  kept restic $p >"$WORK/restic.keep"
  [[ -s $WORK/restic.keep ]] || fail "restic kept nothing for: $p"
  diff "$WORK/lb.keep" "$WORK/restic.keep" >/dev/null || {
    diff "$WORK/lb.keep" "$WORK/restic.keep" >&2
    fail "policy $p: lifeboat keeps $(wc -l <"$WORK/lb.keep"), restic $(wc -l <"$WORK/restic.keep")"
  }
  echo "  $p: both keep $(wc -l <"$WORK/lb.keep")"
done

step "a dry run says why each snapshot stays and changes nothing"
lb -r "$REPO" forget --dry-run --keep-daily 3 --keep-monthly 2 >"$WORK/dry.txt"
grep -q "daily snapshot" "$WORK/dry.txt" || fail "no reasons in the dry run"
grep -q "would remove" "$WORK/dry.txt" || fail "dry run does not say what would go"
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq $total ]] || fail "a dry run removed snapshots"

step "hold: a snapshot tagged hold is never removed"
echo "held" >"$SRC/file"
lb -r "$REPO" backup --host a --tag hold --time "2020-01-01 00:00:00" "$SRC" >/dev/null
held=$(lb -r "$REPO" --json snapshots --tag hold | jq -r '.[0].id')
expect_exit 2 lb -r "$REPO" forget "${held:0:8}"
expect_stderr "tagged \"hold\""

step "forget removes what the policy does not keep; the rest restores; check passes"
want=$(kept lifeboat --keep-daily 7 --keep-monthly 12 | wc -l)
lb -r "$REPO" forget --keep-daily 7 --keep-monthly 12 >/dev/null
left=$(lb -r "$REPO" --json snapshots | jq length)
[[ $left -eq $want ]] || fail "expected $want snapshots left, found $left"
lb -r "$REPO" --json snapshots | jq -e --arg h "$held" 'map(.id) | index($h) != null' >/dev/null || fail "held snapshot removed"
lb -r "$REPO" check >/dev/null || fail "check after forget"
restic -r "$REPO" check >/dev/null 2>&1 || fail "restic check after forget"
lb -r "$REPO" restore latest --host a --target "$WORK/r" >/dev/null
first=$(lb -r "$REPO" --json snapshots | jq -r '[.[] | select((.tags // []) | index("hold") | not)][0].id')
lb -r "$REPO" forget "${first:0:8}" >/dev/null
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq $((left - 1)) ]] || fail "forget by ID"

step "forget killed before and after every write: valid repository, the next run finishes"
cp -a "$REPO" "$WORK/forget-base"
want_left=$(lb -r "$REPO" --json forget --dry-run --keep-last 2 | jq '[.[].keep[]] | length')
fpoints=0
for mode in before after; do
  for k in $(seq 1 40); do
    F=$WORK/forget-$mode-$k
    cp -a "$WORK/forget-base" "$F"
    set +e
    (LIFEBOAT_TEST_KILL_AT=$mode:$k "$LIFEBOAT" -r "$F" -q forget --keep-last 2 >/dev/null 2>&1 </dev/null) 2>/dev/null
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then rm -rf "$F"; break; fi
    [[ $rc -eq 137 ]] || fail "forget at $mode:$k exited $rc"
    fpoints=$((fpoints + 1))
    lb -r "$F" unlock >/dev/null
    lb -r "$F" check >/dev/null || fail "check after forget killed at $mode:$k"
    lb -r "$F" forget --keep-last 2 >/dev/null || fail "forget after forget killed at $mode:$k"
    [[ $(lb -r "$F" --json snapshots | jq length) -eq $want_left ]] || fail "wrong snapshots left after $mode:$k"
    rm -rf "$F"
  done
done
echo "forget kill points tried: $fpoints"
[[ $fpoints -ge 6 ]] || fail "only $fpoints forget kill points"

step "named policies from a file, each applied to its tag (the plan's classes)"
P=$WORK/policy-repo
lb -r "$P" init >/dev/null
n=0
add() {  # add TAG TIME
  n=$((n + 1))
  echo "$1 $n" >"$SRC/file"
  lb -r "$P" backup --host db1 --tag "$1" --time "$2" "$SRC" >/dev/null
}
for d in $(seq 0 9); do add cache "$(date -u -d "2026-11-20 -$d days" '+%Y-%m-%d 04:00:00')"; done
for d in $(seq 0 34); do add operational "$(date -u -d "2026-11-20 -$d days" '+%Y-%m-%d 02:00:00')"; done
for m in $(seq 0 89); do add compliance "$(date -u -d "2026-11-01 -$m months" '+%Y-%m-%d 01:00:00')"; done
add adhoc "2026-01-01 00:00:00"
cat >"$WORK/policies.yaml" <<'YAML'
# The plan's retention classes.
operational: {within: 30d}
cache: {within: 7d}
dr: {within: 90d}
compliance: {monthly: 84}
YAML
lb -r "$P" --json forget --dry-run --policy-file "$WORK/policies.yaml" >"$WORK/pol.json"
kept_of() { jq --arg p "$1" '[.[] | select(.policy == $p) | .keep[]] | length' "$WORK/pol.json"; }
[[ $(kept_of cache) -eq 7 ]] || fail "cache: kept $(kept_of cache), want 7"
[[ $(kept_of operational) -eq 30 ]] || fail "operational: kept $(kept_of operational), want 30"
[[ $(kept_of compliance) -eq 84 ]] || fail "compliance: kept $(kept_of compliance), want 84"
# The same as restic's flags, class by class.
for c in "cache --keep-within 7d" "operational --keep-within 30d" "compliance --keep-monthly 84"; do
  set -- $c
  want=$(restic -r "$P" --json forget --dry-run --tag "$1" "${@:2}" 2>/dev/null | jq '[.[].keep[]] | length')
  [[ $(kept_of "$1") -eq $want ]] || fail "$1: lifeboat keeps $(kept_of "$1"), restic $want"
done
lb -r "$P" forget --policy-file "$WORK/policies.yaml" >"$WORK/pol.txt"
grep -q "1 snapshot(s) carry no policy's tag and stay" "$WORK/pol.txt" || fail "untagged snapshot not reported"
[[ $(lb -r "$P" --json snapshots | jq length) -eq $((7 + 30 + 84 + 1)) ]] || fail "wrong number of snapshots left"
printf 'cache: {within: 7x}\n' >"$WORK/bad.yaml"
expect_exit 2 lb -r "$P" forget --policy-file "$WORK/bad.yaml"
expect_stderr "policy \"cache\": within"
printf 'cache: {within: 7d, colour: red}\n' >"$WORK/bad.yaml"
expect_exit 2 lb -r "$P" forget --policy-file "$WORK/bad.yaml"
expect_stderr "unknown rule \"colour\""
expect_exit 2 lb -r "$P" forget --policy-file "$WORK/policies.yaml" --keep-last 1

step "bad input"
expect_exit 2 lb -r "$REPO" forget
expect_stderr "give a policy"
expect_exit 2 lb -r "$REPO" forget --keep-within 3x
expect_stderr "unit 'x'"
expect_exit 2 lb -r "$REPO" forget --keep-daily many
expect_exit 2 lb -r "$REPO" forget --group-by color --keep-last 1
expect_exit 13 lb -r "$REPO" forget deadbeef
echo "forget: ok"
