# zabbix.sh - a real Zabbix 6.0 on loopback for integration tests; source it from bash.
#
#   zabbix_up DIR PORT_BASE   brings up, in DIR (new or empty, best on tmpfs, its parents
#                             open to the users postgres and zabbix):
#                             a private PostgreSQL 15 cluster on PORT_BASE, the frontend's
#                             JSON-RPC API under `php -S` on PORT_BASE+1, zabbix_server
#                             (trapper) on PORT_BASE+2 and zabbix_agentd on PORT_BASE+3, all
#                             on 127.0.0.1; then seeds them through the API (below).
#                             Returns non-zero with a message on stderr if anything fails;
#                             zabbix_logs DIR then shows the servers' logs.
#   zabbix_down DIR           stops whatever zabbix_up started in DIR, by PID, and removes
#                             DIR. Safe to call after a partial zabbix_up, and twice.
#   zbx_api METHOD PARAMS     one API call with $ZBX_AUTH; prints the result as compact
#                             JSON, or the error on stderr and returns 1.
#   zbx_send LINE...          zabbix_sender input lines ("host key value", or with -T as
#                             the first argument "host key clock value"); returns 1 unless
#                             the server processed every value.
#   zbx_sql QUERY             a query on Zabbix's database, rows as psql -At prints them.
#
# Seeded through the API: host sitrep-test-host (group "Linux servers", agent interface on
# our zabbix_agentd) with trapper items sitrep.cpu (float), sitrep.status (unsigned) and
# sitrep.load (float, no trigger: history only), an agent item agent.ping (1 s), triggers
# "last(sitrep.cpu)>90" (priority 4) and "last(sitrep.status)=0" (priority 5), both with
# manual close, and an API token for Admin. Admin's password is set to a random one. The
# default host "Zabbix server" is disabled, so that it raises no problems of its own.
#
# Set after zabbix_up: ZBX_URL (…/api_jsonrpc.php), ZBX_PG_PORT, ZBX_WEB_PORT,
# ZBX_SERVER_PORT, ZBX_AGENT_PORT, ZBX_USER, ZBX_PASSWORD, ZBX_TOKEN, ZBX_TOKENID,
# ZBX_AUTH (= ZBX_TOKEN), ZBX_HOST, ZBX_HOSTID, ZBX_ITEMID_{CPU,STATUS,LOAD,PING},
# ZBX_TRIGGERID_{CPU,STATUS}, ZBX_VERSION (the API's) and ZBX_DIR.
#
# The pristine database (Debian's schema.sql, images.sql, data.sql: 12-17 s of INSERTs) is
# kept as a pg_dump under ${XDG_CACHE_HOME:-$HOME/.cache}/sitrep/, keyed by the versions of
# zabbix-server-pgsql and PostgreSQL, and restored from there in about a second on later
# runs; ZBX_DUMP_CACHE=DIR moves the cache, ZBX_DUMP_CACHE= (empty) does without. Needs
# root (PostgreSQL runs as postgres, the Zabbix daemons drop to zabbix) and the packages
# tools/install-deps.sh installs. Measured here: about 3 s up with the dump (11 s
# without), 1.5 s down, most of it zabbix_server flushing its caches.

# shellcheck disable=SC2034 # the ZBX_ variables are for the caller
ZBX_PGBIN=${ZBX_PGBIN:-/usr/lib/postgresql/15/bin}

_zbx_err() { echo "zabbix: $*" >&2; }

