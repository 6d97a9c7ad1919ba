#!/usr/bin/env bash
# backup --pre-hook / --post-hook: order around the backup, the variables a
# hook sees (and the passwords it does not), a pre-hook that fails (no
# snapshot), a post-hook that fails (snapshot saved, exit non-zero), a hook
# that runs too long, a post-hook after a failed backup, no shell.
source "$(dirname "$0")/lib.sh"

REPO=$WORK/repo
SRC=$WORK/src
mkdir -p "$SRC" && echo data >"$SRC/f.txt"
lb -r "$REPO" init >/dev/null
LOG=$WORK/hooks.log
cat >"$WORK/hook.sh" <<SCRIPT
#!/bin/sh
# Records when it ran and what it saw; the backup's data file tells "before"
# from "after" (the snapshot count at the time).
n=\$("$LIFEBOAT" -r "$REPO" --json snapshots 2>/dev/null | jq length)
echo "\$1 hook=\$LIFEBOAT_HOOK source=\$LIFEBOAT_SOURCE result=\${LIFEBOAT_RESULT:-} snap=\${LIFEBOAT_SNAPSHOT_ID:-} snapshots=\$n pw=\${LIFEBOAT_PASSWORD:-none} error=\${LIFEBOAT_ERROR:-}" >>"$LOG"
exit \${2:-0}
SCRIPT
chmod 755 "$WORK/hook.sh"
# The hook itself needs the repository password to count snapshots: give it a file.
echo "$LIFEBOAT_PASSWORD" >"$WORK/pw"
export LIFEBOAT_PASSWORD_FILE=$WORK/pw

step "order and environment"
lb -r "$REPO" --json backup --pre-hook "$WORK/hook.sh first" --pre-hook "$WORK/hook.sh second" \
  --post-hook "$WORK/hook.sh after" "$SRC" >"$WORK/b1.json"
snap=$(json_field snapshot_id <"$WORK/b1.json")  # the summary: status lines may come first
[[ $(sed -n 1p "$LOG") == "first hook=pre source=$SRC result= snap= snapshots=0 pw=none error=" ]] || { cat "$LOG"; fail "first pre-hook"; }
[[ $(sed -n 2p "$LOG") == "second hook=pre source=$SRC result= snap= snapshots=0 pw=none error=" ]] || { cat "$LOG"; fail "second pre-hook"; }
[[ $(sed -n 3p "$LOG") == "after hook=post source=$SRC result=success snap=$snap snapshots=1 pw=none error=" ]] || { cat "$LOG"; fail "post-hook"; }
jq -e .snapshot_id "$WORK/b1.json" >/dev/null || fail "hook output got into --json output"

step "a failing pre-hook: one line, no snapshot, the post-hook still runs"
: >"$LOG"
expect_exit 1 lb -r "$REPO" backup --pre-hook "$WORK/hook.sh pre 3" --post-hook "$WORK/hook.sh post" "$SRC"
expect_stderr "pre-hook \"$WORK/hook.sh pre 3\" failed: hook.sh exited with status 3"
[[ $(grep -c "^lifeboat:" "$WORK/last.err") -eq 1 ]] || { cat "$WORK/last.err"; fail "not one error line"; }
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq 1 ]] || fail "a backup ran although its pre-hook failed"
grep -q "^post hook=post .*result=failure .*error=.*pre-hook" "$LOG" || { cat "$LOG"; fail "post-hook after a failed pre-hook"; }

step "a failing post-hook: the snapshot is saved, the exit code says it failed"
expect_exit 1 lb -r "$REPO" backup --post-hook "$WORK/hook.sh post 4" "$SRC"
expect_stderr "post-hook .* failed"
grep -q "^snapshot [0-9a-f]* saved" "$WORK/last.out" || { cat "$WORK/last.out"; fail "no summary before the post-hook's error"; }
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq 2 ]] || fail "the snapshot is missing"

step "a hook that runs too long is terminated"
expect_exit 1 lb -r "$REPO" backup --hook-timeout 1s --pre-hook "sleep 30" "$SRC"
expect_stderr "pre-hook \"sleep 30\" timed out after 1.00s"
[[ $(lb -r "$REPO" --json snapshots | jq length) -eq 2 ]] || fail "a backup ran after its pre-hook timed out"

step "the post-hook after a failed backup, and no shell"
: >"$LOG"
expect_exit 13 lb -r "$REPO" backup --post-hook "$WORK/hook.sh post" "$WORK/nothing-here"
grep -q "^post hook=post .*result=failure" "$LOG" || { cat "$LOG"; fail "post-hook after a failed backup"; }
lb -r "$REPO" backup --pre-hook "echo \$HOME; touch $WORK/semi" "$SRC" >/dev/null 2>"$WORK/noshell.err"
grep -q '^\$HOME; touch' "$WORK/noshell.err" || { cat "$WORK/noshell.err"; fail "the hook went through a shell"; }
[[ ! -e $WORK/semi ]] || fail "a shell ran the second command"
lb -r "$REPO" backup --pre-hook "sh -c 'touch $WORK/with-shell'" "$SRC" >/dev/null
[[ -e $WORK/with-shell ]] || fail "sh -c as the user wrote it"
expect_exit 2 lb -r "$REPO" backup --pre-hook "unclosed 'quote" "$SRC"
expect_exit 1 lb -r "$REPO" backup --pre-hook "/no/such/program" "$SRC"
expect_stderr "pre-hook \"/no/such/program\""
lb -r "$REPO" check >/dev/null || fail "check"
echo "hooks: ok"
