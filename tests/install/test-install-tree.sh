#!/usr/bin/env bash
# cmake --install into a DESTDIR: every file where GNUInstallDirs says,
# valid manual pages (one per command `zhitong help` lists), a library that
# a program builds and links against with `pkg-config --cflags --libs`
# (shared) and `--static`, exporting exactly the public API, and an example
# configuration the program accepts.
#   test-install-tree.sh BUILD-DIR
source "$(dirname "$0")/common.sh"
build=$1
dest=$scratch/dest
DESTDIR=$dest cmake --install "$build" --prefix /usr/local >/dev/null
root=$dest/usr/local
zhitong=$root/bin/zhitong

# --- the files ----------------------------------------------------------
soname=$(cd "$root/lib" && ls libzhitong.so.* | awk 'length(a) == 0 || length($0) < length(a) { a = $0 } END { print a }')
for f in bin/zhitong lib/libzhitong.a lib/libzhitong.so "lib/$soname" lib/pkgconfig/zhitong.pc \
         include/zhitong/money.h include/zhitong/store.h include/zhitong/gateway.h \
         share/man/man1/zhitong.1.gz share/bash-completion/completions/zhitong \
         lib/systemd/system/zhitong.service etc/zhitong/zhitong.conf \
         share/doc/zhitong/copyright share/doc/zhitong/changelog.gz share/doc/zhitong/operations.md; do
	[[ -e $root/$f ]] && echo "ok: installed $f" || fail "not installed: $f"
done
[[ -L $root/lib/libzhitong.so && $(readlink "$root/lib/libzhitong.so") == "$soname" ]] ||
	fail "libzhitong.so is not a link to $soname"
expect "SONAME" "$(objdump -p "$root/lib/$soname" | awk '$1 == "SONAME" { print $2 }')" "$soname"
# Debian-only files stay out of a plain install.
[[ ! -e $root/share/lintian ]] || fail "lintian overrides installed outside the package"

