#!/usr/bin/env bash
# Backup and restore of a tree with every metadata case, incremental backups,
# includes/excludes, stdin, dump, ls, stats, keys and snapshot selection.
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src
# LIFEBOAT_TEST_REPO runs the same test on another backend (s3_test.sh).
REPO=${LIFEBOAT_TEST_REPO:-$WORK/repo}
make_tree "$SRC"

step "init and first backup"
lb -r "$REPO" init >/dev/null
lb -r "$REPO" --json backup "$SRC" >"$WORK/b1.json"
[[ $(json_field files_new <"$WORK/b1.json") -ge 15 ]] || fail "first backup saw too few files"
[[ $(json_field error_count <"$WORK/b1.json") -eq 0 ]] || fail "first backup had errors"

step "restore reproduces the tree exactly"
lb -r "$REPO" restore latest --target "$WORK/r1" --verify >/dev/null
same_tree "$SRC" "$WORK/r1$SRC"
[[ -p "$WORK/r1$SRC/data/fifo" ]] || fail "fifo not restored"
[[ -c "$WORK/r1$SRC/data/null-device" ]] || fail "char device not restored"
grep -q 'sparse' "$WORK/manifest.b" || fail "sparse file restored without holes"

step "second backup reads nothing unchanged"
lb -r "$REPO" --json backup "$SRC" >"$WORK/b2.json"
[[ $(json_field files_new <"$WORK/b2.json") -eq 0 ]] || fail "unchanged files counted as new"
[[ $(json_field files_changed <"$WORK/b2.json") -eq 0 ]] || fail "unchanged files counted as changed"
[[ $(json_field bytes_read <"$WORK/b2.json") -eq 0 ]] || fail "unchanged files were read again"
[[ $(json_field data_blobs <"$WORK/b2.json") -eq 0 ]] || fail "unchanged backup stored data"
[[ $(json_field parent <"$WORK/b2.json") == $(json_field snapshot_id <"$WORK/b1.json") ]] || fail "parent not used"

step "a change is read, the rest is not"
echo "appended line" >>"$SRC/etc/app/appsettings.json"
random_file "$SRC/data/new-file.bin" 100000 seed9
lb -r "$REPO" --json backup "$SRC" >"$WORK/b3.json"
[[ $(json_field files_changed <"$WORK/b3.json") -eq 1 ]] || fail "expected one changed file"
[[ $(json_field files_new <"$WORK/b3.json") -eq 1 ]] || fail "expected one new file"
read3=$(json_field bytes_read <"$WORK/b3.json")
[[ $read3 -lt 200000 ]] || fail "read $read3 bytes for a small change"
lb -r "$REPO" restore latest --target "$WORK/r3" >/dev/null
same_tree "$SRC" "$WORK/r3$SRC"

step "--force reads everything but stores no new data"
lb -r "$REPO" --json backup --force "$SRC" >"$WORK/b4.json"
[[ $(json_field bytes_read <"$WORK/b4.json") -gt 5000000 ]] || fail "--force did not read the files"
[[ $(json_field data_blobs <"$WORK/b4.json") -eq 0 ]] || fail "identical data stored twice"

step "restore --include a sub-path, --exclude a pattern"
lb -r "$REPO" restore latest --target "$WORK/r4" --include "$SRC/etc" >/dev/null
[[ -f "$WORK/r4$SRC/etc/app/appsettings.json" ]] || fail "included file missing"
[[ ! -e "$WORK/r4$SRC/data" ]] || fail "not-included directory restored"
lb -r "$REPO" restore latest --target "$WORK/r5" --exclude '*.bin' >/dev/null
[[ ! -e "$WORK/r5$SRC/data/random-3m.bin" ]] || fail "excluded file restored"
[[ -f "$WORK/r5$SRC/data/log.txt" ]] || fail "file missing after exclude"

step "backup --exclude and --exclude-file"
printf '# comment\n*.img\n' >"$WORK/excludes"
lb -r "$REPO" backup --exclude '*.bin' --exclude-file "$WORK/excludes" --tag excl "$SRC" >/dev/null
lb -r "$REPO" ls latest --tag excl >"$WORK/ls.txt"
grep -q 'log.txt' "$WORK/ls.txt" || fail "ls misses log.txt"
! grep -q 'random-3m.bin' "$WORK/ls.txt" || fail "excluded *.bin was backed up"
! grep -q 'sparse.img' "$WORK/ls.txt" || fail "exclude-file pattern ignored"

step "relative paths, several paths, one-file-system"
(cd "$SRC" && lb -r "$REPO" --json backup --tag rel etc deep/a >"$WORK/b5.json")
lb -r "$REPO" ls latest --tag rel >"$WORK/ls-rel.txt"
grep -qx '/etc/app/appsettings.json' "$WORK/ls-rel.txt" || fail "relative path not kept relative"
grep -qx '/deep/a/b/c/d/e/f/g/leaf.txt' "$WORK/ls-rel.txt" || fail "second path missing"
mkdir -p "$WORK/fs/mnt"
echo outer >"$WORK/fs/outer.txt"
mount -t tmpfs -o size=1m tmpfs "$WORK/fs/mnt"
echo inner >"$WORK/fs/mnt/inner.txt"
lb -r "$REPO" backup -x --tag onefs "$WORK/fs" >/dev/null
umount "$WORK/fs/mnt"
lb -r "$REPO" ls latest --tag onefs >"$WORK/ls-fs.txt"
grep -q 'outer.txt' "$WORK/ls-fs.txt" || fail "one-file-system lost a file"
grep -q '/fs/mnt$' "$WORK/ls-fs.txt" || fail "mount point itself should be kept"
! grep -q 'inner.txt' "$WORK/ls-fs.txt" || fail "one-file-system crossed into a mount"

