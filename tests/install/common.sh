# shellcheck shell=bash
# Sourced by the shell tests of tests/install/ and tests/pg/: a scratch
# directory removed on exit, and one way to fail.
set -euo pipefail
scratch=$(mktemp -d "${TMPDIR:-/tmp}/zhitong-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
fails=0

# fail MESSAGE: report and remember; the test exits 1 at the end.
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# expect DESCRIPTION ACTUAL EXPECTED
expect() {
	if [[ "$2" != "$3" ]]; then
		fail "$1: got '$2', expected '$3'"
	else
		echo "ok: $1"
	fi
}

finish() {
	if ((fails)); then
		echo "$fails check(s) failed" >&2
		exit 1
	fi
	echo "all checks passed"
}
