#!/bin/sh
# The short simulated year (issue 15 point 4; README "Proof under stress"):
# zhitong-sim over 60 days, twice with the same seed. Fails when an
# invariant broke on any day (the program exits 1 naming the seed and the
# day), when the two runs differ (the simulation must replay from its seed),
# or when the year did not do what it is for (claims settled, reversed and
# resubmitted, batches answered, payments reconciled, advances paid, checks
# run, no patient above the cap).
set -eu
sim=$1
dir=${TMPDIR:-/tmp}/zt-sim-check.$$
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
args="--seed ${ZT_SIM_SEED:-2017} --days 60 --claims 4000 --hospitals 12 --people 800"
for run in 1 2; do
  # shellcheck disable=SC2086
  if ! "$sim" $args --dir "$dir/run$run" > "$dir/out$run" 2> "$dir/err$run"; then
    cat "$dir/out$run" "$dir/err$run"
    echo "check-sim: run $run failed" >&2
    exit 1
  fi
done
cat "$dir/out1"
# the first line carries the wall time; everything else must be identical
sed 1d "$dir/out1" > "$dir/a"
sed 1d "$dir/out2" > "$dir/b"
if ! cmp -s "$dir/a" "$dir/b"; then
  diff "$dir/a" "$dir/b" || true
  echo "check-sim: the same seed gave two different years" >&2
  exit 1
fi
fail=0
want() { # want LABEL REGEX: a figure of the summary must match
  if ! grep -Eq "$2" "$dir/out1"; then
    echo "check-sim: $1: no line matching '$2'" >&2
    fail=1
  fi
}
want "claims settled" '^claims +[1-9][0-9]* submitted: [1-9][0-9]* settled'
want "reversed and resubmitted" ' [1-9][0-9]* reversed, [1-9][0-9]* resubmitted'
want "quotes" '; [1-9][0-9]* quoted;'
want "the service's group commit" '; [1-9][0-9]* sent through the service.s group commit'
want "batches answered" '^batches +[1-9][0-9]*: [1-9][0-9]* accepted'
want "payments" '^bank +[1-9][0-9]* statements .* [1-9][0-9]* payments'
want "advances" '^advances +[1-9][0-9]* plans .*, [1-9][0-9]* advances paid'
want "checks, no failure" '^checks +[1-9][0-9]* invariant checks after 60 days, 0 failures'
want "national county" '^national .*: [1-9][0-9]* settled .*, [1-9][0-9]* rejected national-mismatch'
want "money owed back" '; [1-9][0-9]* then owed money back, repaid'
want "registry and policy changes" '^changes +[1-9][0-9]* people entered poverty .*, 1 policy amendment'
want "the cap" '^cap +[1-9][0-9]* capped claims in county; largest patient share above the cap: 0\.00$'
exit $fail
