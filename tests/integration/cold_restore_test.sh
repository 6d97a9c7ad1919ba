#!/usr/bin/env bash
# Restores from S3's archive tier (the plan's "Glacier after 90 days").
# S3 is a real radosgw; in front of it, tests/tools/glacier_proxy.js
# gives the data packs a test names what AWS documents for GLACIER
# (GET: 403 InvalidObjectState until restored; HEAD and listings say
# GLACIER; POST ?restore starts a restore whose progress HEAD reports in
# x-amz-restore), because radosgw 16.2 has no RestoreObject for its own
# classes and loses objects it transitions on this cluster (see
# lifecycle_test.sh). Every other request reaches radosgw unchanged, which
# checks each signature. Shown here: a restore of archived data stops at
# once with exit 17 and says how to go on; with --cold-restore-days it asks
# S3 to restore exactly the archived packs the snapshot needs (never tree
# packs, never twice), waits, and restores the tree byte for byte; check
# --read-data and dump do the same; a restore that S3 has not finished
# within s3.cold-restore-max-hours stops with exit 17 and resumes later;
# doctor counts the archived packs. Not run: AWS itself, where a Standard
# restore takes hours (here the proxy finishes after two HEADs).
source "$(dirname "$0")/lib.sh"

start_radosgw
PROXY_PORT=$(free_port)
ARCHIVED=$WORK/archived.txt
: >"$ARCHIVED"
node "$LIFEBOAT_SRC/tests/tools/glacier_proxy.js" "$PROXY_PORT" "${RGW_ENDPOINT#http://}" "$ARCHIVED" 2 \
  >"$WORK/proxy.log" 2>&1 &
CLEANUP_PIDS+=($!)
for _ in $(seq 1 100); do grep -q listening "$WORK/proxy.log" && break; sleep 0.1; done
grep -q listening "$WORK/proxy.log" || { cat "$WORK/proxy.log"; fail "glacier_proxy did not start"; }
REPO=s3:http://127.0.0.1:$PROXY_PORT/cold/prod
FAST=(-o s3.cold-restore-poll-seconds=0.01)  # the proxy's restores finish at once

# archive_data_packs: every data pack on the bucket (tag lifeboat-pack=data,
# seen by boto3 on radosgw itself) is now in GLACIER, as the plan's
# lifecycle rule leaves them; tree packs stay where they are.
archive_data_packs() {
  s3c list cold prod/data/ | awk '$3 == "data" { print "cold/" $1 }' >"$ARCHIVED"
  [[ -s $ARCHIVED ]] || fail "no data pack to archive"
}
restores() { grep -c '^RESTORE ' "$WORK/proxy.log" || true; }

make_tree "$WORK/src"
lb -r "$REPO" init -q
lb -r "$REPO" backup -q "$WORK/src"
archive_data_packs
packs=$(wc -l <"$ARCHIVED")

step "bad --cold-restore-days and --cold-restore-tier are refused with exit 2"
expect_exit 2 lb -r "$REPO" --cold-restore-days 0 restore latest --target "$WORK/r0"
expect_stderr "s3.cold-restore-days: want 1 to 36500 days"
expect_exit 2 lb -r "$REPO" --cold-restore-tier Fast restore latest --target "$WORK/r0"
expect_stderr "want Expedited, Standard or Bulk"

step "what needs only tree packs still works: snapshots, ls"
lb -r "$REPO" ls latest >"$WORK/ls.txt" || fail "ls with archived data packs"
grep -q "random-3m.bin" "$WORK/ls.txt" || fail "ls does not list the tree"

step "restore of archived data stops at once with exit 17, names the packs and the flag"
expect_exit 17 lb -r "$REPO" restore latest --target "$WORK/r1"
expect_stderr "$packs of the [0-9]+ packs to read in an archive tier \(GLACIER or DEEP_ARCHIVE; $packs not readable, first cold/prod/data/"
expect_stderr "give --cold-restore-days N"
[[ $(restores) -eq 0 ]] || fail "a restore was requested without --cold-restore-days"
[[ -z $(find "$WORK/r1" -type f 2>/dev/null) ]] || fail "files were written before the packs were readable"

step "with --cold-restore-days: S3 restores exactly the archived packs, then the tree restores"
lb -r "$REPO" --cold-restore-days 3 "${FAST[@]}" restore latest --target "$WORK/r2" 2>"$WORK/thaw.err" ||
  { cat "$WORK/thaw.err"; fail "restore with --cold-restore-days"; }
same_tree "$WORK/src" "$WORK/r2$WORK/src"
grep -q "S3 is restoring $packs object(s) from the archive tier (Standard tier, copies kept 3 days)" "$WORK/thaw.err" ||
  { cat "$WORK/thaw.err"; fail "no progress line"; }
