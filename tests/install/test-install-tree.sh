#!/usr/bin/env bash
# cmake --install into a DESTDIR: every file where GNUInstallDirs says,
# valid manual pages (one per command `zhitong help` lists), a library that
# a program builds and links against with `pkg-config --cflags --libs`
# (shared) and `--static`, exporting exactly the public API, and an example
# configuration the program accepts.
#   test-install-tree.sh BUILD-DIR
# shellcheck disable=SC2154 # the install directories come from install-dirs.sh
source "$(dirname "$0")/common.sh"
build=$(realpath "$1")
# prefix, bindir, libdir, includedir, mandir, datadir, docdir, unitdir,
# confdir: this build's (packaging/install-dirs.sh.in).
# shellcheck source=/dev/null
source "$build/packaging/install-dirs.sh"
dest=$scratch/dest
DESTDIR=$dest cmake --install "$build" >/dev/null
zhitong=$dest$bindir/zhitong

# --- the files ----------------------------------------------------------
soname=$(cd "$dest$libdir" && ls libzhitong.so.* | awk 'length(a) == 0 || length($0) < length(a) { a = $0 } END { print a }')
for f in "$bindir/zhitong" "$libdir/libzhitong.a" "$libdir/libzhitong.so" "$libdir/$soname" \
         "$libdir/pkgconfig/zhitong.pc" "$includedir/zhitong/money.h" "$includedir/zhitong/store.h" \
         "$includedir/zhitong/gateway.h" "$mandir/man1/zhitong.1.gz" \
         "$datadir/bash-completion/completions/zhitong" "$unitdir/zhitong.service" \
         "$confdir/zhitong.conf" "$docdir/copyright" "$docdir/changelog.gz" "$docdir/operations.md"; do
	[[ -e $dest$f ]] && echo "ok: installed $f" || fail "not installed: $f"
done
[[ -L $dest$libdir/libzhitong.so && $(readlink "$dest$libdir/libzhitong.so") == "$soname" ]] ||
	fail "libzhitong.so is not a link to $soname"
expect "SONAME" "$(objdump -p "$dest$libdir/$soname" | awk '$1 == "SONAME" { print $2 }')" "$soname"
expect "the unit runs the installed program" \
	"$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$dest$unitdir/zhitong.service")" "$bindir/zhitong"
# Debian-only files stay out of a plain install.
[[ ! -e $dest$datadir/lintian ]] || fail "lintian overrides installed outside the package"

# --- the manual pages ---------------------------------------------------
commands=$("$zhitong" help | awk '/^Commands[: (]/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' | sort -u)
[[ -n $commands ]] || fail "no commands in 'zhitong help'"
for c in $commands; do
	[[ $c == help ]] && continue
	[[ -f $dest$mandir/man1/zhitong-$c.1.gz ]] || fail "no manual page zhitong-$c(1) for command '$c'"
done
export MANWIDTH=80
for page in "$dest$mandir"/man1/*.1.gz; do
	name=$(basename "$page" .1.gz)
	zcat "$page" >"$scratch/$name.1"
	out=$(man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) || fail "$name(1): man failed"
	[[ -z $out ]] || fail "$name(1): man --warnings: $out"
	out=$(groff -k -Tutf8 -man -ww -z "$scratch/$name.1" 2>&1) || fail "$name(1): groff failed"
	[[ -z $out ]] || fail "$name(1): groff -ww: $out"
	whatis=$(lexgrog "$scratch/$name.1" 2>&1) || fail "$name(1): no NAME section lexgrog can read: $whatis"
	[[ $whatis == *"\"$name - "* ]] || fail "$name(1): NAME line is '$whatis'"
	text=$(man -l "$page" 2>/dev/null | col -b)
	grep -q '^SYNOPSIS' <<<"$text" && grep -q '^DESCRIPTION' <<<"$text" ||
		fail "$name(1): no SYNOPSIS or DESCRIPTION"
	echo "ok: $name(1)"
done
# A page says what the program says: the claim page's synopsis is its usage.
expect "zhitong-claim(1) synopsis" \
	"$(man -l "$dest$mandir/man1/zhitong-claim.1.gz" 2>/dev/null | col -b | sed -n '/^SYNOPSIS/{n;p;}' | sed 's/^ *//')" \
	"$("$zhitong" claim --help | sed -n '1s/^usage: //p')"

# --- the library through pkg-config ----------------------------------------
# PKG_CONFIG_PATH into the DESTDIR: the file names the installed paths;
# the flags are used with those moved into the DESTDIR (the dependencies'
# own flags, libxml2's headers ..., as they are). pkg-config leaves out the
# system's directories (a /usr prefix): the DESTDIR's are given first.
export PKG_CONFIG_PATH=$dest$libdir/pkgconfig
expect "prefix" "$(pkg-config --variable=prefix zhitong)" "$prefix"
expect "libdir" "$(pkg-config --variable=libdir zhitong)" "$libdir"
expect "includedir" "$(pkg-config --variable=includedir zhitong)" "$includedir"
expect "pkg-config --modversion" "$(pkg-config --modversion zhitong)" "$("$zhitong" --version | awk '{ print $2 }')"
in_dest() {
	local f out=("-I$dest$includedir" "-L$dest$libdir")
	for f in "$@"; do
		case $f in
		-I"$includedir" | -L"$libdir") out+=("${f:0:2}$dest${f:2}") ;;
		*) out+=("$f") ;;
		esac
	done
	echo "${out[@]}"
}
cat >"$scratch/hello.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <zhitong/error.h>
#include <zhitong/money.h>
#include <zhitong/xml.h>

