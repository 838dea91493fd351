#!/usr/bin/env bash
# The throwaway server of the CTest fixture 'pg' (pg-harness, started by the
# test pg_start, stopped by pg_stop) works as the tests need it: reachable
# through the environment file's connection string, tables made and
# dropped, a Unix socket in a private directory and no TCP, run by an
# unprivileged user, passwords required.
#   test-harness.sh ENV-FILE
source "$(dirname "$0")/../install/common.sh"
envfile=$1
[[ -f $envfile ]] || { echo "FAIL: no $envfile (the fixture pg_start did not run)" >&2; exit 1; }
while IFS='=' read -r k v; do
	export "$k=$v"
done <"$envfile"
[[ -n ${ZHITONG_TEST_PG:-} ]] || fail "no ZHITONG_TEST_PG in $envfile"
psql() { command psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

expect "SELECT 1" "$(psql "$ZHITONG_TEST_PG" -c 'SELECT 1')" 1
expect "connected as" "$(psql "$ZHITONG_TEST_PG" -c 'SELECT current_user || $$@$$ || current_database()')" zhitong@zhitong
psql "$ZHITONG_TEST_PG" <<'SQL' || fail "create, fill and drop a table"
CREATE TABLE harness_probe (id integer PRIMARY KEY, amount_fen bigint NOT NULL CHECK (amount_fen >= 0));
INSERT INTO harness_probe VALUES (1, 1050000), (2, 1);
SQL
expect "the table's sum" "$(psql "$ZHITONG_TEST_PG" -c 'SELECT sum(amount_fen) FROM harness_probe')" 1050001
! psql "$ZHITONG_TEST_PG" -c 'INSERT INTO harness_probe VALUES (3, -1)' 2>/dev/null || fail "a CHECK constraint did not hold"
psql "$ZHITONG_TEST_PG" -c 'DROP TABLE harness_probe' || fail "drop the table"
expect "the table is gone" "$(psql "$ZHITONG_TEST_PG" -c "SELECT count(*) FROM pg_tables WHERE tablename = 'harness_probe'")" 0
# libpq's defaults from the same file (PGHOST, PGUSER, PGDATABASE, PGPASSFILE).
expect "psql with PG* defaults" "$(psql -c 'SELECT 2')" 2

# Private: a Unix socket only, in a directory of mode 0700.
expect "listen_addresses" "$(psql "$ZHITONG_TEST_PG" -c 'SHOW listen_addresses')" ""
expect "socket directory" "$(psql "$ZHITONG_TEST_PG_ADMIN" -c 'SHOW unix_socket_directories')" "$PGHOST"
expect "socket directory mode" "$(stat -c %a "$PGHOST")" 700
expect "fsync (a throwaway server)" "$(psql "$ZHITONG_TEST_PG" -c 'SHOW fsync')" off
expect "synchronous_commit" "$(psql "$ZHITONG_TEST_PG" -c 'SHOW synchronous_commit')" on
# An unprivileged server: its files are not root's.
owner=$(stat -c %U "$PGHOST/data")
[[ $owner != root ]] || fail "the server runs as root"
[[ $(id -u) -ne 0 || $owner == zhitong-test ]] || fail "the server runs as '$owner', not zhitong-test"
# Roles: the test role is no superuser; the admin role is.
expect "zhitong is no superuser" "$(psql "$ZHITONG_TEST_PG" -c 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" f
expect "zhitong_admin is one" "$(psql "$ZHITONG_TEST_PG_ADMIN" -c 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" t
# Passwords are required: without the password file, no connection.
! PGPASSFILE=/dev/null command psql -X -w -At "postgresql:///zhitong?host=$PGHOST&user=zhitong" -c 'SELECT 1' 2>/dev/null ||
	fail "connected without a password"
[[ $(stat -c %a "$PGPASSFILE") == 600 ]] || fail "the password file is not mode 0600"
finish
