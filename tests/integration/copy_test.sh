#!/usr/bin/env bash
# lifeboat copy: snapshots move between repositories (local and S3, each with
# its own password), only missing blobs are sent, a second run copies
# nothing, an interrupted copy resumes, and the copies restore exactly.
source "$(dirname "$0")/lib.sh"

start_s3rver
SRC=$WORK/src
make_tree "$SRC" no
mkdir -p "$SRC/big"
for i in 1 2; do random_file "$SRC/big/f$i.bin" $((4 * 1024 * 1024)) "copy$i"; done

PRIMARY=$WORK/primary
DR=s3:$S3_ENDPOINT/lifeboat-test/dr
lb -r "$PRIMARY" init >/dev/null
lb -r "$PRIMARY" backup --tag daily "$SRC" >/dev/null
echo "second day" >"$SRC/etc/day2.conf"
lb -r "$PRIMARY" backup --tag daily "$SRC" >/dev/null
# The DR repository takes the primary's chunker parameters, so copied data
# and backups made straight to DR (after a failover) deduplicate.
LIFEBOAT_FROM_PASSWORD=$LIFEBOAT_PASSWORD LIFEBOAT_PASSWORD=dr-password \
  lb -r "$DR" init --copy-chunker-params --from-repo "$PRIMARY" >/dev/null
[[ $(lb -r "$PRIMARY" cat config | jq -r .chunker_polynomial) == \
   $(LIFEBOAT_PASSWORD=dr-password lb -r "$DR" cat config | jq -r .chunker_polynomial) ]] || fail "polynomial not copied"

step "copy to the DR repository on S3 (its own password)"
export LIFEBOAT_FROM_PASSWORD=$LIFEBOAT_PASSWORD
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" --json copy --from-repo "$PRIMARY" >"$WORK/c1.json" 2>"$WORK/c1.err"
if grep -q "different chunker" "$WORK/c1.err"; then fail "chunker parameters differ after --copy-chunker-params"; fi
[[ $(json_field snapshots_copied <"$WORK/c1.json") -eq 2 ]] || { cat "$WORK/c1.json"; fail "expected 2 snapshots copied"; }
blobs1=$(json_field blobs_copied <"$WORK/c1.json")
[[ $blobs1 -gt 10 ]] || fail "too few blobs copied: $blobs1"
[[ $(json_field destination_requests <"$WORK/c1.json") -gt 0 ]] || fail "no requests counted"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" check --read-data >/dev/null || fail "DR check"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" restore latest --target "$WORK/r1" >/dev/null
same_tree "$SRC" "$WORK/r1$SRC"

step "after a failover, backing up straight to DR stores no data already copied"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" --json backup --force "$SRC" >"$WORK/direct.json"
[[ $(json_field data_blobs <"$WORK/direct.json") -eq 0 ]] || fail "direct backup to DR stored data the copy had brought"

step "a second run copies nothing"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" --json copy --from-repo "$PRIMARY" >"$WORK/c2.json"
[[ $(json_field snapshots_copied <"$WORK/c2.json") -eq 0 ]] || fail "second copy copied snapshots"
[[ $(json_field snapshots_present <"$WORK/c2.json") -eq 2 ]] || fail "second copy did not see them present"
[[ $(json_field blobs_copied <"$WORK/c2.json") -eq 0 ]] || fail "second copy moved blobs"

step "only new blobs move; an interrupted copy resumes"
random_file "$SRC/big/f3.bin" $((6 * 1024 * 1024)) copy3
lb -r "$PRIMARY" backup --tag daily "$SRC" >/dev/null
set +e
LIFEBOAT_PASSWORD=dr-password LIFEBOAT_TEST_KILL_AT=after:2 "$LIFEBOAT" -r "$DR" -q copy --from-repo "$PRIMARY" \
  >/dev/null 2>&1 </dev/null
rc=$?
set -e
[[ $rc -eq 137 ]] || fail "copy was not killed (exit $rc)"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" check >/dev/null || fail "DR check after the killed copy"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" --json copy --from-repo "$PRIMARY" >"$WORK/c3.json"
[[ $(json_field snapshots_copied <"$WORK/c3.json") -eq 1 ]] || fail "resumed copy did not copy the new snapshot"
bytes3=$(json_field bytes_copied <"$WORK/c3.json")
[[ $bytes3 -lt $((7 * 1024 * 1024)) ]] || fail "resumed copy moved $bytes3 bytes for a 6 MiB change"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" check --read-data >/dev/null || fail "DR check --read-data"
[[ $(LIFEBOAT_PASSWORD=dr-password lb -r "$DR" --json snapshots --tag daily | jq length) -eq 3 ]] || fail "DR should hold 3 copied snapshots"
LIFEBOAT_PASSWORD=dr-password lb -r "$DR" restore latest --target "$WORK/r3" >/dev/null
same_tree "$SRC" "$WORK/r3$SRC"