# _zbx_alive PID: the process exists and is not a zombie (PID 1 here reaps orphans late).
_zbx_alive() {
	local stat
	[ -n "${1:-}" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# _zbx_pid FILE COMM: the PID in FILE if that process runs and is named COMM.
_zbx_pid() {
	local pid
	pid=$(head -n1 "$1" 2>/dev/null) || return 1
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	_zbx_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && echo "$pid"
}

# _zbx_tree PID: PID and its descendants.
_zbx_tree() {
	local c
	echo "$1"
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do _zbx_tree "$c"; done
}

# _zbx_port_open PORT: something accepts connections on 127.0.0.1:PORT.
_zbx_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# _zbx_wait SECONDS PID DESCRIPTION COMMAND...: polls COMMAND every 0.1 s; fails early if
# PID (when not empty) dies.
_zbx_wait() {
	local n=$(($1 * 10)) pid=$2 what=$3
	shift 3
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		if [ -n "$pid" ] && ! _zbx_alive "$pid"; then
			_zbx_err "$what: the process exited"
			return 1
		fi
		sleep 0.1
		n=$((n - 1))
	done
	_zbx_err "$what: not within $1 s"
	return 1
}

_zbx_psql() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$ZBX_PG_PORT" "$@"; }
zbx_sql() { _zbx_psql -At -U zabbix zabbix -c "$1"; }

zbx_api() {
	local body resp
	body=$(jq -cn --arg m "$1" --argjson p "$2" --arg a "${ZBX_AUTH:-}" \
		'{jsonrpc: "2.0", method: $m, params: $p, id: 1} + (if $a == "" then {} else {auth: $a} end)') ||
		return 1
	resp=$(curl -sS --max-time 30 -H 'Content-Type: application/json-rpc' -d "$body" "$ZBX_URL") || return 1
	if jq -e 'has("result")' <<<"$resp" >/dev/null 2>&1; then
		jq -c .result <<<"$resp"
	else
		_zbx_err "$1: ${resp:-empty response}"
		return 1
	fi
}

zbx_send() {
	local opt="" out
	[ "${1:-}" = -T ] && opt=-T && shift
	out=$(printf '%s\n' "$@" | zabbix_sender -z 127.0.0.1 -p "$ZBX_SERVER_PORT" $opt -i - 2>&1)
	case "$out" in
	*"failed: 0;"*) return 0 ;;
	*) return 1 ;;
	esac
}

zabbix_logs() {
	local f
	for f in "$1"/log/* "$1"/run/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f"
		tail -n 25 "$f"
	done
}

# The dump of the pristine database, made on first use.
_zbx_load_db() {
	local key dump="" cache=${ZBX_DUMP_CACHE-${XDG_CACHE_HOME:-$HOME/.cache}/sitrep}
	key=$(dpkg-query -W -f='${Version}' zabbix-server-pgsql 2>/dev/null | tr -c 'A-Za-z0-9.+\n-' _)
	[ -n "$cache" ] && [ -n "$key" ] &&
		dump="$cache/zabbix-$key-pg$("$ZBX_PGBIN/pg_ctl" --version | sed 's/.* \([0-9]*\).*/\1/').dump"
	if [ -n "$dump" ] && [ -s "$dump" ]; then
		pg_restore -h 127.0.0.1 -p "$ZBX_PG_PORT" -U zabbix -d zabbix --no-owner --exit-on-error "$dump" \
			2>>"$ZBX_DIR/log/db-load.log" && return 0
		_zbx_err "restoring $dump failed; loading the SQL instead"
		_zbx_psql -U postgres -c 'DROP DATABASE zabbix' \
			-c "CREATE DATABASE zabbix OWNER zabbix ENCODING 'UTF8' TEMPLATE template0" || return 1
	fi
	local f
	for f in schema images data; do
		[ -r "/usr/share/zabbix-server-pgsql/$f.sql.gz" ] || {
			_zbx_err "/usr/share/zabbix-server-pgsql/$f.sql.gz is missing"
			return 1
		}
	done
	zcat /usr/share/zabbix-server-pgsql/{schema,images,data}.sql.gz |
		_zbx_psql -U zabbix zabbix >>"$ZBX_DIR/log/db-load.log" 2>&1 || {
		_zbx_err "loading the Zabbix schema failed (log/db-load.log)"
		return 1
	}
	if [ -n "$dump" ] && mkdir -p "$cache"; then
		pg_dump -Fc -Z1 -h 127.0.0.1 -p "$ZBX_PG_PORT" -U zabbix zabbix >"$dump.$$" &&
			mv -f "$dump.$$" "$dump" || rm -f "$dump.$$"
	fi
	return 0
}

