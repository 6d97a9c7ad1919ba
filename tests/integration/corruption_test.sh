#!/usr/bin/env bash
# Damaged repository files: bytes overwritten in, or cut off, a pack, an index
# file, a snapshot, a key and the config. check finds each and names it;
# restore refuses wrong data and restores the rest; the repair paths
# (repair index, forget of a damaged snapshot, backing up again) bring the
# repository back to a state that lifeboat's and restic's checks accept.
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src
mkdir -p "$SRC"
for i in 1 2 3; do random_file "$SRC/big$i.bin" $((6 * 1024 * 1024)) "c$i"; done
for i in $(seq 1 50); do echo "small file $i" >"$SRC/s$i.txt"; done
BASE=$WORK/base
lb -r "$BASE" init >/dev/null
lb -r "$BASE" backup "$SRC" >/dev/null
echo "changed" >>"$SRC/s1.txt"
lb -r "$BASE" backup "$SRC" >/dev/null
echo "second password" >"$WORK/pw2"
lb -r "$BASE" key add --new-password-file "$WORK/pw2" >/dev/null

damage() {  # damage FILE OFFSET: overwrites 8 bytes
  printf 'CORRUPT!' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
fresh() { rm -rf "$WORK/repo" && cp -a "$BASE" "$WORK/repo" && R=$WORK/repo; }
biggest_pack() { find "$R/data" -type f -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2; }
tried=0

step "pack: overwritten bytes"
fresh
pack=$(biggest_pack)
damage "$pack" $(( $(stat -c %s "$pack") / 2 ))  # mid-pack: inside a big file's chunk
tried=$((tried + 1))
lb -r "$R" check >/dev/null || fail "structure check should not need to read pack contents"
expect_exit 4 lb -r "$R" check --read-data
grep -q "$(basename "$pack")" "$WORK/last.out" "$WORK/last.err" || fail "check --read-data did not name the pack"
expect_exit 3 lb -r "$R" restore latest --target "$WORK/r1"
expect_stderr "big"
for i in $(seq 1 50); do cmp -s "$SRC/s$i.txt" "$WORK/r1$SRC/s$i.txt" || fail "undamaged file s$i.txt not restored"; done
for i in 1 2 3; do
  if [[ -f $WORK/r1$SRC/big$i.bin ]]; then cmp -s "$SRC/big$i.bin" "$WORK/r1$SRC/big$i.bin" || fail "wrong data restored for big$i"; fi
done
step "repair: remove the damaged pack, rebuild the index, back up again, forget what cannot heal"
rm "$pack"
lb -r "$R" repair index >/dev/null || fail "repair index"
lb -r "$R" backup "$SRC" >/dev/null   # re-reads the files whose blobs are gone: same ids
lb -r "$R" restore latest --target "$WORK/r1b" >/dev/null || fail "restore after repair"
same_tree "$SRC" "$WORK/r1b$SRC"
# Data that only the lost pack held and the source no longer has (an old
# version of a file, if the pack held one) cannot come back: check names the
# snapshot, the file and the blob, and forgetting that snapshot repairs it.
set +e
"$LIFEBOAT" -r "$R" check --read-data >"$WORK/last.out" 2>"$WORK/last.err"
rc=$?
set -e
if [[ $rc -ne 0 ]]; then
  [[ $rc -eq 4 ]] || fail "check exited $rc"
  grep -q "snapshot [0-9a-f]*: file .*: data blob .* is not in the index" "$WORK/last.out" \
    || { cat "$WORK/last.out"; fail "check did not name the damaged file"; }
  for broken in $(grep -o "snapshot [0-9a-f]*: file" "$WORK/last.out" | cut -d' ' -f2 | tr -d : | sort -u); do
    lb -r "$R" forget "$broken" >/dev/null
  done
fi
lb -r "$R" check --read-data >/dev/null || fail "check after forgetting the snapshot that could not heal"
restic -r "$R" check --read-data >/dev/null 2>&1 || fail "restic check after the repair"

step "pack: cut short"
fresh
pack=$(biggest_pack)
truncate -s -100 "$pack"
tried=$((tried + 1))
expect_exit 4 lb -r "$R" check
grep -q "$(basename "$pack").*size" "$WORK/last.out" || fail "check did not name the short pack"

step "index: overwritten bytes, then repair index"
fresh
idx=$(find "$R/index" -type f | head -n 1)
damage "$idx" 100
tried=$((tried + 1))
expect_exit 4 lb -r "$R" check
grep -q "$(basename "$idx")" "$WORK/last.out" "$WORK/last.err" || fail "check did not name the index file"
lb -r "$R" repair index >/dev/null || fail "repair index"
lb -r "$R" check --read-data >/dev/null || fail "check after repair index"
restic -r "$R" check --read-data >/dev/null 2>&1 || fail "restic check after repair index"
lb -r "$R" restore latest --target "$WORK/r2" >/dev/null
same_tree "$SRC" "$WORK/r2$SRC"

step "index: all index files lost, then repair index"
fresh
rm -f "$R"/index/*
tried=$((tried + 1))
lb -r "$R" repair index >/dev/null || fail "repair index from nothing"
lb -r "$R" check --read-data >/dev/null || fail "check after rebuilding a lost index"

step "snapshot: overwritten bytes and cut short; forget removes it"
for how in overwrite truncate; do
  fresh
  snap=$(find "$R/snapshots" -type f | sort | head -n 1)
  if [[ $how == overwrite ]]; then damage "$snap" 20; else truncate -s 30 "$snap"; fi
  tried=$((tried + 1))
  expect_exit 4 lb -r "$R" check
  grep -q "$(basename "$snap")" "$WORK/last.out" "$WORK/last.err" || fail "check did not name the snapshot ($how)"
  lb -r "$R" forget "$(basename "$snap")" >/dev/null 2>&1 || fail "forget of a damaged snapshot ($how)"
  lb -r "$R" check --read-data >/dev/null || fail "check after forgetting the damaged snapshot ($how)"
  lb -r "$R" restore latest --target "$WORK/r3-$how" >/dev/null  # the other snapshot
  cmp "$SRC/big1.bin" "$WORK/r3-$how$SRC/big1.bin" || fail "restore after forgetting the damaged snapshot"
done

step "key: overwritten bytes; the other key still opens the repository"
fresh
key=$(lb -r "$R" --json key list | jq -r '.[] | select(.current) | .id')
damage "$R/keys/$key" 40
tried=$((tried + 1))
expect_exit 12 lb -r "$R" snapshots
lb -r "$R" --password-file "$WORK/pw2" check --read-data >/dev/null || fail "second key does not open"

step "config: overwritten bytes"
fresh
damage "$R/config" 10
tried=$((tried + 1))
set +e
"$LIFEBOAT" -r "$R" snapshots >"$WORK/last.out" 2>"$WORK/last.err"
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "a damaged config went unnoticed"
expect_stderr "config"
step "hostile files: zstd bombs, huge declared sizes and absurd scrypt parameters are damage, not a crash"
# Each would make an unbounded reader allocate gigabytes (restic 0.14 runs
# out of memory on them); lifeboat names the file and the cause, exit 4.
: "${HOSTILE_REPO:?set HOSTILE_REPO to the hostile_repo binary}"
for kind in snapshot-expands snapshot-declares index-expands tree-declares; do
  fresh
  name=$("$HOSTILE_REPO" "$R" "$kind")
  tried=$((tried + 1))
  case $kind in
    snapshot-*) cmds=(check "check --read-data" snapshots) ;;
    *) cmds=(check "check --read-data" "ls latest" "restore latest --target $WORK/r-hostile") ;;
  esac
  for cmd in "${cmds[@]}"; do
    # shellcheck disable=SC2086
    expect_exit 4 lb -r "$R" $cmd
    cat "$WORK/last.out" "$WORK/last.err" >"$WORK/last.both"
    ! grep -q "bad_alloc\|terminate\|AddressSanitizer" "$WORK/last.both" || fail "$kind: $cmd crashed"
    [[ $kind == snapshot-* ]] && want="snapshot $name" || want="index [0-9a-f]\{64\}"
    grep -q "$want" "$WORK/last.both" || { cat "$WORK/last.both"; fail "$kind: $cmd did not name the file"; }
    grep -q "allowed" "$WORK/last.both" || { cat "$WORK/last.both"; fail "$kind: $cmd did not give the bound as the cause"; }
  done
done
fresh
rm "$R"/keys/*
name=$("$HOSTILE_REPO" "$BASE" key-scrypt)
cp "$BASE/keys/$name" "$R/keys/" && rm "$BASE/keys/$name"
tried=$((tried + 1))
expect_exit 4 lb -r "$R" snapshots
expect_stderr "key $name.*128.00 GiB of memory, more than the 1.00 GiB allowed"
fresh
"$HOSTILE_REPO" "$R" key-scrypt >/dev/null
lb -r "$R" check >/dev/null || fail "a hostile key beside a good one stopped the good one"
echo "not the password" >"$WORK/wrong-pw"
expect_exit 12 lb -r "$R" --password-file "$WORK/wrong-pw" snapshots
expect_stderr "wrong password.*key .*128.00 GiB"

step "a full disk mid-backup (ENOSPC): exit 14, one line, nothing reported saved, repository valid"
fresh
echo "new data" >"$SRC/new.txt"
random_file "$SRC/big4.bin" $((6 * 1024 * 1024)) c4
before=$(lb -r "$R" --json snapshots | jq length)
expect_exit 14 env LIFEBOAT_TEST_FAULTS=nospace_after=1 "$LIFEBOAT" -r "$R" backup "$SRC"
expect_stderr "No space left on device"
[[ $(grep -c "^lifeboat:" "$WORK/last.err") -eq 1 ]] || { cat "$WORK/last.err"; fail "not one error line"; }
[[ $(lb -r "$R" --json snapshots | jq length) -eq $before ]] || fail "a snapshot was saved despite the full disk"
[[ -z $(ls "$R/locks") ]] || fail "the failed backup left its lock"
lb -r "$R" check --read-data >/dev/null || fail "check after ENOSPC"
lb -r "$R" backup "$SRC" >/dev/null || fail "backup after the disk has room again"
lb -r "$R" restore latest --target "$WORK/r5" >/dev/null
same_tree "$SRC" "$WORK/r5$SRC"

step "a rename into place that fails (EIO) mid-backup: one clear line, no snapshot, repository valid"
echo "more data" >"$SRC/new2.txt"
random_file "$SRC/big5.bin" $((3 * 1024 * 1024)) c5
faults=0
for n in 0 1 2 3; do
  before=$(lb -r "$R" --json snapshots | jq length)
  expect_exit 1 env LIFEBOAT_TEST_FAULTS=rename_fail_after=$n "$LIFEBOAT" -r "$R" backup "$SRC"
  faults=$((faults + 1))
  expect_stderr "rename into"
  [[ $(grep -c "^lifeboat:" "$WORK/last.err") -eq 1 ]] || { cat "$WORK/last.err"; fail "not one error line"; }
  [[ $(lb -r "$R" --json snapshots | jq length) -eq $before ]] || fail "a snapshot was saved although a rename failed ($n)"
  [[ -z $(ls "$R/tmp") ]] || fail "a failed rename left a temporary file"
  lb -r "$R" check >/dev/null || fail "check after a failed rename ($n)"
done

step "short writes (at most 7 bytes per write call): the backup is whole"
lb -r "$R" unlock >/dev/null
env LIFEBOAT_TEST_FAULTS=max_write=7 "$LIFEBOAT" -r "$R" backup "$SRC" >/dev/null || fail "backup with short writes"
faults=$((faults + 1))
lb -r "$R" check --read-data >/dev/null || fail "check after short writes"
rm -rf "$WORK/r7"
lb -r "$R" restore latest --target "$WORK/r7" >/dev/null
same_tree "$SRC" "$WORK/r7$SRC"

step "read errors (EIO): restore and check fail clearly, nothing changes"
(cd "$R" && find . -type f | sort | xargs md5sum) >"$WORK/sums.before"
expect_exit 1 env LIFEBOAT_TEST_FAULTS=eio_after=3 "$LIFEBOAT" -r "$R" restore latest --target "$WORK/r6"
expect_stderr "Input/output error"
expect_exit 4 env LIFEBOAT_TEST_FAULTS=eio_after=8 "$LIFEBOAT" -r "$R" check --read-data
grep -q "Input/output error" "$WORK/last.out" || fail "check did not report the read error"
# Only the failed check's own record (results/, docs/validation.md) is new.
(cd "$R" && find . -type f ! -path './locks/*' ! -path './results/*' | sort | xargs md5sum) >"$WORK/sums.after"
grep -v "./locks/\|./results/" "$WORK/sums.before" | diff - "$WORK/sums.after" >/dev/null ||
  fail "reads with errors changed the repository"
"$LIFEBOAT" -r "$R" --json verify --history | jq -e 'map(select(.kind == "check"))[-1] | (.passed | not) and (.reason | test("Input/output error"))' >/dev/null ||
  fail "the failed check is not recorded with its cause"

echo "corruptions tried: $tried; local write faults injected: $((faults + 1)) (ENOSPC, 4 failed renames, short writes)"
echo "corruption: ok"
