#!/usr/bin/env bash
# lifeboat on S3, against s3rver started here on loopback: the storage
# conformance suite, the full round-trip test, backups, restores and checks
# through injected faults, a store that disappears, wrong credentials, a
# missing bucket, kill points, and restic's check of the bucket's objects
# copied out with rclone.
#
# s3rver does not verify signatures (any signature from a known key passes)
# and has no versioning, object lock or SSE: the signer is proven by AWS's
# vectors in src/storage/s3/sigv4_test.cc; docs/s3.md says what was not run.
source "$(dirname "$0")/lib.sh"
: "${STORAGE_CONFORMANCE:?set STORAGE_CONFORMANCE to the storage_conformance_tests binary}"

start_s3rver
BUCKET=s3:$S3_ENDPOINT/lifeboat-test

step "storage conformance suite on S3"
LIFEBOAT_CONFORMANCE_URL=$BUCKET/conformance "$STORAGE_CONFORMANCE" >"$WORK/conformance.out" 2>&1 \
  || { tail -40 "$WORK/conformance.out"; fail "conformance suite failed on S3"; }
grep -E '^\[  PASSED  \]' "$WORK/conformance.out"

step "round-trip test on S3"
LIFEBOAT_TEST_REPO=$BUCKET/roundtrip bash "$(dirname "$0")/roundtrip_test.sh" >"$WORK/roundtrip.out" 2>&1 \
  || { tail -30 "$WORK/roundtrip.out"; fail "round-trip test failed on S3"; }

SRC=$WORK/src
make_tree "$SRC" no
mkdir -p "$SRC/big"
for i in 1 2 3; do random_file "$SRC/big/f$i.bin" $((3 * 1024 * 1024)) "s3big$i"; done

step "backup, restore and check through injected faults (20% of requests)"
REPO=$BUCKET/faults
lb -r "$REPO" init >/dev/null
export LIFEBOAT_RETRY_BASE_MS=1 LIFEBOAT_RETRY_ATTEMPTS=30
LIFEBOAT_TEST_FAULTS=rate=0.2,seed=11 lb -r "$REPO" --json backup "$SRC" >"$WORK/fb.json" \
  || fail "backup through faults failed"
LIFEBOAT_TEST_FAULTS=rate=0.2,seed=12 lb -r "$REPO" restore latest --target "$WORK/fr" >/dev/null \
  || fail "restore through faults failed"
same_tree "$SRC" "$WORK/fr$SRC"
LIFEBOAT_TEST_FAULTS=rate=0.2,seed=13 lb -r "$REPO" check --read-data >/dev/null || fail "check through faults failed"
lb -r "$REPO" check --read-data >/dev/null || fail "check without faults failed"

step "the store disappears mid-backup: clean failure, valid repository"
echo "more data" >"$SRC/etc/new-file.conf"
random_file "$SRC/big/f4.bin" $((2 * 1024 * 1024)) s3big4
expect_exit 16 env LIFEBOAT_TEST_FAULTS=dead_after=12 LIFEBOAT_RETRY_ATTEMPTS=3 "$LIFEBOAT" -r "$REPO" backup "$SRC"
expect_stderr "store is gone.*gave up after 3 attempts"
[[ $(wc -l <"$WORK/last.err") -le 2 ]] || { cat "$WORK/last.err"; fail "more than one error line"; }
lb -r "$REPO" unlock >/dev/null
lb -r "$REPO" check --read-data >/dev/null || fail "check after the store vanished"
lb -r "$REPO" backup "$SRC" >/dev/null || fail "backup after the store came back"

step "a server that is really down: exit 16 after the retries"
stop_s3rver
expect_exit 16 env LIFEBOAT_RETRY_ATTEMPTS=2 "$LIFEBOAT" -r "$REPO" snapshots
expect_stderr "127.0.0.1.*(refused|connect)"
start_s3rver
lb -r "$REPO" check >/dev/null || fail "check after the server came back"
unset LIFEBOAT_RETRY_BASE_MS LIFEBOAT_RETRY_ATTEMPTS

step "wrong credentials, missing bucket, bad options"
expect_exit 15 env AWS_ACCESS_KEY_ID=NOBODY "$LIFEBOAT" -r "$REPO" snapshots
# The first request is a HEAD, whose 403 has no body: the wrong key must
# still be named as such, not as a missing permission.
expect_stderr "rejected the credentials \(HTTP 403 InvalidAccessKeyId"
if grep -q S3RVER "$WORK/last.err"; then fail "a secret reached the error message"; fi
expect_exit 10 lb -r "s3:$S3_ENDPOINT/no-such-bucket/x" snapshots
expect_stderr "bucket no-such-bucket does not exist"
expect_exit 2 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME=$WORK AWS_EC2_METADATA_DISABLED=true \
  "$LIFEBOAT" -r "$REPO" snapshots