_zbx_version() {
	local r
	r=$(zbx_api apiinfo.version '{}') && ZBX_VERSION=$(jq -er . <<<"$r")
}

_zbx_configs() {
	local d=$1 run=$1/run
	cat >"$d/zabbix_server.conf" <<CONF
ListenIP=127.0.0.1
ListenPort=$ZBX_SERVER_PORT
LogFile=$run/zabbix_server.log
LogFileSize=0
PidFile=$run/zabbix_server.pid
SocketDir=$run
DBHost=127.0.0.1
DBPort=$ZBX_PG_PORT
DBName=zabbix
DBUser=zabbix
DBPassword=zabbix
CacheUpdateFrequency=1
HousekeepingFrequency=0
StartPollers=1
StartPollersUnreachable=1
StartPreprocessors=1
StartHistoryPollers=1
StartTrappers=2
StartPingers=0
StartDiscoverers=0
StartHTTPPollers=0
StartTimers=1
StartEscalators=1
StartAlerters=1
StartDBSyncers=1
StartLLDProcessors=1
StartProxyPollers=0
StartReportWriters=0
StartIPMIPollers=0
StartJavaPollers=0
StartVMwareCollectors=0
StartSNMPTrapper=0
Timeout=3
CONF
	cat >"$d/zabbix_agentd.conf" <<CONF
ListenIP=127.0.0.1
ListenPort=$ZBX_AGENT_PORT
Server=127.0.0.1
ServerActive=
Hostname=$ZBX_HOST
StartAgents=1
LogFile=$run/zabbix_agentd.log
LogFileSize=0
PidFile=$run/zabbix_agentd.pid
CONF
	cat >"$d/zabbix.conf.php" <<CONF
<?php
\$DB['TYPE'] = 'POSTGRESQL'; \$DB['SERVER'] = '127.0.0.1'; \$DB['PORT'] = '$ZBX_PG_PORT';
\$DB['DATABASE'] = 'zabbix'; \$DB['USER'] = 'zabbix'; \$DB['PASSWORD'] = 'zabbix'; \$DB['SCHEMA'] = '';
\$DB['ENCRYPTION'] = false; \$DB['KEY_FILE'] = ''; \$DB['CERT_FILE'] = ''; \$DB['CA_FILE'] = '';
\$DB['VERIFY_HOST'] = false; \$DB['CIPHER_LIST'] = ''; \$DB['VAULT_URL'] = ''; \$DB['VAULT_DB_PATH'] = '';
\$DB['VAULT_TOKEN'] = ''; \$DB['DOUBLE_IEEE754'] = true;
\$ZBX_SERVER = '127.0.0.1'; \$ZBX_SERVER_PORT = '$ZBX_SERVER_PORT'; \$ZBX_SERVER_NAME = 'sitrep-test';
\$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
CONF
	chmod 644 "$d/zabbix_server.conf" "$d/zabbix_agentd.conf" "$d/zabbix.conf.php"
}

