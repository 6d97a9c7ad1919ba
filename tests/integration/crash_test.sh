#!/usr/bin/env bash
# A backup killed with SIGKILL at any point leaves a repository that passes
# check (lifeboat's and restic's), the next backup completes and reuses what
# the killed one uploaded, and every snapshot restores exactly.
#
# Kill points: before and after every write to the repository (lock, each
# pack, index, snapshot), through the LIFEBOAT_TEST_KILL_AT hook, and once
# from outside, mid-write, with kill -9.
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src
mkdir -p "$SRC/big" "$SRC/small"
for i in 1 2 3 4 5; do random_file "$SRC/big/file$i.bin" $((9 * 1024 * 1024)) "big$i"; done
for i in $(seq 1 200); do echo "config line $i" >"$SRC/small/conf$i.txt"; done

BASE=$WORK/base
lb -r "$BASE" init >/dev/null
# A first snapshot of part of the data, so crashes also hit incremental runs.
lb -r "$BASE" backup "$SRC/small" >/dev/null
full_bytes=$(du -sb "$SRC/big" | cut -f1)

run_point() {  # run_point before|after N -> 0 if the backup was killed
  local mode=$1 n=$2 repo=$WORK/repo-$1-$2
  cp -a "$BASE" "$repo"
  set +e
  LIFEBOAT_TEST_KILL_AT="$mode:$n" "$LIFEBOAT" -r "$repo" -q backup "$SRC" >/dev/null 2>&1 </dev/null
  local rc=$?
  set -e
  if [[ $rc -eq 0 ]]; then rm -rf "$repo"; return 1; fi
  [[ $rc -eq 137 ]] || fail "backup at $mode:$n exited $rc, expected SIGKILL (137)"
  lb -r "$repo" check >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out"; fail "check failed after kill at $mode:$n"; }
  # restic's check wants an exclusive lock and, unlike lifeboat, does not skip
  # stale locks by itself: "restic unlock" removes the dead backup's lock
  # (and only stale ones).
  restic -r "$repo" unlock >/dev/null 2>&1
  restic -r "$repo" check >"$WORK/rcheck.out" 2>&1 || { cat "$WORK/rcheck.out"; fail "restic check failed after kill at $mode:$n"; }
  lb -r "$repo" --json backup "$SRC" >"$WORK/resume.json" 2>"$WORK/resume.err" || { cat "$WORK/resume.err"; fail "backup after kill at $mode:$n failed"; }
  local added
  added=$(json_field data_added <"$WORK/resume.json")
  echo "$mode:$n killed; next backup added $added bytes (all data: $full_bytes)"
  lb -r "$repo" check --read-data >/dev/null || fail "check --read-data after resumed backup ($mode:$n)"
  for snap in $(lb -r "$repo" --json snapshots | jq -r '.[].id'); do
    rm -rf "$WORK/restore"
    lb -r "$repo" restore "$snap" --target "$WORK/restore" >/dev/null || fail "restore $snap after $mode:$n"
  done
  same_tree "$SRC" "$WORK/restore$SRC"
  echo "$added" >"$WORK/added-$mode-$n"
  rm -rf "$repo"
  return 0
}

points=0
for mode in before after; do
  n=1
  while run_point "$mode" "$n"; do
    points=$((points + 1))
    n=$((n + 1))
    [[ $n -lt 40 ]] || fail "backup never completed: the kill hook is not counting"
  done
done
[[ $points -ge 12 ]] || fail "only $points kill points were reached"
echo "kill points tried: $points"

# Killed after several packs were stored, the next backup must not upload
# them again: it adopts the packs no index names yet.
last_after=$(ls "$WORK"/added-after-* | sort -t- -k3 -n | tail -n 2 | head -n 1)
[[ $(cat "$last_after") -lt $((full_bytes / 4)) ]] \
  || fail "backup after a late kill re-uploaded $(cat "$last_after") bytes"

step "kill -9 from outside while a pack is being written"
repo=$WORK/repo-external
cp -a "$BASE" "$repo"
packs_before=$(find "$repo/data" -type f | wc -l)
"$LIFEBOAT" -r "$repo" -q backup "$SRC" >/dev/null 2>&1 &
pid=$!
# Wait (bounded) for the first new pack: the backup is then mid-way.
for _ in $(seq 1 2000); do
  [[ $(find "$repo/data" -type f | wc -l) -gt $packs_before ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
lb -r "$repo" check >/dev/null || fail "check after external kill"
lb -r "$repo" backup "$SRC" >/dev/null || fail "backup after external kill"
lb -r "$repo" check --read-data >/dev/null || fail "check --read-data after external kill"
lb -r "$repo" restore latest --target "$WORK/restore-ext" >/dev/null
same_tree "$SRC" "$WORK/restore-ext$SRC"
echo "crash: ok"
