#!/usr/bin/env bash
# Interop with restic 0.14 (Debian), the independent judge of our format:
#  - restic checks every byte lifeboat wrote and restores it exactly;
#  - lifeboat lists, checks and restores what restic wrote;
#  - each deduplicates against the other's data (same chunker, same ids).
source "$(dirname "$0")/lib.sh"
command -v restic >/dev/null || fail "restic is not installed (scripts/bootstrap installs it)"
restic version | grep -q 'restic 0.1[4-9]' || fail "need restic >= 0.14 for format v2"

SRC=$WORK/src
# With names that are not UTF-8, backslashes, quotes and control
# characters: restic Go-quotes every name, and so does lifeboat.
make_tree "$SRC"

step "lifeboat writes, restic checks every byte and restores"
LB_REPO=$WORK/lb-repo
lb -r "$LB_REPO" init >/dev/null
lb -r "$LB_REPO" backup "$SRC" >/dev/null
echo "second" >>"$SRC/etc/app/appsettings.json"
lb -r "$LB_REPO" backup --tag second "$SRC" >/dev/null
restic -r "$LB_REPO" check --read-data >"$WORK/restic-check.txt" 2>&1 || { cat "$WORK/restic-check.txt"; fail "restic check failed on lifeboat's repository"; }
grep -q 'no errors were found' "$WORK/restic-check.txt" || fail "restic check did not confirm"
[[ $(restic -r "$LB_REPO" snapshots --json | jq length) -eq 2 ]] || fail "restic sees wrong snapshot count"
restic -r "$LB_REPO" restore latest --target "$WORK/restic-restore" >/dev/null
same_tree "$SRC" "$WORK/restic-restore$SRC" nosparse
restic -r "$LB_REPO" cat config | jq -e '.version == 2' >/dev/null || fail "restic cannot read config"

step "restic writes, lifeboat lists, checks and restores"
R_REPO=$WORK/restic-repo
restic -r "$R_REPO" init >/dev/null
restic -r "$R_REPO" backup "$SRC" >/dev/null
[[ $(lb -r "$R_REPO" --json snapshots | jq length) -eq 1 ]] || fail "lifeboat does not list restic's snapshot"
lb -r "$R_REPO" ls latest | grep -q 'appsettings.json' || fail "lifeboat ls on restic's snapshot"
lb -r "$R_REPO" check --read-data >/dev/null || fail "lifeboat check failed on restic's repository"
lb -r "$R_REPO" restore latest --target "$WORK/lb-restore" --verify >/dev/null
same_tree "$SRC" "$WORK/lb-restore$SRC"
# A repository in format version 1 (uncompressed) reads as well.
R1_REPO=$WORK/restic-repo-v1
restic -r "$R1_REPO" init --repository-version 1 >/dev/null
restic -r "$R1_REPO" backup "$SRC/etc" >/dev/null
lb -r "$R1_REPO" restore latest --target "$WORK/lb-restore-v1" >/dev/null
same_tree "$SRC/etc" "$WORK/lb-restore-v1$SRC/etc"

step "lifeboat backs up into restic's repository, deduplicating against restic's data"
lb -r "$R_REPO" --json backup "$SRC" >"$WORK/into-restic.json"
[[ $(json_field data_blobs <"$WORK/into-restic.json") -eq 0 ]] \
  || fail "lifeboat stored $(json_field data_blobs <"$WORK/into-restic.json") data blobs restic already had"
restic -r "$R_REPO" check --read-data >/dev/null 2>&1 || fail "restic check after lifeboat wrote into its repository"
restic -r "$R_REPO" restore latest --target "$WORK/restic-restore-2" >/dev/null
same_tree "$SRC" "$WORK/restic-restore-2$SRC" nosparse

step "restic backs up into lifeboat's repository, deduplicating against lifeboat's data"
restic -r "$LB_REPO" backup --json "$SRC" | jq -s -e 'map(select(.message_type=="summary")) | .[0].data_blobs == 0' >/dev/null \
  || fail "restic stored data blobs lifeboat already had"
lb -r "$LB_REPO" check --read-data >/dev/null || fail "lifeboat check after restic wrote into its repository"

step "a file bigger than many chunks deduplicates across tools"
mkdir -p "$WORK/big" && random_file "$WORK/big/big.bin" $((40 * 1024 * 1024)) big
restic -r "$R_REPO" backup "$WORK/big" >/dev/null
# --force: otherwise lifeboat takes restic's snapshot as parent and reads nothing.
lb -r "$R_REPO" --json backup --force "$WORK/big" >"$WORK/big.json"
[[ $(json_field data_blobs <"$WORK/big.json") -eq 0 ]] || fail "chunk boundaries differ from restic's on a 40 MiB file"
[[ $(json_field bytes_read <"$WORK/big.json") -ge $((40 * 1024 * 1024)) ]] || fail "big file not read"
echo "restic interop: ok"
