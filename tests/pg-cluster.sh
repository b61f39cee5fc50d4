#!/bin/sh
# SPDX-License-Identifier: MIT
# A throwaway PostgreSQL cluster for the tests (Debian's postgresql package; ENVIRONMENT.md's
# recipe). The server refuses to run as root: as root it runs as the postgres user the package
# made, in a folder that user owns; as anyone else, as that user. It listens on a Unix socket in
# the cluster's folder (so that clusters in other folders never collide) and, when asked, on a
# loopback TCP port too; it trusts local connections for the role "mesh", and is stopped by the
# pid in its postmaster.pid.
# Every failure says why and exits non-zero: a test that needs PostgreSQL fails, never skips.
#
# Usage: sh tests/pg-cluster.sh COMMAND DIR [NAME]
#   start DIR [PORT] make the cluster in DIR (DIR/data) unless it is there, and start it; with
#                    PORT also on 127.0.0.1:PORT (0: a free port). A restart keeps the port.
#   fresh DIR [PORT] stop a server left running in DIR, remove DIR, and start a new cluster
#   stop DIR         stop it (SIGINT: fast shutdown; SIGKILL after 20 s); nothing to stop is fine
#   createdb DIR NAME  a new, empty database NAME (letters, digits, '_') for the role mesh
#   dropdb DIR NAME  drop it, forcing its connections closed
#   uri DIR [NAME]   print the libpq URI of database NAME (default: postgres), on the socket
#   tcp-uri DIR [NAME]  the same over TCP (a cluster started with a PORT)
#   pid DIR          print the server's pid
# From a script: PG=tests/pg-cluster.sh; sh $PG start "$D" && sh $PG createdb "$D" portal &&
# URI=$(sh $PG uri "$D" portal). DIR's parents must be searchable by the postgres user (under
# /tmp, or a build folder in a world-searchable tree).
set -eu

die() {
	echo "pg-cluster: $*" >&2
	exit 1
}

[ $# -ge 2 ] || die "usage: pg-cluster.sh start|fresh|stop|createdb|dropdb|uri|tcp-uri|pid DIR [NAME|PORT]"
cmd=$1
dir=$2
name=${3:-postgres}
tcp=${3:-}
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
# The newest installed server (Debian: /usr/lib/postgresql/VERSION/bin).
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] && [ -x "$bin/initdb" ] ||
	die "no PostgreSQL server installed: install Debian's postgresql (tools/deps.sh does)"
# The socket's path must fit in sun_path (107 bytes).
[ ${#dir} -le 80 ] || die "$dir is too long a path for a Unix socket: use a shorter folder"

# as_server CMD...: CMD as the user the server runs as.
as_server() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

check_name() {
	case $name in
	'' | *[!A-Za-z0-9_]*) die "'$name' is not a database name for the tests (letters, digits, _)" ;;
	esac
}

server_pid() {
	[ -f "$dir/data/postmaster.pid" ] && head -n 1 "$dir/data/postmaster.pid"
}

# psql_admin SQL: run SQL on the maintenance database as mesh, over the socket.
psql_admin() {
	"$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$(cat "$dir/port" 2>/dev/null || echo 5432)" \
		-U mesh -d postgres -c "$1" >"$dir/psql.out" 2>&1 ||
		die "$1 failed: $(cat "$dir/psql.out")"
}

# stop_server: stop the server of $dir by its pid, if one runs.
stop_server() {
	pid=$(server_pid || true)
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || return 0
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	die "the server (pid $pid) did not stop in 20 s: killed"
}

case $cmd in
fresh)
	stop_server
	rm -rf "$dir"
	exec sh "$0" start "$dir" $tcp
	;;
start)
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 ||
			die "no postgres user: install Debian's postgresql (tools/deps.sh does)"
		mkdir -p "$dir"
		chown postgres "$dir"
	else
		mkdir -p "$dir"
	fi
	chmod 700 "$dir"
	as_server test -w "$dir" ||
		die "the server's user cannot write to $dir: choose a folder whose parents it can search (e.g. under /tmp)"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		# --no-sync: a test cluster need not survive a power cut while it is made (≈ 1 s).
		as_server "$bin/initdb" -D "$dir/data" -A trust -U mesh --no-sync -E UTF8 --no-locale \
			>"$dir/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$dir/initdb.log")"
	fi
	pid=$(server_pid || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		die "a server runs in $dir already (pid $pid): stop it first"
	fi
	# The socket in $dir (the port names the socket file); TCP on loopback when asked, on the
	# port of the first start when restarted.
	listen=
	if [ -n "$tcp" ] && [ ! -f "$dir/port" ]; then
		case $tcp in
		*[!0-9]*) die "'$tcp' is not a port number" ;;
		0) tcp=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ;;
		esac
		echo "$tcp" >"$dir/port"
		echo 127.0.0.1 >"$dir/listen"
	fi
	[ -f "$dir/listen" ] && listen=$(cat "$dir/listen")
	port=$(cat "$dir/port" 2>/dev/null || echo 5432)
	as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -k $dir -c listen_addresses=$listen -c max_connections=200" start \
		>"$dir/pg_ctl.log" 2>&1 ||
		die "the server did not start: $(tail -n 5 "$dir/server.log" 2>/dev/null)"
	;;
stop)
	stop_server
	;;
createdb)
	check_name
	psql_admin "CREATE DATABASE $name"
	;;
dropdb)
	check_name
	psql_admin "DROP DATABASE IF EXISTS $name WITH (FORCE)"
	;;
uri)
	check_name
	# The socket folder as the host parameter, percent-encoded: '/' always, every byte when
	# the path holds anything but letters, digits and ._-
	case $dir in
	*[!A-Za-z0-9._/-]*) host=$(printf '%s' "$dir" | od -An -tx1 -v | tr -d ' \n' | sed 's/\(..\)/%\1/g') ;;
	*) host=$(printf '%s' "$dir" | sed 's|/|%2F|g') ;;
	esac
	echo "postgresql://mesh@/$name?host=$host&port=$(cat "$dir/port" 2>/dev/null || echo 5432)"
	;;
tcp-uri)
	check_name
	[ -f "$dir/listen" ] || die "the cluster in $dir listens on no TCP port: start it with one"
	echo "postgresql://mesh@127.0.0.1:$(cat "$dir/port")/$name"
	;;
pid)
	pid=$(server_pid || true)
	[ -n "$pid" ] || die "no server runs in $dir"
	echo "$pid"
	;;
*)
	die "unknown command '$cmd' (start, fresh, stop, createdb, dropdb, uri, tcp-uri, pid)"
	;;
esac