step "failback: copy from S3 back to a new local repository, filtered; restic reads it"
BACK=$WORK/back
lb -r "$BACK" init >/dev/null
LIFEBOAT_FROM_PASSWORD=dr-password lb -r "$BACK" --json copy --from-repo "$DR" --tag daily latest >"$WORK/c4.json"
[[ $(json_field snapshots_copied <"$WORK/c4.json") -eq 1 ]] || fail "failback copy"
restic -r "$BACK" check --read-data >"$WORK/restic.out" 2>&1 || { cat "$WORK/restic.out"; fail "restic check of the copy"; }
restic -r "$BACK" restore latest --target "$WORK/r4" >/dev/null 2>&1 || fail "restic restore of the copy"
same_tree "$SRC" "$WORK/r4$SRC" nosparse

step "copy killed before and after every write (local to local): valid, resumes, every snapshot restores"
# Three snapshots of the primary; the copy of each state is compared with
# what the primary restores.
ids=$(lb -r "$PRIMARY" --json snapshots | jq -r '.[].id')
for id in $ids; do
  rm -rf "$WORK/p-$id" && lb -r "$PRIMARY" restore "$id" --target "$WORK/p-$id" >/dev/null
done
CBASE=$WORK/copy-base
LIFEBOAT_PASSWORD=dr-password lb -r "$CBASE" init --copy-chunker-params --from-repo "$PRIMARY" >/dev/null
points=0
for mode in before after; do
  for n in $(seq 1 80); do
    C=$WORK/copy-crash
    rm -rf "$C" && cp -a "$CBASE" "$C"
    set +e
    (LIFEBOAT_PASSWORD=dr-password LIFEBOAT_TEST_KILL_AT=$mode:$n "$LIFEBOAT" -r "$C" -q copy --from-repo "$PRIMARY" \
      >/dev/null 2>&1 </dev/null) 2>/dev/null
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then break; fi
    [[ $rc -eq 137 ]] || fail "copy at $mode:$n exited $rc"
    points=$((points + 1))
    LIFEBOAT_PASSWORD=dr-password lb -r "$C" unlock >/dev/null
    lb -r "$PRIMARY" unlock >/dev/null
    LIFEBOAT_PASSWORD=dr-password lb -r "$C" check >/dev/null || fail "check after copy killed at $mode:$n"
    LIFEBOAT_PASSWORD=dr-password lb -r "$C" -q copy --from-repo "$PRIMARY" >/dev/null || fail "copy after copy killed at $mode:$n"
    LIFEBOAT_PASSWORD=dr-password lb -r "$C" check --read-data >/dev/null || fail "check --read-data after finishing the copy ($mode:$n)"
    [[ $(LIFEBOAT_PASSWORD=dr-password lb -r "$C" --json snapshots | jq length) -eq 3 ]] || fail "copy at $mode:$n: not 3 snapshots"
    for id in $ids; do
      copied=$(LIFEBOAT_PASSWORD=dr-password lb -r "$C" --json snapshots | jq -r --arg o "$id" '.[] | select(.original == $o) | .id')
      [[ -n $copied ]] || fail "copy at $mode:$n: snapshot $id missing"
      rm -rf "$WORK/rc" && LIFEBOAT_PASSWORD=dr-password lb -r "$C" restore "$copied" --target "$WORK/rc" >/dev/null
      same_tree "$WORK/p-$id" "$WORK/rc"
    done
  done
done
echo "copy kill points tried: $points"
[[ $points -ge 10 ]] || fail "only $points kill points"

step "bad input"
expect_exit 2 lb -r "$BACK" copy
expect_stderr "from-repo"
expect_exit 2 env -u LIFEBOAT_FROM_PASSWORD "$LIFEBOAT" -r "$BACK" copy --from-repo "$PRIMARY"
expect_stderr "no password for the source"
expect_exit 12 env LIFEBOAT_FROM_PASSWORD=wrong "$LIFEBOAT" -r "$BACK" copy --from-repo "$PRIMARY"
expect_stderr "source"
expect_exit 10 lb -r "$BACK" copy --from-repo "$WORK/nothing-here"
echo "copy: ok"