_zbx_seed() {
	local r groupid
	r=$(zbx_api user.login '{"username": "Admin", "password": "zabbix"}') || return 1
	ZBX_AUTH=$(jq -r . <<<"$r")
	# The default host would raise problems of its own (and be polled on 10050).
	r=$(zbx_api host.get '{"output": ["hostid"], "filter": {"host": ["Zabbix server"]}}') || return 1
	r=$(jq -r '.[0].hostid // empty' <<<"$r")
	if [ -n "$r" ]; then
		zbx_api host.update "{\"hostid\": \"$r\", \"status\": 1}" >/dev/null || return 1
	fi
	r=$(zbx_api hostgroup.get '{"output": ["groupid"], "filter": {"name": ["Linux servers"]}}') || return 1
	groupid=$(jq -r '.[0].groupid' <<<"$r")
	r=$(zbx_api host.create "$(jq -cn --arg h "$ZBX_HOST" --arg g "$groupid" --arg p "$ZBX_AGENT_PORT" '{
		host: $h, groups: [{groupid: $g}], tags: [{tag: "env", value: "test"}],
		interfaces: [{type: 1, main: 1, useip: 1, ip: "127.0.0.1", dns: "", port: $p}]}')") || return 1
	ZBX_HOSTID=$(jq -r '.hostids[0]' <<<"$r")
	r=$(zbx_api host.get "{\"hostids\": [\"$ZBX_HOSTID\"], \"selectInterfaces\": [\"interfaceid\"]}") || return 1
	local ifid
	ifid=$(jq -r '.[0].interfaces[0].interfaceid' <<<"$r")
	r=$(zbx_api item.create "$(jq -cn --arg h "$ZBX_HOSTID" --arg i "$ifid" '[
		{hostid: $h, name: "sitrep CPU", key_: "sitrep.cpu", type: 2, value_type: 0, units: "%"},
		{hostid: $h, name: "sitrep status", key_: "sitrep.status", type: 2, value_type: 3},
		{hostid: $h, name: "sitrep load", key_: "sitrep.load", type: 2, value_type: 0},
		{hostid: $h, name: "Agent ping", key_: "agent.ping", type: 0, value_type: 3, delay: "1s",
		 interfaceid: $i}]')") || return 1
	ZBX_ITEMID_CPU=$(jq -r '.itemids[0]' <<<"$r")
	ZBX_ITEMID_STATUS=$(jq -r '.itemids[1]' <<<"$r")
	ZBX_ITEMID_LOAD=$(jq -r '.itemids[2]' <<<"$r")
	ZBX_ITEMID_PING=$(jq -r '.itemids[3]' <<<"$r")
	r=$(zbx_api trigger.create "$(jq -cn --arg h "$ZBX_HOST" '[
		{description: "sitrep CPU above 90% on {HOST.NAME}", expression: "last(/\($h)/sitrep.cpu)>90",
		 priority: 4, manual_close: 1, tags: [{tag: "service", value: "web"}]},
		{description: "sitrep status down on {HOST.NAME}", expression: "last(/\($h)/sitrep.status)=0",
		 priority: 5, manual_close: 1, tags: [{tag: "service", value: "web"}]}]')") || return 1
	ZBX_TRIGGERID_CPU=$(jq -r '.triggerids[0]' <<<"$r")
	ZBX_TRIGGERID_STATUS=$(jq -r '.triggerids[1]' <<<"$r")
	r=$(zbx_api token.create '{"name": "sitrep-test", "userid": "1"}') || return 1
	ZBX_TOKENID=$(jq -r '.tokenids[0]' <<<"$r")
	r=$(zbx_api token.generate "[\"$ZBX_TOKENID\"]") || return 1
	ZBX_TOKEN=$(jq -r '.[0].token' <<<"$r")
	# A password nothing else contains, so a test can look for it in output and logs.
	ZBX_PASSWORD=Zbx-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	zbx_api user.update "{\"userid\": \"1\", \"passwd\": \"$ZBX_PASSWORD\"}" >/dev/null || return 1
	zbx_api user.logout '[]' >/dev/null 2>&1
	ZBX_AUTH=$ZBX_TOKEN
	[ ${#ZBX_TOKEN} = 64 ] || {
		_zbx_err "token.generate gave no token"
		return 1
	}
}

zabbix_up() {
	local d=$1 base=$2 f
	ZBX_DIR=$d ZBX_PG_PORT=$base ZBX_WEB_PORT=$((base + 1))
	ZBX_SERVER_PORT=$((base + 2)) ZBX_AGENT_PORT=$((base + 3))
	ZBX_URL=http://127.0.0.1:$ZBX_WEB_PORT/api_jsonrpc.php
	ZBX_USER=Admin ZBX_HOST=sitrep-test-host ZBX_AUTH=""
	[ "$(id -u)" = 0 ] || {
		_zbx_err "needs root (PostgreSQL runs as postgres, the daemons as zabbix)"
		return 1
	}
	for f in "$ZBX_PGBIN/initdb" "$ZBX_PGBIN/pg_ctl" /usr/sbin/zabbix_server /usr/sbin/zabbix_agentd \
		/usr/bin/zabbix_sender /usr/bin/zabbix_get /usr/bin/php /usr/bin/psql /usr/bin/pg_restore /usr/bin/jq /usr/bin/curl \
		/usr/share/zabbix/api_jsonrpc.php; do
		[ -e "$f" ] || {
			_zbx_err "$f is missing (make check installs it: tools/install-deps.sh)"
			return 1
		}
	done
	php -r 'exit(extension_loaded("pgsql") ? 0 : 1);' || {
		_zbx_err "PHP has no pgsql extension (php-pgsql)"
		return 1
	}
	for f in "$ZBX_PG_PORT" "$ZBX_WEB_PORT" "$ZBX_SERVER_PORT" "$ZBX_AGENT_PORT"; do
		! _zbx_port_open "$f" || {
			_zbx_err "port $f on 127.0.0.1 is already in use"
			return 1
		}
	done
	# zabbix_down removes only directories carrying this mark.
	mkdir -p "$d" && touch "$d/.sitrep-zabbix" || return 1
	chmod 755 "$d"
	runuser -u postgres -- test -x "$d" || {
		_zbx_err "$d: users postgres and zabbix need to reach it (a parent is not 755?)"
		return 1
	}
	mkdir -p "$d/log"
	install -d -o postgres -g postgres -m 700 "$d/pgdata"
	install -d -o postgres -g postgres -m 755 "$d/pgsock"
	install -d -o zabbix -g zabbix -m 755 "$d/run"

	# PostgreSQL: trust on loopback, no durability.
	runuser -u postgres -- "$ZBX_PGBIN/initdb" -D "$d/pgdata" -U postgres --auth=trust -E UTF8 \
		--locale=C.UTF-8 -N >"$d/log/initdb.log" 2>&1 || {
		_zbx_err "initdb failed"
		return 1
	}
	install -o postgres -g postgres -m 644 /dev/null "$d/log/postgres.log"
	runuser -u postgres -- "$ZBX_PGBIN/pg_ctl" -D "$d/pgdata" -l "$d/log/postgres.log" -w -t 30 start \
		-o "-c listen_addresses=127.0.0.1 -p $ZBX_PG_PORT -k $d/pgsock -c fsync=off \
		-c synchronous_commit=off -c full_page_writes=off" >/dev/null || {
		_zbx_err "PostgreSQL did not start on port $ZBX_PG_PORT"
		return 1
	}
	_zbx_psql -U postgres -c "CREATE ROLE zabbix LOGIN PASSWORD 'zabbix'" \
		-c "CREATE DATABASE zabbix OWNER zabbix ENCODING 'UTF8' TEMPLATE template0" || return 1
	_zbx_load_db || return 1

	_zbx_configs "$d"
	# The frontend: a private copy whose CConfigFile.php points at our config. The
	# file is replaced, never edited, in case the copy is made of hard links.
	cp -al /usr/share/zabbix "$d/web" 2>/dev/null || {
		rm -rf "$d/web"
		cp -a /usr/share/zabbix "$d/web"
	} || return 1
	f=$d/web/include/classes/core/CConfigFile.php
	sed "s#const CONFIG_FILE_PATH = .*#const CONFIG_FILE_PATH = '$d/zabbix.conf.php';#" \
		/usr/share/zabbix/include/classes/core/CConfigFile.php >"$f.new" && mv -f "$f.new" "$f" || return 1
	PHP_CLI_SERVER_WORKERS=2 php -d memory_limit=512M -d post_max_size=16M -d max_execution_time=300 \
		-d date.timezone=UTC -S "127.0.0.1:$ZBX_WEB_PORT" -t "$d/web" >"$d/log/php.log" 2>&1 </dev/null &
	echo $! >"$d/php.pid"

	zabbix_server -c "$d/zabbix_server.conf" >"$d/log/zabbix_server.out" 2>&1 </dev/null || {
		_zbx_err "zabbix_server did not start"
		return 1
	}
	zabbix_agentd -c "$d/zabbix_agentd.conf" >"$d/log/zabbix_agentd.out" 2>&1 </dev/null || {
		_zbx_err "zabbix_agentd did not start"
		return 1
	}
	_zbx_wait 30 "$(cat "$d/php.pid")" "the API on port $ZBX_WEB_PORT" _zbx_version || return 1
	_zbx_wait 10 "" "zabbix_server's pid file" _zbx_pid "$d/run/zabbix_server.pid" zabbix_server || return 1
	_zbx_wait 30 "$(_zbx_pid "$d/run/zabbix_server.pid" zabbix_server)" \
		"zabbix_server on port $ZBX_SERVER_PORT" _zbx_port_open "$ZBX_SERVER_PORT" || return 1
	_zbx_wait 10 "" "zabbix_agentd's pid file" _zbx_pid "$d/run/zabbix_agentd.pid" zabbix_agentd || return 1
	_zbx_wait 30 "$(_zbx_pid "$d/run/zabbix_agentd.pid" zabbix_agentd)" \
		"zabbix_agentd on port $ZBX_AGENT_PORT" _zbx_port_open "$ZBX_AGENT_PORT" || return 1
	f=$(zabbix_get -s 127.0.0.1 -p "$ZBX_AGENT_PORT" -k agent.ping 2>&1)
	[ "$f" = 1 ] || {
		_zbx_err "zabbix_agentd does not answer agent.ping: $f"
		return 1
	}
	_zbx_seed
}

zabbix_down() {
	local d=$1 p term="" all="" left n=300 php
	[ -f "$d/.sitrep-zabbix" ] || return 0
	# php -S with workers: the workers outlive a SIGTERM to their parent, so each gets
	# one. The Zabbix daemons stop their own children.
	if php=$(_zbx_pid "$d/php.pid" php); then
		term=$(_zbx_tree "$php")
		all=$term
	fi
	for p in zabbix_server zabbix_agentd; do
		if p=$(_zbx_pid "$d/run/$p.pid" $p); then
			term="$term $p"
			all="$all $(_zbx_tree "$p")"
		fi
	done
	# shellcheck disable=SC2086
	[ -n "$term" ] && kill -TERM $term 2>/dev/null
	while :; do
		left=""
		for p in $all; do _zbx_alive "$p" && left="$left $p"; done
		[ -z "$left" ] && break
		if [ $n -le 0 ]; then
			_zbx_err "killing$left"
			# shellcheck disable=SC2086
			kill -KILL $left 2>/dev/null
			break
		fi
		sleep 0.1
		n=$((n - 1))
	done
	[ -n "$php" ] && wait "$php" 2>/dev/null
	if [ -f "$d/pgdata/postmaster.pid" ]; then
		runuser -u postgres -- "$ZBX_PGBIN/pg_ctl" -D "$d/pgdata" -m immediate -w -t 30 stop \
			>/dev/null 2>&1 || {
			p=$(_zbx_pid "$d/pgdata/postmaster.pid" postgres) && kill -KILL "$p"
		}
	fi
	rm -rf "$d"
}
