#!/bin/bash
# Records the golden answers of tests/test_golden.c with a zhitong program:
#   tests/cases/golden/record.sh ZHITONG OUTDIR
# They were recorded from main before the traces were stored as data (issue
# 8), so that the answers rendered from the data can be compared byte for
# byte with what zhitong answered before. For each vector world W:
#   W-submit.xml        the answer of `claim submit` of its claims
#   W-quote.txt         `claim quote --format text` of the same claims (fresh database)
# and for world-1004, on top of the submitted claims:
#   1004-reverse-N.xml  the answers of `claim reverse` of some claims
#   1004-show-N.xml     `claim show --format xml` of them (settlement + reversal)
#   1004-show-N.txt     `claim show` (text) of them
#   1004-batch-F.xml    the <records> of the payer file of fund F
#   1004-v8.dump        the database as `sqlite3 .dump` writes it (schema 8)
# and for the worked example on the sample registry and policy of rules/
# (a relief fund with a Chinese name), reversed with a reason that needs
# escaping:
#   sample-submit.xml, sample-reverse.xml, sample-show.xml, sample-show.txt
set -euo pipefail
zt=$1
out=$2
cases=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
# claims of world-1004 reversed: every kind of trace is among them
reverse=(ZY1004-000005 ZY1004-000011 ZY1004-000032 ZY1004-000002)
for w in 1001 1002 1003 1004; do
	dir=$cases/vectors/world-$w
	db=$work/$w.db
	"$zt" --db "$db" init >/dev/null
	"$zt" --db "$db" registry load "$dir/registry.xml" >/dev/null
	"$zt" --db "$db" rules load "$dir/policy.xml" >/dev/null
	cp "$db" "$work/$w-fresh.db"
	"$zt" --db "$work/$w-fresh.db" claim quote "$dir/claims.xml" --format text \
		>"$out/$w-quote.txt" || [ $? = 1 ]
	"$zt" --db "$db" claim submit "$dir/claims.xml" --by desk >"$out/$w-submit.xml" || [ $? = 1 ]
done
db=$work/1004.db
for n in "${reverse[@]}"; do
	h=$(sed -n "s/.*fixmedins_code=\"\([^\"]*\)\" claim_no=\"$n\".*/\1/p" "$out/1004-submit.xml")
	"$zt" --db "$db" claim reverse --hospital "$h" --claim-no "$n" --reason "golden $n" \
		--by desk >"$out/1004-reverse-$n.xml"
	"$zt" --db "$db" claim show --hospital "$h" --claim-no "$n" --format xml >"$out/1004-show-$n.xml"
	"$zt" --db "$db" claim show --hospital "$h" --claim-no "$n" >"$out/1004-show-$n.txt"
done
openssl genpkey -algorithm ed25519 -out "$work/ed.pem" 2>/dev/null
for f in $(sqlite3 "$db" "SELECT DISTINCT fund_code FROM settlement_fund ORDER BY 1"); do
	id=$("$zt" --db "$db" batch create --fund "$f" --by maker | grep -o "B$f-[0-9]*" | head -1)
	"$zt" --db "$db" batch approve "$id" --by checker >/dev/null
	"$zt" --db "$db" batch export "$id" --out "$work/$id.xml" --key "$work/ed.pem" --by maker >/dev/null
	sed -n '/<records>/,/<\/records>/p' "$work/$id.xml" >"$out/1004-batch-$f.xml"
done
sqlite3 "$db" .dump >"$out/1004-v8.dump"
rules=$cases/../../rules
db=$work/sample.db
"$zt" --db "$db" init >/dev/null
"$zt" --db "$db" registry load "$rules/registry-510101.xml" >/dev/null
"$zt" --db "$db" rules load "$rules/sample-510101-2017.xml" >/dev/null
"$zt" --db "$db" claim submit "$cases/claims/worked-example.xml" --by desk >"$out/sample-submit.xml"
"$zt" --db "$db" claim reverse --hospital H51010101 --claim-no ZY2017-000123 \
	--reason '重复收费 & <退回> "全部" '"'"'再报'"'"'' --by desk >"$out/sample-reverse.xml"
"$zt" --db "$db" claim show --hospital H51010101 --claim-no ZY2017-000123 --format xml \
	>"$out/sample-show.xml"
"$zt" --db "$db" claim show --hospital H51010101 --claim-no ZY2017-000123 >"$out/sample-show.txt"
