#!/usr/bin/env bash
# Proves that clang's thread-safety analysis follows core/mutex.h: proper.cc compiles
# under -Wthread-safety -Werror, and misuse.cc fails with exactly one error per
# "// EXPECT: MESSAGE" comment, on the line after it, saying MESSAGE. Usage: check.sh CLANG++ SOURCE_ROOT
set -euo pipefail

compiler="$1"
root="$2"
here="$root/tests/core/thread_safety"
flags=(-std=c++17 -fsyntax-only -Wthread-safety -Werror -I"$root")

"$compiler" "${flags[@]}" "$here/proper.cc"

if output="$("$compiler" "${flags[@]}" "$here/misuse.cc" 2>&1)"; then
  echo "check: misuse.cc compiled, but every EXPECT line breaks a lock rule" >&2
  exit 1
fi
status=0
expected=0
while IFS=: read -r comment _ message; do
  expected=$((expected + 1))
  line=$((comment + 1))
  message="${message# }"
  if ! grep -qF "misuse.cc:$line:" <<<"$output" ||
    ! grep -F "misuse.cc:$line:" <<<"$output" | grep -qF "$message"; then
    echo "check: misuse.cc:$line: no error '$message'" >&2
    status=1
  fi
done < <(grep -n "// EXPECT: " "$here/misuse.cc" | sed 's|^\([0-9]*\):.*// EXPECT: |\1:EXPECT: |')
errors="$(grep -c "error:" <<<"$output" || true)"
if [[ "$errors" -ne "$expected" ]]; then
  echo "check: misuse.cc gave $errors errors, $expected expected:" >&2
  echo "$output" >&2
  status=1
fi
[[ $status -ne 0 ]] || echo "check: proper.cc compiles; misuse.cc fails with the $expected expected errors"
exit $status