grep -q "$packs of $packs restored from the archive tier" "$WORK/thaw.err" || fail "no final progress line"
[[ $(restores) -eq $packs ]] || { cat "$WORK/proxy.log"; fail "want $packs restore requests, got $(restores)"; }
grep '^RESTORE ' "$WORK/proxy.log" | awk '{ print $2 }' | sort >"$WORK/asked.txt"
sort "$ARCHIVED" | diff - "$WORK/asked.txt" || fail "the restore requests are not the archived packs"
grep -q '^RESTORE .* Standard 3$' "$WORK/proxy.log" || fail "tier or days not sent"

step "restored copies are read as they are: no second request"
lb -r "$REPO" restore latest --target "$WORK/r3" || fail "restore of restored copies"
same_tree "$WORK/src" "$WORK/r3$WORK/src"
[[ $(restores) -eq $packs ]] || fail "restored packs were asked for again"

step "check --read-data, new archived packs: exit 17, then the Bulk tier (quietly: -q)"
random_file "$WORK/src/data/new-2m.bin" $((2 * 1024 * 1024)) seed-new
lb -r "$REPO" backup -q "$WORK/src"
before=$(restores)
archive_data_packs
expect_exit 17 lb -r "$REPO" check --read-data
expect_stderr "in an archive tier"
lb -r "$REPO" -q --cold-restore-days 1 --cold-restore-tier Bulk "${FAST[@]}" check --read-data >"$WORK/check.out" \
  2>"$WORK/check.err" || { cat "$WORK/check.err"; fail "check --read-data with --cold-restore-days"; }
grep -q "archive tier" "$WORK/check.err" && { cat "$WORK/check.err"; fail "-q printed the archive tier's progress"; }
grep '^RESTORE ' "$WORK/proxy.log" | tail -n +$((before + 1)) >"$WORK/new-restores.txt"
[[ -s $WORK/new-restores.txt ]] || fail "check asked for no restore"
grep -vq ' Bulk 1$' "$WORK/new-restores.txt" && { cat "$WORK/new-restores.txt"; fail "not the Bulk tier"; }
[[ $(wc -l <"$WORK/new-restores.txt") -eq $(($(wc -l <"$ARCHIVED") - packs)) ]] ||
  fail "check asked again for packs already restored"

step "dump reads a pack it was not told about in advance (GET's InvalidObjectState)"
random_file "$WORK/src/data/dumped.bin" $((1024 * 1024)) seed-dump
lb -r "$REPO" backup -q "$WORK/src"
archive_data_packs
expect_exit 17 lb -r "$REPO" dump latest "$WORK/src/data/dumped.bin"
expect_stderr "in an archive tier"
lb -r "$REPO" --cold-restore-days 1 "${FAST[@]}" dump latest "$WORK/src/data/dumped.bin" >"$WORK/dumped.bin" 2>"$WORK/dump.err" ||
  { cat "$WORK/dump.err"; fail "dump with --cold-restore-days"; }
cmp "$WORK/src/data/dumped.bin" "$WORK/dumped.bin" || fail "dump returned other bytes"

step "S3 not done within s3.cold-restore-max-hours: exit 17, and the next run goes on"
random_file "$WORK/src/data/late.bin" $((1024 * 1024)) seed-late
lb -r "$REPO" backup -q "$WORK/src"
archive_data_packs
before=$(restores)
expect_exit 17 lb -r "$REPO" --cold-restore-days 1 "${FAST[@]}" -o s3.cold-restore-max-hours=0.000001 \
  restore latest --target "$WORK/r4"
expect_stderr "still being restored by S3 after .*run again later: the restores go on"
lb -r "$REPO" --cold-restore-days 1 "${FAST[@]}" restore latest --target "$WORK/r5" 2>"$WORK/r5.err" ||
  { cat "$WORK/r5.err"; fail "the second restore"; }
same_tree "$WORK/src" "$WORK/r5$WORK/src"
[[ $(($(restores) - before)) -eq 1 ]] || { cat "$WORK/proxy.log"; fail "the pack under restore was asked for again"; }

step "doctor counts the packs in the archive tier and says how to read them"
lb -r "$REPO" doctor >"$WORK/doctor.txt" || { cat "$WORK/doctor.txt"; fail "doctor"; }
grep -q "^PASS  .*: archive tier: $(wc -l <"$ARCHIVED") of [0-9]* packs (.*) in GLACIER or DEEP_ARCHIVE; restores of them need --cold-restore-days" \
  "$WORK/doctor.txt" || { cat "$WORK/doctor.txt"; fail "doctor's archive-tier line"; }

lb -r "$REPO" check || fail "check after the cold restores"
echo "cold_restore_test: OK"