expect_stderr "no S3 credentials"
expect_exit 2 lb -r "$REPO" -o s3.sse=des snapshots
expect_stderr "s3.sse"
expect_exit 2 lb -r "$WORK/local-repo" -o s3.region=x init
step "credentials from the shared credentials file and AWS_PROFILE"
mkdir -p "$WORK/home/.aws"
printf '[default]\naws_access_key_id = NOBODY\naws_secret_access_key = x\n[backup]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n' \
  >"$WORK/home/.aws/credentials"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK/home" AWS_PROFILE=backup \
  "$LIFEBOAT" -r "$REPO" snapshots >/dev/null || fail "profile credentials not used"

step "temporary credentials: web identity (STS) and instance metadata (IMDSv2), refreshed before expiry"
# STS and IMDS cannot run here: tests/tools/fake_aws_credentials.js stands in
# for them (S3 is still s3rver). Credentials that expire within 5 minutes
# are fetched again, so with a 60 s lifetime every request fetches anew.
CRED_PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
node "$LIFEBOAT_SRC/tests/tools/fake_aws_credentials.js" "$CRED_PORT" "the-web-token" 60 >"$WORK/creds.log" 2>&1 &
CRED_PID=$!
for _ in $(seq 1 200); do grep -q listening "$WORK/creds.log" && break; sleep 0.05; done
echo "the-web-token" >"$WORK/web-token"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK/nohome" AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" \
  AWS_ROLE_ARN=arn:aws:iam::123456789012:role/backup AWS_ENDPOINT_URL_STS="http://127.0.0.1:$CRED_PORT" \
  "$LIFEBOAT" -r "$REPO" snapshots >/dev/null || { cat "$WORK/creds.log"; fail "web identity credentials"; }
[[ $(grep -c "^POST /$" "$WORK/creds.log") -ge 2 ]] || { cat "$WORK/creds.log"; fail "expiring web identity credentials were not refreshed"; }
echo "wrong-token" >"$WORK/web-token"
expect_exit 15 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK/nohome" \
  AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" AWS_ROLE_ARN=arn:aws:iam::123456789012:role/backup \
  AWS_ENDPOINT_URL_STS="http://127.0.0.1:$CRED_PORT" "$LIFEBOAT" -r "$REPO" snapshots
expect_stderr "AssumeRoleWithWebIdentity.*AccessDenied"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME="$WORK/nohome" \
  AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$CRED_PORT" \
  "$LIFEBOAT" -r "$REPO" snapshots >/dev/null || { cat "$WORK/creds.log"; fail "instance metadata credentials"; }
grep -q "^GET /latest/meta-data/iam/security-credentials/backup-role$" "$WORK/creds.log" || fail "IMDS role not asked"
kill "$CRED_PID" 2>/dev/null || true

step "kill points on S3: before and after every write of a backup; check passes, the next backup completes"
points=0
for mode in before after; do
  for n in $(seq 1 40); do
    R=$BUCKET/crash-$mode-$n
    lb -r "$R" init >/dev/null
    set +e
    (LIFEBOAT_TEST_KILL_AT=$mode:$n "$LIFEBOAT" -r "$R" -q backup "$SRC" >/dev/null 2>&1 </dev/null) 2>/dev/null
    rc=$?
    set -e
    [[ $rc -eq 0 ]] && break  # the backup has fewer writes than n
    [[ $rc -eq 137 ]] || fail "backup at $mode:$n exited $rc"
    points=$((points + 1))
    lb -r "$R" check >/dev/null || fail "check after kill at $mode:$n"
    lb -r "$R" backup "$SRC" >/dev/null || fail "backup after kill at $mode:$n"
    lb -r "$R" check --read-data >/dev/null || fail "check --read-data after kill at $mode:$n"
    rm -rf "$WORK/cr"
    lb -r "$R" restore latest --target "$WORK/cr" >/dev/null
    same_tree "$SRC" "$WORK/cr$SRC"
  done
done
[[ $points -ge 8 ]] || fail "only $points kill points were reached on S3"
echo "kill points on S3: $points"

step "independent check: rclone copies the objects out, restic check --read-data"
# --fast-list: s3rver's delimiter listings miss keys two levels down
# (data/XX/...); the recursive listing is complete.
env -u AWS_CA_BUNDLE rclone copy --s3-provider Other --s3-endpoint "$S3_ENDPOINT" \
  --s3-access-key-id S3RVER --s3-secret-access-key S3RVER --s3-force-path-style --fast-list \
  ":s3:lifeboat-test/faults" "$WORK/copied" 2>"$WORK/rclone.err" || { cat "$WORK/rclone.err"; fail "rclone copy"; }
restic -r "$WORK/copied" check --read-data >"$WORK/restic.out" 2>&1 || { cat "$WORK/restic.out"; fail "restic check of the copied bucket"; }
grep -q "no errors were found" "$WORK/restic.out" || fail "restic check did not say no errors"
[[ $(find "$WORK/copied/data" -type f | wc -l) -ge 2 ]] || fail "rclone copied too few packs"
echo "s3: ok"
