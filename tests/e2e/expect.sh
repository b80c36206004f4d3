#!/usr/bin/env bash
# The e2e driver: runs one command and checks its exit code and its output.
#
#   expect.sh [--rc N] [--match ERE]... [--no-match ERE]... [--stdout-match ERE]... -- CMD ARGS...
#
# --rc N            the exit code the command must return (default 0). A command killed by a
#                   signal (a crash, an abort) always fails the test, whatever N is.
# --match ERE       an extended regular expression that stdout+stderr together must contain;
#                   the output is matched as one record, so '.' also crosses newlines.
# --no-match ERE    one that the output must not contain.
# --stdout-match ERE  one that stdout alone must contain (a --json document, say).
# --empty-stdout    stdout must be empty (errors go to stderr only).
#
# Prints what it checked and, on a failure, the whole output; exits 0 on a pass, 1 otherwise.
set -uo pipefail

rc_want=0
matches=() no_matches=() stdout_matches=()
empty_stdout=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rc) rc_want="$2"; shift 2 ;;
    --match) matches+=("$2"); shift 2 ;;
    --no-match) no_matches+=("$2"); shift 2 ;;
    --stdout-match) stdout_matches+=("$2"); shift 2 ;;
    --empty-stdout) empty_stdout=1; shift ;;
    --) shift; break ;;
    *) echo "expect.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "expect.sh: no command after --" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$@" </dev/null >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
cat "$tmp/stdout" "$tmp/stderr" >"$tmp/all"

failures=()
if [ "$rc" -ge 128 ]; then
  failures+=("killed by signal $((rc - 128)) (exit $rc)")
elif [ "$rc" -ne "$rc_want" ]; then
  failures+=("exit code $rc, expected $rc_want")
fi
for re in "${matches[@]+"${matches[@]}"}"; do
  grep -Ezq -- "$re" "$tmp/all" || failures+=("output does not match: $re")
done
for re in "${no_matches[@]+"${no_matches[@]}"}"; do
  if grep -Ezq -- "$re" "$tmp/all"; then failures+=("output matches, but must not: $re"); fi
done
for re in "${stdout_matches[@]+"${stdout_matches[@]}"}"; do
  grep -Ezq -- "$re" "$tmp/stdout" || failures+=("stdout does not match: $re")
done
if [ "$empty_stdout" -eq 1 ] && [ -s "$tmp/stdout" ]; then
  failures+=("stdout is not empty")
fi

if [ ${#failures[@]} -eq 0 ]; then
  echo "expect.sh: exit $rc as expected; ${#matches[@]} pattern(s) matched"
  exit 0
fi
echo "expect.sh: FAILED: $*"
for f in "${failures[@]}"; do echo "  - $f"; done
echo "---- stdout ----"; cat "$tmp/stdout"
echo "---- stderr ----"; cat "$tmp/stderr"
exit 1
