#!/usr/bin/env bash
# A FileCheck-style golden test: runs one command, requires exit code 0 (or --rc N), and checks
# its stdout against the directives of a check file, in order:
#
#   filecheck.sh [--rc N] CHECKFILE -- CMD ARGS...
#
#   CHECK: text       a later line contains text (after the line the previous directive matched)
#   CHECK-NEXT: text  the very next line contains text
#   CHECK-NOT: text   no line between the previous match and the next CHECK's match (or the end)
#                     contains text
# Text is literal, except {{ERE}}, which is a POSIX extended regular expression. Lines that hold
# no directive are comments. Prints the failing directive with its line number and the output
# around the place it looked; exits 0 on a pass, 1 otherwise.
set -uo pipefail

rc_want=0
if [ "${1:-}" = "--rc" ]; then rc_want="$2"; shift 2; fi
check="$1"; shift
[ "${1:-}" = "--" ] || { echo "filecheck.sh: expected -- after the check file" >&2; exit 2; }
shift

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne "$rc_want" ]; then
  echo "FAIL: exit code $rc, expected $rc_want: $*"; cat "$tmp/err"; exit 1
fi
mapfile -t lines <"$tmp/out"

# A directive's text as an ERE: literal parts escaped, {{...}} kept.
to_ere() {
  local s="$1" out="" lit re
  while [[ "$s" == *"{{"*"}}"* ]]; do
    lit="${s%%\{\{*}"; s="${s#*\{\{}"; re="${s%%\}\}*}"; s="${s#*\}\}}"
    out+="$(printf '%s' "$lit" | sed 's/[][\.*^$+?(){}|/]/\\&/g')($re)"
  done
  out+="$(printf '%s' "$s" | sed 's/[][\.*^$+?(){}|/]/\\&/g')"
  printf '%s' "$out"
}

pos=-1          # index of the line the last positive directive matched
nots=()         # pending CHECK-NOT EREs (with their check-file line numbers)
n=0
fail() {
  echo "FAIL: $check:$1: $2"
  local from=$(( pos < 0 ? 0 : pos )) to=$(( pos + 8 ))
  echo "output from line $((from + 1)):"
  for ((i = from; i < ${#lines[@]} && i < to; ++i)); do echo "  ${lines[$i]}"; done
  exit 1
}
check_nots() {  # the pending CHECK-NOTs against lines (pos, $1)
  local end="$1" entry ln re i
  for entry in "${nots[@]}"; do
    ln="${entry%%:*}"; re="${entry#*:}"
    for ((i = pos + 1; i < end; ++i)); do
      [[ "${lines[$i]}" =~ $re ]] && fail "$ln" "CHECK-NOT matched output line $((i + 1)): ${lines[$i]}"
    done
  done
  nots=()
}
while IFS= read -r d || [ -n "$d" ]; do
  n=$((n + 1))
  case "$d" in
    *"CHECK-NEXT: "*)
      re="$(to_ere "${d#*CHECK-NEXT: }")"
      i=$((pos + 1))
      [ "$i" -lt "${#lines[@]}" ] && [[ "${lines[$i]}" =~ $re ]] || fail "$n" "CHECK-NEXT not on the next line: ${d#*CHECK-NEXT: }"
      check_nots "$i"; pos=$i ;;
    *"CHECK-NOT: "*)
      nots+=("$n:$(to_ere "${d#*CHECK-NOT: }")") ;;
    *"CHECK: "*)
      re="$(to_ere "${d#*CHECK: }")"
      found=-1
      for ((i = pos + 1; i < ${#lines[@]}; ++i)); do
        if [[ "${lines[$i]}" =~ $re ]]; then found=$i; break; fi
      done
      [ "$found" -ge 0 ] || fail "$n" "CHECK not found: ${d#*CHECK: }"
      check_nots "$found"; pos=$found ;;
  esac
done <"$check"
check_nots "${#lines[@]}"
echo "PASS: $check ($n lines) against: $*"
exit 0
