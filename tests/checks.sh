# Shared by the shell tests (source it): `check "what" command...` runs the command quietly and says
# ok or FAILED (with the command's output), counting both; `finish_checks` prints the closing line
# ("N passed, N failed") and fails when any check did.
failures=0 checks=0
check_log=$(mktemp)
check() {
  local what=$1
  shift
  checks=$((checks + 1))
  if "$@" >"$check_log" 2>&1; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    sed 's/^/  /' "$check_log"
    failures=$((failures + 1))
  fi
}
finish_checks() {
  rm -f "$check_log"
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
