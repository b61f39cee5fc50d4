#!/bin/sh
# SPDX-License-Identifier: MIT
# The askpass program policy.sh gives meshagent (--askpass): it answers the agent's question as
# the file $POLICY_ASKPASS_DIR/answer says — always (prints "always", exit 0), once (exit 0),
# deny (exit 1) or silent (no answer: sleeps past the approval timeout) — after it appended its
# SSH_ASKPASS_PROMPT and the question's first line to $POLICY_ASKPASS_DIR/asked (one line per
# question).
dir=${POLICY_ASKPASS_DIR:?}
printf '%s|%s\n' "${SSH_ASKPASS_PROMPT:-}" "$(printf '%s\n' "$1" | head -n 1)" >>"$dir/asked"
case $(cat "$dir/answer") in
always) echo always ;;
once) ;;
silent) exec sleep 60 ;;
*) exit 1 ;;
esac
