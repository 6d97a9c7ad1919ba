#!/usr/bin/env bash
# prune: removes only what no snapshot needs; afterwards lifeboat's and
# restic's check --read-data pass and every remaining snapshot restores
# exactly. Works on restic's repositories and restic's prune works on
# lifeboat's. Killed before and after every write (pack, index, deletion),
# the repository stays valid and a later prune finishes the job.
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src
REPO=$WORK/repo
mkdir -p "$SRC/small" "$SRC/big"
lb -r "$REPO" init >/dev/null

# Five generations: big files come and go, small files change, so packs end
# up fully used, fully unused and partly used.
snapshot_state() { rm -rf "$WORK/state-$1" && cp -a "$SRC" "$WORK/state-$1"; }
for g in 1 2 3 4 5; do
  random_file "$SRC/big/gen$g.bin" $((5 * 1024 * 1024)) "gen$g"
  [[ $g -gt 2 ]] && rm -f "$SRC/big/gen$((g - 2)).bin"
  for i in $(seq 1 300); do
    [[ $((i % g)) -eq 0 ]] && random_file "$SRC/small/f$i" 3000 "small-$g-$i"
  done
  lb -r "$REPO" backup --tag "gen$g" "$SRC" >/dev/null
  snapshot_state "$g"
done

verify_all() {  # verify_all REPO: check --read-data, and every snapshot restores as it was taken
  local repo=$1
  lb -r "$repo" check --read-data >/dev/null || fail "check --read-data failed on $repo"
  for g in 1 2 3 4 5; do
    local id
    id=$(lb -r "$repo" --json snapshots --tag "gen$g" | jq -r '.[0].id // empty')
    [[ -n $id ]] || continue
    rm -rf "$WORK/r"
    lb -r "$repo" restore "$id" --target "$WORK/r" >/dev/null || fail "restore gen$g from $repo"
    same_tree "$WORK/state-$g" "$WORK/r$SRC"
  done
}

step "forget three generations; a dry run changes nothing"
for g in 1 2 3; do
  lb -r "$REPO" forget "$(lb -r "$REPO" --json snapshots --tag "gen$g" | jq -r '.[0].id')" >/dev/null
done
(cd "$REPO" && find . -type f | sort) >"$WORK/files.before"
lb -r "$REPO" --json prune --dry-run >"$WORK/dry.json"
(cd "$REPO" && find . -type f | sort) >"$WORK/files.after"
diff -q "$WORK/files.before" "$WORK/files.after" >/dev/null || fail "a dry run changed the repository"
[[ $(json_field bytes_freed <"$WORK/dry.json") -gt 0 ]] || fail "dry run found nothing to free"
cp -a "$REPO" "$WORK/base"   # for the crash points and restic below

step "prune frees space; checks pass; every remaining snapshot restores"
before=$(du -sb "$REPO" | cut -f1)
lb -r "$REPO" --json prune --max-unused 0 >"$WORK/prune.json"
after=$(du -sb "$REPO" | cut -f1)
echo "repository: $before -> $after bytes; $(jq -c '{packs_delete, packs_repack, bytes_freed, bytes_rewritten}' "$WORK/prune.json")"
[[ $after -lt $((before - 5 * 1024 * 1024)) ]] || fail "prune freed too little ($before -> $after)"
[[ $(json_field packs_repack <"$WORK/prune.json") -gt 0 ]] || fail "no partly used pack was repacked"
verify_all "$REPO"
restic -r "$REPO" check --read-data >"$WORK/restic.out" 2>&1 || { cat "$WORK/restic.out"; fail "restic check after lifeboat's prune"; }
lb -r "$REPO" --json prune --max-unused 0 >"$WORK/prune2.json"
[[ $(json_field packs_delete <"$WORK/prune2.json") -eq 0 && $(json_field packs_repack <"$WORK/prune2.json") -eq 0 ]] \
  || fail "a second prune still found work: $(cat "$WORK/prune2.json")"
[[ $(json_field unused_bytes <"$WORK/prune2.json") -eq 0 ]] || fail "unused data left after --max-unused 0"

step "restic's prune on lifeboat's repository; lifeboat's prune on restic's"
cp -a "$WORK/base" "$WORK/by-restic"
restic -r "$WORK/by-restic" prune >/dev/null 2>&1 || fail "restic prune"
verify_all "$WORK/by-restic"
RR=$WORK/restic-repo
restic -r "$RR" init >/dev/null 2>&1
for g in 1 2; do
  random_file "$WORK/rsrc/file$g" $((3 * 1024 * 1024)) "r$g" 2>/dev/null || { mkdir -p "$WORK/rsrc"; random_file "$WORK/rsrc/file$g" $((3 * 1024 * 1024)) "r$g"; }
  restic -r "$RR" backup "$WORK/rsrc" >/dev/null 2>&1
done
restic -r "$RR" forget --keep-last 1 >/dev/null 2>&1
lb -r "$RR" prune --max-unused 0 >/dev/null || fail "lifeboat prune on restic's repository"
restic -r "$RR" check --read-data >"$WORK/restic2.out" 2>&1 || { cat "$WORK/restic2.out"; fail "restic check after lifeboat's prune of its repo"; }
rm -rf "$WORK/rr" && restic -r "$RR" restore latest --target "$WORK/rr" >/dev/null 2>&1
cmp "$WORK/rsrc/file2" "$WORK/rr$WORK/rsrc/file2" || fail "restic's snapshot damaged by lifeboat's prune"

step "prune killed before and after every write: valid repository, a later prune finishes"
points=0
for mode in before after; do
  for n in $(seq 1 60); do
    R=$WORK/crash-$mode-$n
    cp -a "$WORK/base" "$R"
    set +e
    (LIFEBOAT_TEST_KILL_AT=$mode:$n "$LIFEBOAT" -r "$R" -q prune --max-unused 0 >/dev/null 2>&1 </dev/null) 2>/dev/null
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then rm -rf "$R"; break; fi
    [[ $rc -eq 137 ]] || fail "prune at $mode:$n exited $rc"
    points=$((points + 1))
    lb -r "$R" unlock >/dev/null
    lb -r "$R" check >/dev/null || fail "check after prune killed at $mode:$n"
    for g in 4 5; do
      rm -rf "$WORK/r"
      lb -r "$R" restore "$(lb -r "$R" --json snapshots --tag "gen$g" | jq -r '.[0].id')" --target "$WORK/r" >/dev/null \
        || fail "restore gen$g after prune killed at $mode:$n"
      same_tree "$WORK/state-$g" "$WORK/r$SRC"
    done
    lb -r "$R" prune --max-unused 0 >/dev/null || fail "prune after prune killed at $mode:$n"
    lb -r "$R" check --read-data >/dev/null || fail "check --read-data after finishing the prune ($mode:$n)"
    rm -rf "$R"
  done
done
echo "prune kill points tried: $points"
[[ $points -ge 10 ]] || fail "only $points kill points"

step "bad input"
expect_exit 2 lb -r "$REPO" prune --max-unused lots
expect_exit 2 lb -r "$REPO" prune --max-repack-size 5Q
echo "prune: ok"
