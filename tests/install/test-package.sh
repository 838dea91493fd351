#!/usr/bin/env bash
# The Debian packages (packaging/build-deb: CPack, in a /usr build of its
# own with Debian's hardening flags): their control fields, dependencies
# (dpkg-shlibdeps), maintainer scripts, conffiles and contents, checked with
# dpkg-deb, and lintian clean: any error or warning that the shipped
# overrides (each with its reason) do not cover fails the test, and so does
# an override that no longer matches anything.
#   test-package.sh SOURCE-DIR BUILD-DIR
source "$(dirname "$0")/common.sh"
src=$(realpath "$1")
build=$(realpath "$2")
pkgbuild=$build/package
debs=$pkgbuild/debs
"$src/packaging/build-deb" "$pkgbuild" "$debs" >/dev/null

version=$(sed -n '1s/^zhitong (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")
arch=$(dpkg --print-architecture)
lib=$(cd "$debs" && ls libzhitong[0-9]*_*.deb | sed 's/_.*//')
soversion=${lib#libzhitong}
for p in zhitong "$lib" libzhitong-dev; do
	[[ -f $debs/${p}_${version}_$arch.deb ]] && echo "ok: ${p}_${version}_$arch.deb" ||
		fail "no package ${p}_${version}_$arch.deb"
done
field() { dpkg-deb -f "$debs/$1_${version}_$arch.deb" "$2"; }
contents() { dpkg-deb -c "$debs/$1_${version}_$arch.deb" | awk '{ print $1, $6 }'; }
control() { dpkg-deb --ctrl-tarfile "$debs/$1_${version}_$arch.deb" | tar -xO "./$2"; }
has() { # has PACKAGE MODE PATH
	grep -qx -- "$2 ./$3" <<<"$(contents "$1")" && echo "ok: $1: $3" || fail "$1: no '$2 ./$3'"
}

# --- zhitong ---------------------------------------------------------------
expect "zhitong: section" "$(field zhitong Section)" misc
expect "zhitong: priority" "$(field zhitong Priority)" optional
depends=$(field zhitong Depends)
for d in adduser 'libc6 (>=' 'libsqlite3-0 (>=' 'libxml2 (>=' 'libssl3 (>=' 'libcurl4 (>='; do
	[[ $depends == *"$d"* ]] || fail "zhitong: Depends '$depends' lacks '$d'"
done
[[ -n $(field zhitong Maintainer) ]] || fail "zhitong: no Maintainer"
has zhitong -rwxr-xr-x usr/bin/zhitong
has zhitong -rw-r--r-- lib/systemd/system/zhitong.service
has zhitong -rw-r--r-- etc/zhitong/zhitong.conf
has zhitong -rw-r--r-- usr/share/bash-completion/completions/zhitong
has zhitong -rw-r--r-- usr/share/doc/zhitong/copyright
has zhitong -rw-r--r-- usr/share/doc/zhitong/changelog.gz
has zhitong -rw-r--r-- usr/share/doc/zhitong/operations.md
has zhitong -rw-r--r-- usr/share/lintian/overrides/zhitong
for page in "$build"/packaging/man/*.1.gz; do
	has zhitong -rw-r--r-- "usr/share/man/man1/$(basename "$page")"
done
! grep -q 'var/lib' <<<"$(contents zhitong)" || fail "zhitong: ships /var/lib (postinst makes it)"
expect "zhitong: conffiles" "$(control zhitong conffiles)" /etc/zhitong/zhitong.conf
for s in postinst prerm postrm; do
	body=$(control zhitong "$s")
	[[ $(head -1 <<<"$body") == "#!/bin/sh" ]] || fail "zhitong: $s is not a /bin/sh script"
	grep -qx 'set -e' <<<"$body" || fail "zhitong: $s lacks 'set -e'"
	sh -n <(printf '%s\n' "$body") || fail "zhitong: $s: syntax error"
	grep -q 'zhitong.service' <<<"$body" || fail "zhitong: $s does not handle the unit"
	echo "ok: zhitong: $s"
done
dpkg-deb --ctrl-tarfile "$debs/zhitong_${version}_$arch.deb" | tar -tv | grep -E ' \./(postinst|prerm|postrm)$' |
	awk '$1 != "-rwxr-xr-x" { bad = 1 } END { exit bad }' || fail "zhitong: a maintainer script is not 0755"
postinst=$(control zhitong postinst)
for step in 'adduser --quiet --system' '--home /var/lib/zhitong' 'install -d -o zhitong -g zhitong -m 0700 /var/lib/zhitong' \
            'dpkg-statoverride --quiet --update --add root zhitong 0750 /etc/zhitong' 'init' 'deb-systemd-helper'; do
	grep -qF -- "$step" <<<"$postinst" || fail "zhitong: postinst lacks '$step'"
done
grep -q '/run/systemd/system' <<<"$(control zhitong prerm)" || fail "zhitong: prerm stops the unit without checking for systemd"
# Debian compresses with gzip -9n: no name, no time stamp (reproducible).
dpkg-deb -x "$debs/zhitong_${version}_$arch.deb" "$scratch/zhitong"
for gz in "$scratch"/zhitong/usr/share/doc/zhitong/changelog.gz "$scratch"/zhitong/usr/share/man/man1/zhitong.1.gz; do
	header=$(od -An -tx1 -N10 "$gz" | tr -d ' \n')
	[[ ${header:6:2} == 00 && ${header:8:8} == 00000000 && ${header:16:2} == 02 ]] ||
		fail "$(basename "$gz"): not gzip -9n (header $header)"
done
# Built hardened and stripped (dpkg-buildflags hardening=+all).
bin=$scratch/zhitong/usr/bin/zhitong
elf=$(readelf -W -h -d -l -S --dyn-syms "$bin")
grep -q 'Type:.*DYN' <<<"$elf" || fail "zhitong: not PIE"
grep -q 'BIND_NOW' <<<"$elf" || fail "zhitong: not linked with -z now"
grep -q 'GNU_RELRO' <<<"$elf" || fail "zhitong: no RELRO"
grep -q ' __stack_chk_fail@' <<<"$elf" || fail "zhitong: no stack protector"
grep -q ' __[a-z]*_chk@' <<<"$elf" || fail "zhitong: not built with _FORTIFY_SOURCE"
! grep -q '\.debug_\|\.comment' <<<"$elf" || fail "zhitong: not stripped"
"$bin" --version >/dev/null || fail "the packaged program does not run"

# --- the library -----------------------------------------------------------------
expect "$lib: section" "$(field "$lib" Section)" libs
[[ $(field "$lib" Depends) == *'libc6 (>='* ]] || fail "$lib: Depends '$(field "$lib" Depends)'"
expect "$lib: shlibs" "$(control "$lib" shlibs)" "libzhitong $soversion $lib (>= $version)"
expect "$lib: triggers" "$(control "$lib" triggers)" "activate-noawait ldconfig"
! grep -q 'postinst\|postrm' <<<"$(dpkg-deb --ctrl-tarfile "$debs/${lib}_${version}_$arch.deb" | tar -t)" ||
	fail "$lib: maintainer scripts (ldconfig is a trigger)"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has "$lib" -rw-r--r-- "usr/lib/$multiarch/libzhitong.so.$soversion.${version#*.*.}"
grep -q "^lrwxrwxrwx ./usr/lib/$multiarch/libzhitong.so.$soversion\$" <<<"$(contents "$lib")" || fail "$lib: no SONAME link"
has "$lib" -rw-r--r-- "usr/share/doc/$lib/copyright"

# --- the development files ----------------------------------------------------------
expect "libzhitong-dev: section" "$(field libzhitong-dev Section)" libdevel
[[ $(field libzhitong-dev Depends) == "$lib (= $version), "*libxml2-dev* ]] ||
	fail "libzhitong-dev: Depends '$(field libzhitong-dev Depends)'"
for h in "$src"/engine/include/zhitong/*.h "$src"/gateways/include/zhitong/gateway.h; do
	has libzhitong-dev -rw-r--r-- "usr/include/zhitong/$(basename "$h")"
done
has libzhitong-dev -rw-r--r-- "usr/lib/$multiarch/libzhitong.a"
has libzhitong-dev -rw-r--r-- "usr/lib/$multiarch/pkgconfig/zhitong.pc"
dpkg-deb -x "$debs/libzhitong-dev_${version}_$arch.deb" "$scratch/dev"
pc=$scratch/dev/usr/lib/$multiarch/pkgconfig/zhitong.pc
expect "zhitong.pc libdir" "$(PKG_CONFIG_PATH=${pc%/*} pkg-config --variable=libdir zhitong)" "/usr/lib/$multiarch"
expect "zhitong.pc includedir" "$(PKG_CONFIG_PATH=${pc%/*} pkg-config --variable=includedir zhitong)" /usr/include
! grep -q '\.debug_' <<<"$(readelf -W -S "$scratch/dev/usr/lib/$multiarch/libzhitong.a")" || fail "libzhitong.a: debugging information"

# --- lintian -----------------------------------------------------------------
lintian_out=$(lintian --fail-on error,warning --info --display-info --pedantic "$debs"/*.deb 2>&1) ||
	fail "lintian reports errors or warnings"
grep -v 'running with root privileges' <<<"$lintian_out" | grep -v '^N:' || true
! grep -q 'unused-override\|mismatched-override' <<<"$lintian_out" || fail "a lintian override matches nothing"
! grep -q '^[EW]:' <<<"$lintian_out" || fail "lintian: errors or warnings"
echo "lintian: $(grep -c '^[EWIP]:' <<<"$lintian_out" || true) tag(s) beyond the overrides (errors and warnings: $(grep -c '^[EW]:' <<<"$lintian_out" || true))"
finish
