#!/bin/bash
# The reference implementation against the worlds (CTest 'reference_split'):
#  1. it reproduces the expected.xml of the four specification worlds
#     (tests/cases/vectors/) byte for byte, so it reads split.md as they do;
#  2. the worlds of tests/cases/vectors-v2/ are what make_world.py writes for
#     their seeds, and their expected.xml what split_ref.py computes.
# Usage: check-worlds.sh PYTHON TESTS_DIR
set -euo pipefail
py=$1
tests=$2
ref=$tests/reference
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
for w in "$tests"/cases/vectors/world-* "$tests"/cases/vectors-v2/world-*; do
	"$py" "$ref/split_ref.py" "$w" --out "$scratch/expected.xml"
	if cmp -s "$scratch/expected.xml" "$w/expected.xml"; then
		echo "ok    $(basename "$w"): expected.xml reproduced"
	else
		echo "FAIL  $(basename "$w"): split_ref.py does not reproduce expected.xml"
		diff "$w/expected.xml" "$scratch/expected.xml" | head -20
		fail=1
	fi
done
# The v2 worlds from their seeds (the options each was made with).
while read -r seed opts; do
	w=$tests/cases/vectors-v2/world-$seed
	# shellcheck disable=SC2086
	"$py" "$ref/make_world.py" "$seed" "$scratch/world-$seed" $opts
	for f in registry.xml policy.xml catalog.xml claims.xml; do
		if ! cmp -s "$scratch/world-$seed/$f" "$w/$f"; then
			echo "FAIL  world-$seed: make_world.py $seed $opts does not write $f"
			fail=1
		fi
	done
done <"$tests/cases/vectors-v2/worlds"
exit $fail
