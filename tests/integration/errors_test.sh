#!/usr/bin/env bash
# Bad input gets a one-line error naming the object and the cause, a
# documented exit code (docs/exit-codes.md), and nothing is lost.
source "$(dirname "$0")/lib.sh"

one_line() { [[ $(wc -l <"$WORK/last.err") -eq 1 ]] || { cat "$WORK/last.err"; fail "error is not one line"; }; }

REPO=$WORK/repo
SRC=$WORK/src
mkdir -p "$SRC"
random_file "$SRC/a.bin" 1500000 a
echo b >"$SRC/b.txt"
lb -r "$REPO" init >/dev/null

step "usage errors: exit 2"
expect_exit 2 lb -r "$REPO" backup --no-such-flag "$SRC"
expect_stderr 'unknown flag --no-such-flag'
expect_exit 2 env -u LIFEBOAT_REPOSITORY "$LIFEBOAT" snapshots
expect_stderr 'no repository given'
expect_exit 2 lb -r "$REPO" frobnicate
expect_exit 2 lb -r "$REPO" backup
expect_exit 2 lb -r "$REPO" backup --time 'not a time' "$SRC"

step "not a repository: exit 10"
expect_exit 10 lb -r "$WORK/nowhere" snapshots
expect_stderr 'is not a lifeboat or restic repository'
one_line
mkdir "$WORK/empty"
expect_exit 10 lb -r "$WORK/empty" backup "$SRC"

mkdir -p "$WORK/project/config"  # a directory with a config/ folder is no repository
expect_exit 10 lb -r "$WORK/project" snapshots
expect_stderr 'project is not a lifeboat or restic repository \(no config file'
one_line
mkdir -p "$WORK/halfrepo" && echo '{}' >"$WORK/halfrepo/config"
expect_exit 10 lb -r "$WORK/halfrepo" snapshots
expect_stderr 'halfrepo is not a lifeboat or restic repository \(it has a config file but no keys/\)'

step "wrong password: exit 12, and the password is not echoed"
expect_exit 12 env LIFEBOAT_PASSWORD=wrong-secret-xyz "$LIFEBOAT" -r "$REPO" snapshots
expect_stderr 'wrong password'
! grep -q 'wrong-secret-xyz' "$WORK/last.err" || fail "password leaked into the error"
one_line

step "global flags before the command, -vv, snapshots latest, cat snapshot latest, a source URL with no driver"
FREPO=$WORK/flags-repo
lb -r "$FREPO" init >/dev/null
lb --cache-dir "$WORK/cache" --no-cache -r "$FREPO" snapshots >/dev/null || fail "--cache-dir X before the command"
lb -vv -r "$FREPO" snapshots >/dev/null || fail "-vv refused"
lb -qv -r "$FREPO" snapshots >/dev/null || fail "-qv refused"
lb --repo="$FREPO" snapshots >/dev/null || fail "--repo=X before the command"
expect_exit 2 lb --bogus value -r "$FREPO" snapshots
expect_stderr 'unknown global flag --bogus before the command'
expect_exit 2 lb -vx -r "$FREPO" snapshots
lb -r "$FREPO" backup "$SRC" >/dev/null
lb -r "$FREPO" backup "$SRC" >/dev/null
[[ $(lb -r "$FREPO" --json snapshots latest | jq length) -eq 1 ]] || fail "snapshots latest does not list one snapshot"
newest=$(lb -r "$FREPO" --json snapshots | jq -r '.[-1].id')
[[ $(lb -r "$FREPO" --json snapshots latest | jq -r '.[0].id') == "$newest" ]] || fail "snapshots latest is not the newest"
lb -r "$FREPO" snapshots latest | grep -q "^${newest:0:8} " || fail "snapshots latest (text) does not show the newest"
[[ $(lb -r "$FREPO" cat snapshot latest | jq -r .tree) == $(lb -r "$FREPO" --json snapshots | jq -r '.[-1].tree') ]] \
  || fail "cat snapshot latest"
expect_exit 2 lb -r "$FREPO" backup mongodb://db1:27017/app
expect_stderr 'mongodb:// is not a source this lifeboat backs up'
one_line

