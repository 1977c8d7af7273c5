# Checks of commands that must fail, shared by the CLI tests (sourced; not a
# test itself). Sourcing it makes the test's temporary folder $work, removed at
# exit. Each expect_* function runs its COMMAND... with the output in
# $work/stdout.log and $work/stderr.log, and prints "ok: " and the error line
# when the command did as expected. PATTERN is a basic regular expression
# (grep's default), so ( ) + ? | stand for themselves. STATUS is an exit
# status, or "nonzero" for any status but 0.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

stop_at_failed_check=true
failed_checks=0

# fail MESSAGE...: a check failed. Says so on stderr, then ends the script with
# status 1 or, after count_failed_checks, counts it and goes on.
fail() {
  echo "FAIL: $*" >&2
  if [[ $stop_at_failed_check == true ]]; then
    exit 1
  fi
  failed_checks=$((failed_checks + 1))
}

# count_failed_checks: from here on a failed check is counted and the script
# goes on, to report every failure in one run; it must end with
# exit_if_any_check_failed.
count_failed_checks() { stop_at_failed_check=false; }

# exit_if_any_check_failed: ends the script with status 1, saying how many
# checks failed, if any did.
exit_if_any_check_failed() {
  if [[ $failed_checks -gt 0 ]]; then
    echo "$failed_checks failure(s)" >&2
    exit 1
  fi
}

# A listing of every file under the current folder with its checksum.
snapshot() { find . -type f -print0 | sort -z | xargs -0r md5sum; }

# fails_with_one_line STATUS PATTERN COMMAND...: runs COMMAND; true if it exits
# with STATUS and writes exactly one line on stderr, matching PATTERN,
# otherwise fails (and is false, if the script goes on).
fails_with_one_line() {
  local expected_status=$1 pattern=$2
  shift 2
  local status=0
  "$@" >"$work/stdout.log" 2>"$work/stderr.log" || status=$?
  if [[ $expected_status == nonzero && $status -eq 0 ]] ||
    [[ $expected_status != nonzero && $status -ne $expected_status ]]; then
    cat "$work/stderr.log" >&2
    fail "expected exit status $expected_status, got $status: $*"
  elif [[ $(wc -l <"$work/stderr.log") -ne 1 ]] || ! grep -q -- "$pattern" "$work/stderr.log"; then
    cat "$work/stderr.log" >&2
    fail "expected one line on stderr matching '$pattern' from: $*"
  else
    return 0
  fi
  return 1
}

# expect_error_line STATUS PATTERN COMMAND...: COMMAND must exit with STATUS
# and write exactly one line on stderr, matching PATTERN. Files are not checked.
expect_error_line() {
  if fails_with_one_line "$@"; then
    echo "ok: $(cat "$work/stderr.log")"
  fi
}

# expect_failure_without_output STATUS OUTPUT PATTERN COMMAND...: COMMAND must
# exit with STATUS and write exactly one line on stderr, matching PATTERN, and
# neither OUTPUT nor its temporary files OUTPUT.tmp and OUTPUT.tokens.tmp may
# exist afterwards.
expect_failure_without_output() {
  local expected_status=$1 output=$2
  shift 2
  if fails_with_one_line "$expected_status" "$@"; then
    if [[ -e $output || -e $output.tmp || -e $output.tokens.tmp ]]; then
      fail "left $output behind: ${*:2}"
    else
      echo "ok: $(cat "$work/stderr.log")"
    fi
  fi
}

# expect_failure STATUS PATTERN COMMAND...: COMMAND must exit with STATUS and
# write exactly one line on stderr, matching PATTERN, and no file under the
# current folder (the train tests' $work) may be added, changed or removed
# but the two logs.
expect_failure() {
  local logs=' ./std\(out\|err\)\.log$' before after
  before="$(snapshot)"
  before="$(echo "$before" | grep -v "$logs" || true)"
  if fails_with_one_line "$@"; then
    after="$(snapshot | grep -v "$logs" || true)"
    if [[ $before != "$after" ]]; then
      fail "files changed after the failed command: ${*:3}"
    else
      echo "ok: $(cat "$work/stderr.log")"
    fi
  fi
}

# expect_error PATTERN COMMAND...: a failure of the work: COMMAND must exit
# with status 1 and one line on stderr matching PATTERN, and change no file.
expect_error() { expect_failure 1 "$@"; }

# expect_usage_error PATTERN COMMAND...: a wrong command line: COMMAND must
# exit with status 2 and one line on stderr matching PATTERN, and change no
# file.
expect_usage_error() { expect_failure 2 "$@"; }
