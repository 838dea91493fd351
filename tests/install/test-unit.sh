#!/usr/bin/env bash
# The systemd unit of `zhitong serve`: `systemd-analyze verify` accepts it,
# it has the hardening the service is meant to run with, and
# `systemd-analyze security` rates its exposure at most 2.0 ("OK").
#   test-unit.sh ZHITONG.SERVICE ZHITONG
source "$(dirname "$0")/common.sh"
unit=$1
zhitong=$(realpath "$2")

# verify checks that ExecStart's program exists: point it at the built one.
grep -q '^ExecStart=/[^ ]*/zhitong --db /var/lib/zhitong/zhitong.db --config /[^ ]*/zhitong.conf serve$' "$unit" ||
	fail "ExecStart is not 'zhitong --db /var/lib/zhitong/zhitong.db --config .../zhitong.conf serve'"
sed "s|^ExecStart=/[^ ]*/zhitong |ExecStart=$zhitong |" "$unit" >"$scratch/zhitong.service"
out=$(systemd-analyze verify --man=no "$scratch/zhitong.service" 2>&1) || fail "systemd-analyze verify: $out"
[[ -z $out ]] || fail "systemd-analyze verify: $out"

for d in User=zhitong Group=zhitong StateDirectory=zhitong StateDirectoryMode=0700 UMask=0077 \
         NoNewPrivileges=yes CapabilityBoundingSet= ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
         PrivateDevices=yes MemoryDenyWriteExecute=yes SystemCallFilter=@system-service \
         "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" SystemCallArchitectures=native \
         WantedBy=multi-user.target; do
	grep -qx -- "$d" "$unit" && echo "ok: $d" || fail "no '$d'"
done
! grep -q '^DynamicUser=yes' "$unit" || fail "DynamicUser: the user is the package's system user"
! grep -q '^ExecReload=' "$unit" || fail "ExecReload: the service has no reload"

security=$(systemd-analyze security --offline=yes --no-pager "$scratch/zhitong.service" 2>&1 | tail -1)
echo "$security"
score=$(sed -n 's/.*Overall exposure level for zhitong.service: \([0-9.]*\).*/\1/p' <<<"$security")
[[ -n $score ]] || fail "no exposure level in: $security"
awk -v s="${score:-10}" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure level $score is above 2.0"
finish