step "a repository another user owns: what root writes into it stays that user's"
if [[ $(id -u) -eq 0 ]]; then
  OREPO=$WORK/owned/repo
  mkdir -p "$OREPO" && chown nobody:nogroup "$OREPO" && chmod 711 "$WORK" "$WORK/owned"
  lb -r "$OREPO" init >/dev/null
  lb -r "$OREPO" backup "$SRC" >/dev/null
  lb -r "$OREPO" backup "$SRC" >/dev/null
  [[ -z $(find "$OREPO" ! -user nobody) ]] || { find "$OREPO" ! -user nobody | head >&2; fail "root left files nobody cannot own"; }
  runuser -u nobody -- "$LIFEBOAT" -r "$OREPO" forget --keep-last 1 --prune >/dev/null || fail "the owner cannot forget/prune what root wrote"
  runuser -u nobody -- "$LIFEBOAT" -r "$OREPO" check --read-data >/dev/null || fail "check as the owner"
  [[ $(stat -c %a "$OREPO/config") == 400 ]] || fail "config is not private"
  chmod g+r "$OREPO/config"  # restic's switch for group access
  lb -r "$OREPO" backup "$SRC" >/dev/null
  [[ -n $(find "$OREPO/snapshots" -perm 0440) ]] || fail "a group-readable repository got a private snapshot file"
fi

step "init over an existing repository is refused"
expect_exit 1 lb -r "$REPO" init
expect_stderr 'already exists'

step "unknown snapshot: exit 13"
lb -r "$REPO" backup "$SRC/a.bin" >/dev/null
echo c >"$SRC/c.txt"
lb -r "$REPO" backup "$SRC" >/dev/null
expect_exit 13 lb -r "$REPO" restore deadbeef --target "$WORK/x"
expect_stderr 'no snapshot with id "deadbeef"'
expect_exit 13 lb -r "$REPO" ls latest --host nosuchhost
expect_exit 13 lb -r "$REPO" dump latest /no/such/file

step "paths that vanish or cannot be read: exit 3, snapshot saved with the rest"
expect_exit 3 lb -r "$REPO" --json backup "$SRC/b.txt" "$WORK/does-not-exist"
expect_stderr 'does-not-exist'
[[ $(json_field error_count <"$WORK/last.out") -eq 1 ]] || fail "missing path not counted"
lb -r "$REPO" ls latest | grep -q 'b.txt' || fail "snapshot without the readable file"
expect_exit 13 lb -r "$REPO" backup "$WORK/nope1" "$WORK/nope2"
# As an unprivileged user, a file with mode 000 cannot be read.
UREPO=$WORK/urepo
USRC=$WORK/usrc
mkdir -p "$USRC" && echo readable >"$USRC/ok.txt" && echo secret >"$USRC/locked.txt" && chmod 000 "$USRC/locked.txt"
chown -R nobody "$USRC" && chmod 755 "$WORK"
mkdir "$UREPO" && chown nobody "$UREPO"
runuser -u nobody -- env LIFEBOAT_INSECURE_TEST_KDF=1 LIFEBOAT_PASSWORD=pw "$LIFEBOAT" -r "$UREPO" -q init
set +e
runuser -u nobody -- env LIFEBOAT_INSECURE_TEST_KDF=1 LIFEBOAT_PASSWORD=pw "$LIFEBOAT" -r "$UREPO" backup "$USRC" \
  >"$WORK/last.out" 2>"$WORK/last.err"
rc=$?
set -e
[[ $rc -eq 3 ]] || { cat "$WORK/last.err"; fail "unreadable file: expected exit 3, got $rc"; }
expect_stderr 'locked.txt: Permission denied'
LIFEBOAT_PASSWORD=pw lb -r "$UREPO" ls latest | grep -q ok.txt || fail "readable file missing from snapshot"

step "locked repository: exit 11, naming the holder"
mkfifo "$WORK/stdin-fifo"
"$LIFEBOAT" -r "$REPO" -q backup --stdin <"$WORK/stdin-fifo" &
holder=$!
exec 3>"$WORK/stdin-fifo"
for _ in $(seq 1 500); do [[ -n $(ls "$REPO/locks") ]] && break; sleep 0.01; done
[[ -n $(ls "$REPO/locks") ]] || fail "backup did not take its lock"
echo pw2 >"$WORK/pw2"
expect_exit 11 lb -r "$REPO" key passwd --new-password-file "$WORK/pw2"
expect_stderr "is locked: a shared lock .* held by PID $holder"
one_line
echo "streamed" >&3
exec 3>&-
wait "$holder" || fail "the stdin backup holding the lock failed"
[[ -z $(ls "$REPO/locks") ]] || fail "lock left behind after a clean exit"

