#!/usr/bin/env bash
# Several backups into one repository at once, and forget/prune waiting its
# turn (--retry-lock) behind a running backup: every snapshot restores, and
# check --read-data passes (lifeboat's and restic's).
source "$(dirname "$0")/lib.sh"

REPO=$WORK/repo
lb -r "$REPO" init >/dev/null
for c in 1 2 3 4; do
  mkdir -p "$WORK/src$c/shared"
  random_file "$WORK/src$c/own.bin" $((3 * 1024 * 1024)) "own$c"
  random_file "$WORK/src$c/shared/common.bin" $((2 * 1024 * 1024)) common  # the same bytes in all four
  echo "client $c" >"$WORK/src$c/id.txt"
done

step "four backups at the same time"
pids=()
for c in 1 2 3 4; do
  "$LIFEBOAT" -r "$REPO" -q backup --host "client$c" "$WORK/src$c" >"$WORK/b$c.out" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent backup failed: $(cat "$WORK"/b*.out)"; done
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq 4 ]] || fail "expected 4 snapshots"
lb -r "$REPO" check --read-data >/dev/null || fail "check after concurrent backups"
for c in 1 2 3 4; do
  rm -rf "$WORK/r" && lb -r "$REPO" restore latest --host "client$c" --target "$WORK/r" >/dev/null
  same_tree "$WORK/src$c" "$WORK/r$WORK/src$c"
done

step "forget --prune waits for a running backup (--retry-lock), then runs"
# A backup from a pipe holds its lock until the pipe closes: the test decides
# when it ends, no timing involved.
mkfifo "$WORK/pipe"
"$LIFEBOAT" -r "$REPO" -q backup --host streamer --stdin --stdin-filename stream.bin <"$WORK/pipe" >"$WORK/stream.out" 2>&1 &
stream_pid=$!
exec 3>"$WORK/pipe"
head -c 1000000 /dev/urandom >&3
for _ in $(seq 1 400); do [[ -n $(ls "$REPO/locks" 2>/dev/null) ]] && break; sleep 0.05; done
[[ -n $(ls "$REPO/locks") ]] || fail "the streaming backup took no lock"
expect_exit 11 lb -r "$REPO" forget --keep-last 1 --host client1
expect_stderr "is locked"
"$LIFEBOAT" -r "$REPO" forget --group-by host --keep-last 1 --prune --retry-lock 5m >"$WORK/forget.out" 2>"$WORK/forget.err" 3>&- &
forget_pid=$!
for _ in $(seq 1 400); do grep -q "waiting up to" "$WORK/forget.err" && break; sleep 0.05; done
grep -q "waiting up to" "$WORK/forget.err" || { cat "$WORK/forget.err"; fail "forget did not wait for the lock"; }
kill -0 "$forget_pid" || fail "forget ended while the backup still held its lock"
head -c 500000 /dev/urandom >&3
exec 3>&-
wait "$stream_pid" || fail "the streaming backup failed: $(cat "$WORK/stream.out")"
wait "$forget_pid" || fail "forget --prune failed after waiting: $(cat "$WORK/forget.err")"
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq 5 ]] || fail "expected one snapshot per host"
lb -r "$REPO" check --read-data >/dev/null || fail "check after forget --prune"
restic -r "$REPO" check --read-data >/dev/null 2>&1 || fail "restic check after forget --prune"
lb -r "$REPO" dump latest /stream.bin --host streamer | wc -c | grep -qx 1500000 || fail "streamed snapshot"
step "SIGTERM and SIGHUP: the lock is removed, one line says so, the repository checks clean"
for sig in TERM HUP; do
  rm -f "$WORK/pipe" && mkfifo "$WORK/pipe"
  "$LIFEBOAT" -r "$REPO" backup --host "sig$sig" --stdin --stdin-filename s.bin <"$WORK/pipe" >"$WORK/sig.out" 2>"$WORK/sig.err" &
  sig_pid=$!
  exec 3>"$WORK/pipe"
  head -c 100000 /dev/urandom >&3
  for _ in $(seq 1 400); do [[ -n $(ls "$REPO/locks" 2>/dev/null) ]] && break; sleep 0.05; done
  [[ -n $(ls "$REPO/locks") ]] || fail "the streaming backup took no lock"
  kill -s "$sig" "$sig_pid"
  set +e
  wait "$sig_pid"
  rc=$?
  set -e
  exec 3>&-
  want=$((128 + $(kill -l "$sig")))
  [[ $rc -eq $want ]] || { cat "$WORK/sig.err"; fail "SIG$sig: exit $rc, want $want"; }
  grep -q "received, cleaning up: 1 lock removed" "$WORK/sig.err" || { cat "$WORK/sig.err"; fail "SIG$sig: no cleanup line"; }
  [[ -z $(ls "$REPO/locks") ]] || fail "SIG$sig left the lock behind"
  [[ $(lb -r "$REPO" --json snapshots --host "sig$sig" | jq length) -eq 0 ]] || fail "SIG$sig: a snapshot was saved"
  lb -r "$REPO" check >/dev/null || fail "check after SIG$sig"
done

step "key add prompts before it locks: a waiting prompt keeps nobody out"
# script(1) gives key add a terminal; its prompt then waits for input.
command -v script >/dev/null || fail "script(1) is missing (bsdutils)"
rm -f "$WORK/pipe" && mkfifo "$WORK/pipe"
script -qfec "'$LIFEBOAT' -r '$REPO' key add" "$WORK/prompt.log" <"$WORK/pipe" >/dev/null 2>&1 &
prompt_pid=$!
exec 3>"$WORK/pipe"
for _ in $(seq 1 400); do grep -q "enter new password" "$WORK/prompt.log" 2>/dev/null && break; sleep 0.05; done
grep -q "enter new password" "$WORK/prompt.log" || { cat "$WORK/prompt.log"; fail "key add did not prompt"; }
[[ -z $(ls "$REPO/locks") ]] || fail "key add holds a lock while it waits at the prompt"
lb -r "$REPO" prune --dry-run >/dev/null || fail "an exclusive command was kept out by a waiting prompt"
kill "$prompt_pid" 2>/dev/null || true
exec 3>&-
wait "$prompt_pid" 2>/dev/null || true
echo "concurrency: ok"