step "stdin backup and dump"
random_file "$WORK/stream.bin" 3000000 stream
lb -r "$REPO" backup --stdin --stdin-filename db.dump --tag stream <"$WORK/stream.bin" >/dev/null
lb -r "$REPO" dump latest /db.dump --tag stream >"$WORK/dumped.bin"
cmp "$WORK/stream.bin" "$WORK/dumped.bin" || fail "dump of stdin backup differs"
lb -r "$REPO" dump "$(json_field snapshot_id <"$WORK/b4.json")" "$SRC/data/random-3m.bin" >"$WORK/dumped-file"
cmp "$SRC/data/random-3m.bin" "$WORK/dumped-file" || fail "dump of a file differs"

step "snapshots, filters, ls -l, stats, cat"
lb -r "$REPO" --json snapshots >"$WORK/snaps.json"
[[ $(jq length "$WORK/snaps.json") -eq 8 ]] || fail "expected 8 snapshots"
[[ $(lb -r "$REPO" --json snapshots --tag stream | jq length) -eq 1 ]] || fail "tag filter"
[[ $(lb -r "$REPO" --json snapshots --host no-such-host | jq length) -eq 0 ]] || fail "host filter"
lb -r "$REPO" ls -l latest --path "$SRC" | grep -q -- '-rwsr-xr-x' || fail "ls -l mode of setuid file"
lb -r "$REPO" --json stats "$(json_field snapshot_id <"$WORK/b4.json")" | jq -e '.total_file_count >= 15' >/dev/null || fail "stats"
lb -r "$REPO" --json stats --mode raw-data | jq -e '.compression_ratio > 1' >/dev/null || fail "raw-data stats"
lb -r "$REPO" cat config | jq -e '.version == 2' >/dev/null || fail "cat config"
first=$(jq -r '.[0].id' "$WORK/snaps.json")
lb -r "$REPO" cat snapshot "${first:0:8}" | jq -e '.tree' >/dev/null || fail "cat snapshot by prefix"

step "keys: add, list, use, passwd, remove"
echo second-password >"$WORK/pw2"
lb -r "$REPO" key add --new-password-file "$WORK/pw2" >/dev/null
[[ $(lb -r "$REPO" --json key list | jq length) -eq 2 ]] || fail "two keys expected"
LIFEBOAT_PASSWORD=second-password lb -r "$REPO" snapshots >/dev/null || fail "second password does not open"
second=$(LIFEBOAT_PASSWORD=second-password lb -r "$REPO" --json key list | jq -r '.[] | select(.current) | .id')
expect_exit 2 lb -r "$REPO" key remove "$second" --password-file "$WORK/pw2"
expect_stderr 'key in use'
lb -r "$REPO" key remove "${second:0:8}" >/dev/null
expect_exit 12 env LIFEBOAT_PASSWORD=second-password "$LIFEBOAT" -r "$REPO" snapshots
echo third-password >"$WORK/pw3"
lb -r "$REPO" key passwd --new-password-file "$WORK/pw3" >/dev/null
expect_exit 12 lb -r "$REPO" snapshots
lb -r "$REPO" --password-file "$WORK/pw3" snapshots >/dev/null || fail "new password does not open"
LIFEBOAT_PASSWORD_COMMAND="cat $WORK/pw3" env -u LIFEBOAT_PASSWORD "$LIFEBOAT" -r "$REPO" snapshots >/dev/null \
  || fail "LIFEBOAT_PASSWORD_COMMAND"
LIFEBOAT_PASSWORD_FILE=$WORK/pw3 LIFEBOAT_REPOSITORY=$REPO env -u LIFEBOAT_PASSWORD "$LIFEBOAT" snapshots >/dev/null \
  || fail "LIFEBOAT_PASSWORD_FILE with LIFEBOAT_REPOSITORY"

step "backup --compression off, auto, max and a wrong mode"
# Text (lifeboat's own sources): zstd's higher levels do shrink it, which
# they do not for every input (seq's output comes out larger at 19 than at 3).
cat "$LIFEBOAT_SRC"/src/*/*.cc "$LIFEBOAT_SRC"/src/*/*/*.cc "$LIFEBOAT_SRC"/docs/*.md >"$WORK/text.txt"
size=$(stat -c %s "$WORK/text.txt")
for mode in off auto max; do
  lb -r "$WORK/c-$mode" init >/dev/null
  lb -r "$WORK/c-$mode" --json backup --stdin --stdin-filename text.txt --compression "$mode" \
    <"$WORK/text.txt" >"$WORK/c-$mode.json"
  lb -r "$WORK/c-$mode" dump latest /text.txt | cmp - "$WORK/text.txt" || fail "--compression $mode: dump differs"
  lb -r "$WORK/c-$mode" check --read-data >/dev/null || fail "--compression $mode: check failed"
done
[[ $(json_field data_added <"$WORK/c-off.json") -gt $size ]] || fail "--compression off compressed"
[[ $(json_field data_added <"$WORK/c-auto.json") -lt $((size / 2)) ]] || fail "--compression auto did not compress"
[[ $(json_field data_added <"$WORK/c-max.json") -le $(json_field data_added <"$WORK/c-auto.json") ]] ||
  fail "--compression max stored more than auto"
expect_exit 2 lb -r "$WORK/c-off" backup --stdin --compression fast
expect_stderr '--compression: "fast" is not auto, off, max or a zstd level 1-19'

step "the whole repository is intact"
lb -r "$REPO" --password-file "$WORK/pw3" check --read-data >/dev/null
echo "roundtrip: ok"
