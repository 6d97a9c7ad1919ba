#!/usr/bin/env bash
# lifeboat lifecycle against a real S3 server: a one-node Ceph radosgw
# with the storage classes STANDARD_IA and GLACIER added to its placement
# (radosgw refuses transitions to classes it does not have, as AWS would
# refuse unknown ones). apply writes the plan's tiering rule for data/
# packs tagged lifeboat-pack=data only (tree packs share data/) and reads
# it back; show lists it; another tool's rule on the same
# bucket is kept, and one that reaches the index, snapshots or keys is
# warned about (doctor FAILs an expiring one); --dry-run writes nothing;
# bad days and a repository not on S3 are refused with exit 2. The other
# tool, and the judge of what is on the bucket, is boto3 (AWS's SDK). Then, with
# radosgw's lifecycle "day" shortened to seconds (rgw lc debug interval),
# the rule really moves the data packs and `report inventory` sees them in
# STANDARD_IA while tree packs, the index and snapshots stay STANDARD and
# `ls` still works. Not run: AWS itself; Glacier's hours-long thaw; and
# reading a moved data pack back, because radosgw 16.2 on this one-node
# memstore cluster answers NoSuchKey for every moved object, to boto3 as
# to lifeboat (its tail objects go to the class's pool and are not found).
source "$(dirname "$0")/lib.sh"

RGW_LC_DEBUG_INTERVAL=4  # seconds in a lifecycle "day"
start_radosgw
rgw_storage_classes STANDARD_IA GLACIER
REPO=s3:$RGW_ENDPOINT/tiers/prod
make_tree "$WORK/src"
lb -r "$REPO" init -q
lb -r "$REPO" backup -q "$WORK/src"

step "a repository not on S3, a bad day count and a bad subcommand are refused with exit 2"
expect_exit 2 lb -r "$WORK/local" lifecycle show
expect_stderr "is not on S3"
expect_exit 2 lb -r "$REPO" lifecycle apply --ia-after thirty
expect_stderr "--ia-after takes days"
expect_exit 2 lb -r "$REPO" lifecycle apply --ia-after 90 --archive-after 30
expect_stderr "later than --ia-after"
expect_exit 2 lb -r "$REPO" lifecycle frobnicate
expect_stderr "usage: lifeboat lifecycle"

step "show on a bucket without rules says so; doctor warns, with the command as fix"
lb -r "$REPO" lifecycle show >"$WORK/show0.txt"
grep -q "bucket tiers has no lifecycle rules" "$WORK/show0.txt" || { cat "$WORK/show0.txt"; fail "show, no rules"; }
grep -q "lifecycle apply" "$WORK/show0.txt" || fail "show does not say how to apply"
lb -r "$REPO" doctor >"$WORK/d0.txt" || { cat "$WORK/d0.txt"; fail "doctor"; }
grep -A1 "^WARN  .*: s3 lifecycle: not configured" "$WORK/d0.txt" | grep -q "fix: lifeboat lifecycle apply" ||
  { cat "$WORK/d0.txt"; fail "doctor's fix for a missing lifecycle"; }

step "another tool's rule is on the bucket: a logs/ expiry"
cat >"$WORK/theirs.xml" <<'XML'
<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>their-logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>7</Days></Expiration></Rule></LifecycleConfiguration>
XML
s3c put-lifecycle tiers "$WORK/theirs.xml" || fail "PUT of another tool's rule"

step "--dry-run prints the merged configuration and writes nothing"
lb -r "$REPO" lifecycle apply --dry-run >"$WORK/dry.xml"
grep -q "<ID>their-logs</ID>" "$WORK/dry.xml" || { cat "$WORK/dry.xml"; fail "dry-run drops the other rule"; }
grep -q "<And><Prefix>prod/data/</Prefix><Tag><Key>lifeboat-pack</Key><Value>data</Value></Tag></And>" "$WORK/dry.xml" ||
  fail "dry-run's rule is not for prod/data/ packs tagged lifeboat-pack=data"
s3c get-lifecycle tiers >"$WORK/after-dry.xml"
grep -q "lifeboat-tiering" "$WORK/after-dry.xml" && fail "--dry-run wrote the rule"

step "apply writes the plan's tiering for data/ and keeps the other rule"
lb -r "$REPO" lifecycle apply >"$WORK/apply.txt"
grep -q "^applied lifeboat-tiering-prod/data/ (enabled, prefix \"prod/data/\", tag lifeboat-pack=data): STANDARD_IA after 30 days: GLACIER after 90 days$" \
  "$WORK/apply.txt" || { cat "$WORK/apply.txt"; fail "apply's answer"; }
s3c get-lifecycle tiers >"$WORK/rules.xml"
grep -q "<ID>their-logs</ID>" "$WORK/rules.xml" || { cat "$WORK/rules.xml"; fail "the other rule was lost"; }
lb -r "$REPO" lifecycle show >"$WORK/show1.txt"
grep -q '^\* lifeboat-tiering-prod/data/ ' "$WORK/show1.txt" || { cat "$WORK/show1.txt"; fail "show, ours"; }
grep -q '^- their-logs (enabled, prefix "logs/"): expire after 7 days$' "$WORK/show1.txt" || fail "show, theirs"
grep -q "warning" "$WORK/show1.txt" && { cat "$WORK/show1.txt"; fail "a harmless rule was warned about"; }
lb -r "$REPO" doctor >"$WORK/d1.txt" || { cat "$WORK/d1.txt"; fail "doctor after apply"; }
grep -q "^PASS  .*: s3 lifecycle: lifeboat's tiering rule lifeboat-tiering-prod/data/ is enabled" "$WORK/d1.txt" ||
  { cat "$WORK/d1.txt"; fail "doctor does not see the rule"; }