int main(void)
{
	zt_fen a, b, sum;
	char out[ZT_FMT_BYTES];
	zt_xml_init();
	if (zt_parse_amount(&a, "10500.00", 8) || zt_parse_amount(&b, "0.01", 4) || zt_add(&sum, a, b))
		return 1;
	printf("%s\n", zt_format_amount(out, sum));
	if (zt_parse_amount(&a, "1e3", 3) == 0)
		return 1;
	printf("%s\n", zt_error_last()[0] ? "refused" : "no message");
	return 0;
}
C
cflags=$(pkg-config --cflags zhitong)
[[ $cflags == *-I/usr/include/libxml2* ]] ||
	fail "pkg-config --cflags: '$cflags' (the headers and libxml2's, which xml.h includes)"
[[ $(pkg-config --libs zhitong) == *-lzhitong* ]] || fail "pkg-config --libs: '$(pkg-config --libs zhitong)'"
# shared
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$scratch/hello" "$scratch/hello.c" $(in_dest $(pkg-config --cflags --libs zhitong))
expect "hello (shared) runs" "$(LD_LIBRARY_PATH=$dest$libdir "$scratch/hello" | tr '\n' ' ')" "10500.01 refused "
grep -q "$soname => $dest$libdir/$soname" <<<"$(LD_LIBRARY_PATH=$dest$libdir ldd "$scratch/hello")" ||
	fail "hello is not linked against the installed $soname"
# static: libzhitong.a, the system's libraries shared. `--static` alone
# would ask for every dependency's static libraries too (libcurl's nghttp2,
# ldap ...); its Requires.private names what libzhitong itself needs.
libs=$(pkg-config --static --libs zhitong)
[[ $libs == *-lsqlite3* && $libs == *-lxml2* && $libs == *-lcrypto* && $libs == *-lcurl* ]] ||
	fail "pkg-config --static --libs: '$libs'"
expect "Requires.private" "$(pkg-config --print-requires-private zhitong | paste -sd ' ')" "sqlite3 libpq libxml-2.0 libcrypto libcurl yajl libargon2"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$scratch/hello-static" "$scratch/hello.c" $(in_dest $(pkg-config --cflags zhitong)) \
	$(in_dest) -Wl,-Bstatic -lzhitong -Wl,-Bdynamic \
	$(pkg-config --libs $(pkg-config --print-requires-private zhitong)) -lunistring -pthread
expect "hello (static) runs" "$("$scratch/hello-static" | tr '\n' ' ')" "10500.01 refused "
! grep -q libzhitong <<<"$(ldd "$scratch/hello-static")" || fail "hello-static needs libzhitong.so"

# Exactly the public API is exported: every zt_ symbol is declared in an
# installed header, and the internals (the store's statement cache, the
# embedded schemas) are not.
nm -D --defined-only "$dest$libdir/$soname" | awk '{ sub(/@.*/, "", $3); print $3 }' | grep '^zt_' | sort >"$scratch/exported"
{
	cat "$dest$includedir"/zhitong/*.h | grep -o 'zt_[a-z0-9_]*[[:space:]]*(' | tr -d '( \t'
	# the tables of names a header exports as data
	cat "$dest$includedir"/zhitong/*.h | grep '^extern ' | grep -o 'zt_[a-z0-9_]*\[' | tr -d '['
} | sort -u >"$scratch/declared"
extra=$(comm -23 "$scratch/exported" "$scratch/declared" | tr '\n' ' ')
[[ -z $extra ]] || fail "exported but not in a public header: $extra"
[[ $(wc -l <"$scratch/exported") -gt 100 ]] || fail "only $(wc -l <"$scratch/exported") symbols exported"
for internal in zt_store_stmt zt_xsd_claim zt_sql_001; do
	! grep -qx "$internal" "$scratch/exported" || fail "internal symbol $internal is exported"
done
grep -q '^ZHITONG_' <(objdump -T "$dest$libdir/$soname" | awk '/zt_add$/ { print $(NF - 1) }') ||
	fail "zt_add has no ZHITONG_ version"

# --- the example configuration ---------------------------------------------
conf=$dest$confdir/zhitong.conf
"$zhitong" --db "$scratch/conf.db" init 2>/dev/null
"$zhitong" --db "$scratch/conf.db" --config "$conf" reconcile match --by test >/dev/null ||
	fail "the example configuration is refused"
# Every setting it shows, uncommented, is one the program knows.
sed -n 's/^# \(\[.*\]\)$/\1/p; s/^# \([a-z-]* = .*\)$/\1/p' "$conf" >"$scratch/all.conf"
[[ $(grep -c = "$scratch/all.conf") -gt 10 ]] || fail "the example shows few settings"
"$zhitong" --db "$scratch/conf.db" --config "$scratch/all.conf" reconcile match --by test >/dev/null ||
	fail "the example's settings, uncommented, are refused"
finish