step "a corrupt pack: check names it and the snapshots; restore saves the rest"
lb -r "$REPO" backup "$SRC" >/dev/null
pack_a=$(find "$REPO/data" -type f -size +1000k | head -n 1)
[[ -n $pack_a ]] || fail "no pack holding a.bin"
cp "$pack_a" "$WORK/pack.bak"
chmod u+w "$pack_a"
# Flip every bit of one byte (writing a fixed 0xff left the pack intact when
# that byte already was 0xff: 1 run in 256).
byte=$(od -An -tu1 -j 500000 -N 1 "$pack_a" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 0xff)))" | dd of="$pack_a" bs=1 seek=500000 conv=notrunc status=none
cmp -s "$pack_a" "$WORK/pack.bak" && fail "the pack was not changed"
expect_exit 0 lb -r "$REPO" check
expect_exit 4 lb -r "$REPO" check --read-data
grep -q "pack $(basename "$pack_a")" "$WORK/last.out" || { cat "$WORK/last.out"; fail "check does not name the pack"; }
grep -q "is affected by the damaged packs" "$WORK/last.out" || fail "check does not name affected snapshots"
expect_exit 3 lb -r "$REPO" restore latest --target "$WORK/r-corrupt"
expect_stderr "cannot restore .*a.bin"
[[ -f "$WORK/r-corrupt$SRC/b.txt" && -f "$WORK/r-corrupt$SRC/c.txt" ]] || fail "intact files not restored"
[[ ! -e "$WORK/r-corrupt$SRC/a.bin" ]] || fail "damaged file left as if complete"
[[ -z $(find "$WORK/r-corrupt" -name '*.partial') ]] || fail "partial file left behind"
expect_exit 4 lb -r "$REPO" dump latest "$SRC/a.bin"
expect_stderr "pack $(basename "$pack_a")"

step "a missing pack: check names it; restore saves the rest"
rm -f "$pack_a"
expect_exit 4 lb -r "$REPO" check
grep -q "pack $(basename "$pack_a"): missing" "$WORK/last.out" || { cat "$WORK/last.out"; fail "missing pack not named"; }
expect_exit 3 lb -r "$REPO" restore latest --target "$WORK/r-missing"
[[ -f "$WORK/r-missing$SRC/b.txt" ]] || fail "intact file not restored with a pack missing"
cp "$WORK/pack.bak" "$pack_a"
lb -r "$REPO" check --read-data >/dev/null || fail "repository not whole after putting the pack back"

step "corrupt index, snapshot and key files are named"
idx=$(ls "$REPO/index" | head -n 1)
cp "$REPO/index/$idx" "$WORK/idx.bak"
chmod u+w "$REPO/index/$idx"
byte=$(od -An -tu1 -j 40 -N 1 "$REPO/index/$idx" | tr -d ' ')
printf "\\x$(printf %02x $((byte ^ 0xff)))" | dd of="$REPO/index/$idx" bs=1 seek=40 conv=notrunc status=none
expect_exit 4 lb -r "$REPO" check
grep -q "index $idx" "$WORK/last.out" || fail "corrupt index not named"
expect_exit 4 lb -r "$REPO" ls latest
expect_stderr "index $idx"
cp "$WORK/idx.bak" "$REPO/index/$idx"
snap=$(ls "$REPO/snapshots" | head -n 1)
cp "$REPO/snapshots/$snap" "$WORK/snap.bak"
chmod u+w "$REPO/snapshots/$snap" && truncate -s 20 "$REPO/snapshots/$snap"
expect_exit 4 lb -r "$REPO" check
grep -q "snapshot $snap" "$WORK/last.out" || fail "corrupt snapshot not named"
cp "$WORK/snap.bak" "$REPO/snapshots/$snap"
key=$(ls "$REPO/keys" | head -n 1)
cp "$REPO/keys/$key" "$WORK/key.bak"
chmod u+w "$REPO/keys/$key" && echo 'not json' >"$REPO/keys/$key"
expect_exit 12 lb -r "$REPO" snapshots
cp "$WORK/key.bak" "$REPO/keys/$key"
lb -r "$REPO" check --read-data >/dev/null || fail "repository not whole after the corruption tests"

step "a full disk: exit 14, and the repository stays valid"
mkdir "$WORK/small"
mount -t tmpfs -o size=3m tmpfs "$WORK/small"
lb -r "$WORK/small/repo" init >/dev/null
random_file "$WORK/big.bin" $((8 * 1024 * 1024)) big
expect_exit 14 lb -r "$WORK/small/repo" backup "$WORK/big.bin"
expect_stderr 'No space left on device'
one_line
[[ -z $(ls "$WORK/small/repo/tmp") ]] || fail "temporary files left on the full disk"
lb -r "$WORK/small/repo" backup "$SRC/b.txt" >/dev/null || fail "small backup after ENOSPC"
lb -r "$WORK/small/repo" check --read-data >/dev/null || fail "check after ENOSPC"
echo "errors: ok"