# --- the manual pages ---------------------------------------------------
commands=$("$zhitong" help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' | sort -u)
[[ -n $commands ]] || fail "no commands in 'zhitong help'"
for c in $commands; do
	[[ $c == help ]] && continue
	[[ -f $root/share/man/man1/zhitong-$c.1.gz ]] || fail "no manual page zhitong-$c(1) for command '$c'"
done
export MANWIDTH=80
for page in "$root"/share/man/man1/*.1.gz; do
	name=$(basename "$page" .1.gz)
	zcat "$page" >"$scratch/$name.1"
	out=$(man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) || fail "$name(1): man failed"
	[[ -z $out ]] || fail "$name(1): man --warnings: $out"
	out=$(groff -man -ww -z "$scratch/$name.1" 2>&1) || fail "$name(1): groff failed"
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
	"$(man -l "$root/share/man/man1/zhitong-claim.1.gz" 2>/dev/null | col -b | sed -n '/^SYNOPSIS/{n;p;}' | sed 's/^ *//')" \
	"$("$zhitong" claim --help | sed -n '1s/^usage: //p')"

# --- the library through pkg-config ----------------------------------------
# PKG_CONFIG_PATH into the DESTDIR: the file names the installed paths
# (/usr/local/...); the flags are used with those moved into the DESTDIR,
# the dependencies' own flags (libxml2's headers ...) as they are.
export PKG_CONFIG_PATH=$root/lib/pkgconfig
expect "prefix" "$(pkg-config --variable=prefix zhitong)" /usr/local
expect "pkg-config --modversion" "$(pkg-config --modversion zhitong)" "$("$zhitong" --version | awk '{ print $2 }')"
in_dest() {
	local f out=()
	for f in "$@"; do
		case $f in
		-I/usr/local/* | -L/usr/local/*) out+=("${f:0:2}$dest${f:2}") ;;
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
[[ $cflags == *-I/usr/local/include* && $cflags == *-I/usr/include/libxml2* ]] ||
	fail "pkg-config --cflags: '$cflags' (the headers and libxml2's, which xml.h includes)"
expect "pkg-config --libs" "$(pkg-config --libs zhitong | awk '{ $1 = $1; print }')" "-L/usr/local/lib -lzhitong"
# shared
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$scratch/hello" "$scratch/hello.c" $(in_dest $(pkg-config --cflags --libs zhitong))
expect "hello (shared) runs" "$(LD_LIBRARY_PATH=$root/lib "$scratch/hello" | tr '\n' ' ')" "10500.01 refused "
grep -q "$soname => $root/lib/$soname" <<<"$(LD_LIBRARY_PATH=$root/lib ldd "$scratch/hello")" ||
	fail "hello is not linked against the installed $soname"
# static: libzhitong.a, the system's libraries shared. `--static` alone
# would ask for every dependency's static libraries too (libcurl's nghttp2,
# ldap ...); its Requires.private names what libzhitong itself needs.
libs=$(pkg-config --static --libs zhitong)
[[ $libs == *-lsqlite3* && $libs == *-lxml2* && $libs == *-lcrypto* && $libs == *-lcurl* ]] ||
	fail "pkg-config --static --libs: '$libs'"
expect "Requires.private" "$(pkg-config --print-requires-private zhitong | paste -sd ' ')" "sqlite3 libxml-2.0 libcrypto libcurl"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o "$scratch/hello-static" "$scratch/hello.c" $(in_dest $(pkg-config --cflags zhitong)) \
	$(in_dest -L/usr/local/lib) -Wl,-Bstatic -lzhitong -Wl,-Bdynamic \
	$(pkg-config --libs $(pkg-config --print-requires-private zhitong)) -pthread
expect "hello (static) runs" "$("$scratch/hello-static" | tr '\n' ' ')" "10500.01 refused "
! grep -q libzhitong <<<"$(ldd "$scratch/hello-static")" || fail "hello-static needs libzhitong.so"

# Exactly the public API is exported: every zt_ symbol is declared in an
# installed header, and the internals (the store's statement cache, the
# embedded schemas) are not.
nm -D --defined-only "$root/lib/$soname" | awk '{ sub(/@.*/, "", $3); print $3 }' | grep '^zt_' | sort >"$scratch/exported"
cat "$root"/include/zhitong/*.h | grep -o 'zt_[a-z0-9_]*[[:space:]]*(' | tr -d '( \t' | sort -u >"$scratch/declared"
extra=$(comm -23 "$scratch/exported" "$scratch/declared" | tr '\n' ' ')
[[ -z $extra ]] || fail "exported but not in a public header: $extra"
[[ $(wc -l <"$scratch/exported") -gt 100 ]] || fail "only $(wc -l <"$scratch/exported") symbols exported"
for internal in zt_store_stmt zt_xsd_claim zt_sql_001; do
	! grep -qx "$internal" "$scratch/exported" || fail "internal symbol $internal is exported"
done
grep -q '^ZHITONG_' <(objdump -T "$root/lib/$soname" | awk '/zt_add$/ { print $(NF - 1) }') ||
	fail "zt_add has no ZHITONG_ version"

# --- the example configuration ---------------------------------------------
conf=$root/etc/zhitong/zhitong.conf
"$zhitong" --db "$scratch/conf.db" init 2>/dev/null
"$zhitong" --db "$scratch/conf.db" --config "$conf" reconcile match --by test >/dev/null ||
	fail "the example configuration is refused"
# Every setting it shows, uncommented, is one the program knows.
sed -n 's/^# \(\[.*\]\)$/\1/p; s/^# \([a-z-]* = .*\)$/\1/p' "$conf" >"$scratch/all.conf"
[[ $(grep -c = "$scratch/all.conf") -gt 10 ]] || fail "the example shows few settings"
"$zhitong" --db "$scratch/conf.db" --config "$scratch/all.conf" reconcile match --by test >/dev/null ||
	fail "the example's settings, uncommented, are refused"
finish
