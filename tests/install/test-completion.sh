#!/usr/bin/env bash
# The bash completion (packaging/gen-completion's output), sourced into
# bash and called the way bash calls it: COMP_WORDS and COMP_CWORD set,
# COMPREPLY read back. Commands, subcommands, options, option values
# (--opt value and --opt=value), file names, and batch ids listed from the
# database of --db / $ZHITONG_DB with `zhitong batch list --format csv`.
#   test-completion.sh COMPLETION-SCRIPT ZHITONG
source "$(dirname "$0")/common.sh"
script=$(realpath "$1")
zhitong=$(realpath "$2")
# shellcheck disable=SC1090
source "$script"
unset ZHITONG_DB

expect "registered for zhitong" "$(complete -p zhitong)" "complete -F _zhitong zhitong"

# c WORD... : complete the last word; the replies sorted, on one line.
c() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_zhitong zhitong "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' '
}

# Commands: every one `zhitong help` lists, and only those.
commands=$("$zhitong" help | awk '/^Commands[: (]/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' | sort -u | paste -sd ' ')
expect "commands" "$(c zhitong '')" "$commands"
expect "commands starting 're'" "$(c zhitong re)" "reconcile registry"
expect "commands after global options" "$(c zhitong --db x.db --config=y.conf cl)" "claim"
expect "global options" "$(c zhitong --)" "--config --db --help --version"
expect "help COMMAND" "$(c zhitong help ba)" "batch"
expect "nothing after help COMMAND" "$(c zhitong help batch '')" ""

# Subcommands and options, as each command's --help gives them.
expect "claim subcommands" "$(c zhitong claim '')" "list national-reversed quote reverse show submit"
expect "batch subcommands 're'" "$(c zhitong batch re)" "reject reopen repay"
expect "advance subcommands" "$(c zhitong advance '')" "approve issue list plan show status"
expect "claim submit options" "$(c zhitong claim submit --)" "--by --chunk --help --today"
expect "claim reverse options" "$(c zhitong claim reverse --hospital H1 --)" "--by --claim-no --help --hospital --reason"
expect "batch show options" "$(c zhitong batch show B1 --)" "--bom --format --help --out --records"
expect "advance issue options" "$(c zhitong advance issue --)" \
	"--by --execution-date --help --out --plan --rewrite"
expect "options of a command without subcommands" "$(c zhitong gen --c)" "--catalog --catalog-entries --claims --county"
expect "only --help before a subcommand" "$(c zhitong batch --)" "--help"
for cmd in $commands; do
	[[ $cmd == help ]] && continue
	subs=$(c zhitong "$cmd" '')
	if [[ -z $subs ]]; then
		[[ $(c zhitong "$cmd" --) == *--help* ]] || fail "'$cmd' completes no options"
	else
		for s in $subs; do
			[[ $(c zhitong "$cmd" "$s" --) == *--help* ]] || fail "'$cmd $s' completes no options"
		done
	fi
done

# Option values and arguments.
expect "--format values" "$(c zhitong claim show --format '')" "text xml"
expect "slip --format values" "$(c zhitong slip --hospital H --format p)" "pdf"
expect "--format=VALUE, split at '=' as bash does" "$(c zhitong batch list --format = c)" "csv"
expect "--format=VALUE, right after '='" "$(c zhitong batch list --format =)" "csv text"
expect "a free value (--by)" "$(c zhitong batch approve B1 --by '')" ""
expect "schema names" "$(c zhitong schema pa)" "payer-ack payer-file payer-file-2"
mkdir -p "$scratch/files/sub"
touch "$scratch/files/claims.xml" "$scratch/files/claims2.xml" "$scratch/files/other.pem"
expect "a file argument" "$(c zhitong claim submit "$scratch/files/cl")" \
	"$scratch/files/claims.xml $scratch/files/claims2.xml"
expect "--out FILE" "$(c zhitong batch export B1 --out "$scratch/files/o")" "$scratch/files/other.pem"
expect "--db PATH" "$(c zhitong --db "$scratch/files/s")" "$scratch/files/sub"
expect "gen --out DIR (directories only)" "$(c zhitong gen --out "$scratch/files/")" "$scratch/files/sub"
expect "no argument beyond the usage" "$(c zhitong batch verify a b c '')" ""
expect "an unknown command" "$(c zhitong bogus '')" ""

# Batch ids, from the database.
db=$scratch/county.db
"$zhitong" --db "$db" demo --claims 20 >/dev/null 2>&1 || fail "zhitong demo failed"
ids=$("$zhitong" --db "$db" batch list --format csv | tail -n +2 | cut -d, -f1 | sort | paste -sd ' ')
[[ $(wc -w <<<"$ids") -ge 3 ]] || fail "the demo made too few batches: '$ids'"
expect "batch ids (--db)" "$(c "$zhitong" --db "$db" batch approve '')" "$ids"
expect "batch ids (--db=)" "$(c "$zhitong" --db="$db" batch show '')" "$ids"
expect "batch ids (--db = split)" "$(c "$zhitong" --db = "$db" batch export '')" "$ids"
expect "batch ids starting B6" "$(c "$zhitong" --db "$db" batch send B6)" "$(tr ' ' '\n' <<<"$ids" | grep '^B6' | paste -sd ' ')"
expect "batch ids (\$ZHITONG_DB)" "$(ZHITONG_DB=$db c "$zhitong" batch reject '')" "$ids"
expect "batch ids after options" "$(c "$zhitong" --db "$db" batch ack '')" "$ids"
expect "then the ACK file" "$(c "$zhitong" --db "$db" batch ack B1 "$scratch/files/claims2")" "$scratch/files/claims2.xml"
(cd "$scratch" && ln -sf "$db" zhitong.db && expect "batch ids (./zhitong.db)" "$(c "$zhitong" batch show '')" "$ids")
# A database that does not exist is not created by pressing TAB.
expect "no ids without a database" "$(c "$zhitong" --db "$scratch/none.db" batch show '')" ""
[[ ! -e $scratch/none.db ]] || fail "completion created $scratch/none.db"
expect "no ids from a broken program" "$(c /bin/false --db "$db" batch show '')" ""
finish