step "apply again with other days replaces ours, does not add a second"
lb -r "$REPO" lifecycle apply --ia-after 45d --no-archive -q
s3c get-lifecycle tiers >"$WORK/rules2.xml"
[[ $(grep -o "<ID>lifeboat-tiering-prod/data/</ID>" "$WORK/rules2.xml" | wc -l) -eq 1 ]] ||
  { cat "$WORK/rules2.xml"; fail "two rules of ours"; }
grep -q "<Days>45</Days>" "$WORK/rules2.xml" || fail "the new days were not written"
grep -q "GLACIER" "$WORK/rules2.xml" && fail "--no-archive kept the archive step"

step "a rule that reaches the whole repository is warned about; an expiring one FAILs doctor"
cat >"$WORK/bad.xml" <<'XML'
<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ID>cold-everything</ID><Filter><Prefix>prod/</Prefix></Filter><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>
XML
s3c put-lifecycle tiers "$WORK/bad.xml" || fail "PUT of a bad rule"
lb -r "$REPO" lifecycle show >"$WORK/show2.txt"
grep -A1 "^- cold-everything" "$WORK/show2.txt" | grep -q "warning: rule cold-everything moves objects under \"prod/\"" ||
  { cat "$WORK/show2.txt"; fail "show does not warn"; }
lb -r "$REPO" doctor >"$WORK/d2.txt" || { cat "$WORK/d2.txt"; fail "a transition rule made doctor fail"; }
grep -q "^WARN  .*: s3 lifecycle: rule cold-everything moves objects" "$WORK/d2.txt" || { cat "$WORK/d2.txt"; fail "doctor"; }
expect_exit 0 lb -r "$REPO" lifecycle apply
grep -q "warning: rule cold-everything .* (kept: it is not lifeboat's)" "$WORK/last.err" || fail "apply does not warn"
sed -e 's/cold-everything/expire-all/' -e 's|<Transition>.*</Transition>|<Expiration><Days>30</Days></Expiration>|' \
  "$WORK/bad.xml" >"$WORK/worse.xml"
s3c put-lifecycle tiers "$WORK/worse.xml" || fail "PUT of an expiring rule"
expect_exit 4 lb -r "$REPO" doctor
grep -q "^FAIL  .*: s3 lifecycle: rule expire-all expires objects under \"prod/\" after 30 days" "$WORK/last.out" ||
  { cat "$WORK/last.out"; fail "doctor does not FAIL an expiring rule"; }
# Tree packs share data/ with data packs: a rule on the prefix alone moves them.
sed -e 's/cold-everything/cold-packs/' -e 's|<Prefix>prod/</Prefix>|<Prefix>prod/data/</Prefix>|' \
  "$WORK/bad.xml" >"$WORK/trees.xml"
s3c put-lifecycle tiers "$WORK/trees.xml" || fail "PUT of a prefix-only rule"
lb -r "$REPO" lifecycle show >"$WORK/show3.txt"
grep -q "warning: rule cold-packs moves tree packs under \"prod/data/\"" "$WORK/show3.txt" ||
  { cat "$WORK/show3.txt"; fail "a rule moving tree packs is not warned about"; }

step "the rule really moves data packs (radosgw's lifecycle day is ${RGW_LC_DEBUG_INTERVAL}s here)"
s3c delete-lifecycle tiers || fail "DELETE lifecycle"
lb -r "$REPO" lifecycle apply -q --ia-after 1 --archive-after 1000
# radosgw runs lifecycle when asked (lc process) and moves what is a "day"
# old; ask until the packs are moved, or give up after 3 minutes.
moved=
for _ in $(seq 1 180); do
  radosgw-admin lc process >/dev/null 2>&1 || true
  lb -r "$REPO" --json report inventory >"$WORK/inv.json" 2>/dev/null || true
  if jq -e '(.storage_classes.STANDARD_IA // 0) > 0' "$WORK/inv.json" >/dev/null 2>&1; then
    moved=1
    break
  fi
  sleep 1
done
[[ -n $moved ]] || { cat "$WORK/inv.json"; tail -20 "$WORK/ceph/log/client.rgw.a.log" >&2; fail "no pack moved"; }
# Nothing but data packs moved: every other file, and every pack tagged
# lifeboat-pack=tree, is still STANDARD.
s3c list tiers prod/ >"$WORK/objects.txt" || fail "listing with boto3"
trees=0 datas=0
while read -r key cls tag; do
  if [[ $key == prod/data/* ]]; then
    case $tag in
      tree) trees=$((trees + 1)); [[ $cls == STANDARD ]] || fail "tree pack $key moved to $cls" ;;
      data) datas=$((datas + 1)) ;;
      *) fail "pack $key has no lifeboat-pack tag" ;;
    esac
  else
    [[ $cls == STANDARD ]] || fail "$key moved to $cls"
  fi
done <"$WORK/objects.txt"
[[ $trees -ge 1 && $datas -ge 1 ]] || { cat "$WORK/objects.txt"; fail "want tree and data packs, got $trees and $datas"; }
grep -q "STANDARD_IA" "$WORK/objects.txt" || fail "no object in STANDARD_IA"
# The tree packs, index and snapshots still read: ls needs nothing else.
lb -r "$REPO" ls latest >"$WORK/ls.txt" || fail "ls after the transition"
grep -q "random-3m.bin" "$WORK/ls.txt" || fail "ls does not list the tree"

echo "lifecycle_test: OK"
