# shellcheck shell=bash
#
# PostgreSQL 15 helpers for Corral deployments.
#
# Meant to be sourced; defines functions only and has no side effects when
# sourced. Safe under `set -euo pipefail`. Must run as root (the server is
# run as the `postgres` OS user through runuser), or as `postgres` itself.
#
# Layout of a cluster managed here:
#   DATA_DIR               data directory, owned by postgres, mode 0700
#   DATA_DIR/corral.conf   listen/port/socket settings (rewritten on start)
#   DATA_DIR/.s.PGSQL.PORT unix socket (only postgres can reach it)
#   DATA_DIR/../postgres.log  server log
#
# The server listens on 127.0.0.1:PORT only. Local (unix socket) connections
# use trust authentication; TCP connections use scram-sha-256 passwords.
#
# Functions:
#   corral_pg_ensure_installed
#   corral_pg_start DATA_DIR PORT
#   corral_pg_ensure_database DATA_DIR PORT DB USER PASSWORD
#   corral_pg_apply_schema DATA_DIR PORT DB USER SQL_DIR
#   corral_pg_stop DATA_DIR
#   corral_pg_connection_string PORT DB USER PASSWORD
#   corral_pg_log_file DATA_DIR
#
# CORRAL_PG_BIN may be set to override /usr/lib/postgresql/15/bin.
# CORRAL_PG_MAX_CONNECTIONS (default 200) sets max_connections. Every Corral process keeps its own
# connection pools, so PostgreSQL's default of 100 is tight for a cluster of several silos; a server
# already running with another value is restarted by corral_pg_start to take the new one.

# corral_secret (the test server's password) lives with the process helpers.
source "$(dirname "${BASH_SOURCE[0]}")/processes.sh"

_corral_pg_bin() {
    printf '%s\n' "${CORRAL_PG_BIN:-/usr/lib/postgresql/15/bin}"
}

_corral_pg_err() {
    printf 'corral-pg: %s\n' "$*" >&2
}

# Absolute, normalised form of a path (the path need not exist).
_corral_pg_abspath() {
    realpath -m -- "$1"
}

# Runs a command as the postgres OS user, from / so that the server and its
# tools never inherit a working directory they cannot read.
_corral_pg_as_postgres() {
    if [[ "$(id -un)" == "postgres" ]]; then
        (cd / && "$@")
    else
        (cd / && runuser -u postgres -- "$@")
    fi
}

_corral_pg_require_args() {
    local fn="$1" want="$2" got="$3" usage="$4"
    if (( got < want )); then
        _corral_pg_err "usage: ${fn} ${usage}"
        return 2
    fi
}

_corral_pg_check_port() {
    local port="$1"
    if ! [[ "$port" =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
        _corral_pg_err "invalid port: ${port}"
        return 2
    fi
}

# Creates the postgres OS user (and group) when missing.
_corral_pg_ensure_os_user() {
    if id -u postgres >/dev/null 2>&1; then
        return 0
    fi
    if [[ "$(id -u)" != "0" ]]; then
        _corral_pg_err "the postgres OS user is missing and only root can create it"
        return 1
    fi
    local group_opt=(--user-group)
    if getent group postgres >/dev/null 2>&1; then
        group_opt=(--gid postgres)
    fi
    useradd --system "${group_opt[@]}" --no-create-home \
        --home-dir /var/lib/postgresql --shell /bin/bash \
        --comment "PostgreSQL administrator" postgres
}

# Makes sure the postgres user can traverse every ancestor of PATH by adding
# the "others may traverse" bit where it is missing (no read permission is
# granted). Directories owned by postgres or already traversable are left alone.
_corral_pg_ensure_traversable() {
    local dir
    dir="$(dirname -- "$1")"
    while [[ "$dir" != "/" ]]; do
        if [[ -d "$dir" ]] && ! _corral_pg_as_postgres test -x "$dir"; then
            _corral_pg_err "granting traverse permission (o+x) on ${dir} so postgres can reach its data directory"
            chmod o+x -- "$dir" || return 1
        fi
        dir="$(dirname -- "$dir")"
    done
}

# Prints the server log path for DATA_DIR.
corral_pg_log_file() {
    _corral_pg_require_args corral_pg_log_file 1 "$#" "DATA_DIR" || return
    local data_dir
    data_dir="$(_corral_pg_abspath "$1")"
    printf '%s/postgres.log\n' "$(dirname -- "$data_dir")"
}

_corral_pg_log_tail() {
    local log_file="$1"
    if [[ -f "$log_file" ]]; then
        _corral_pg_err "last lines of ${log_file}:"
        tail -n 40 -- "$log_file" >&2 || true
    else
        _corral_pg_err "no server log at ${log_file}"
    fi
}

# 0 when a server is running on DATA_DIR, non-zero otherwise.
_corral_pg_is_running() {
    local data_dir="$1" bin
    bin="$(_corral_pg_bin)"
    [[ -f "${data_dir}/PG_VERSION" ]] || return 1
    _corral_pg_as_postgres "${bin}/pg_ctl" status -D "$data_dir" >/dev/null 2>&1
}

# Port recorded by the running postmaster (4th line of postmaster.pid).
_corral_pg_running_port() {
    local data_dir="$1"
    sed -n '4p' -- "${data_dir}/postmaster.pid" 2>/dev/null || true
}

# Installs PostgreSQL 15 from apt when its server binary is missing.
corral_pg_ensure_installed() {
    local bin
    bin="$(_corral_pg_bin)"
    if [[ -x "${bin}/postgres" ]]; then
        return 0
    fi
    _corral_pg_err "installing postgresql-15 (no server binary at ${bin}/postgres)"
    DEBIAN_FRONTEND=noninteractive apt-get update || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 || return 1
    if [[ ! -x "${bin}/postgres" ]]; then
        _corral_pg_err "postgresql-15 installed but ${bin}/postgres is still missing"
        return 1
    fi
}

# Writes DATA_DIR/corral.conf: listen address, port, socket directory and connection limit.
# Usage: _corral_pg_write_settings DATA_DIR PORT MAX_CONNECTIONS
_corral_pg_write_settings() {
    local data_dir="$1" port="$2" max_connections="$3"
    local quoted_dir="${data_dir//\'/\'\'}"
    {
        printf '# Written by corral_pg_start; changes are overwritten.\n'
        printf "listen_addresses = '127.0.0.1'\n"
        printf 'port = %s\n' "$port"
        printf 'max_connections = %s\n' "$max_connections"
        printf "unix_socket_directories = '%s'\n" "$quoted_dir"
        printf "password_encryption = 'scram-sha-256'\n"
    } > "${data_dir}/corral.conf" || return 1
    chown postgres:postgres -- "${data_dir}/corral.conf" "${data_dir}/postgresql.conf" || return 1
    chmod 0600 -- "${data_dir}/corral.conf" || return 1
}

# corral_pg_start DATA_DIR PORT
# Initialises DATA_DIR when it holds no cluster, then starts the server unless
# it is already running, and waits (up to 60 s) until it accepts connections.
corral_pg_start() {
    _corral_pg_require_args corral_pg_start 2 "$#" "DATA_DIR PORT" || return
    local data_dir port bin log_file socket_path timeout=60
    data_dir="$(_corral_pg_abspath "$1")"
    port="$2"
    bin="$(_corral_pg_bin)"
    _corral_pg_check_port "$port" || return

    if [[ ! -x "${bin}/postgres" ]]; then
        _corral_pg_err "PostgreSQL binaries not found in ${bin} (run corral_pg_ensure_installed)"
        return 1
    fi

    # Unix socket paths are limited to 107 bytes.
    socket_path="${data_dir}/.s.PGSQL.${port}"
    if (( ${#socket_path} > 107 )); then
        _corral_pg_err "data directory path too long for a unix socket: ${socket_path}"
        return 1
    fi

    _corral_pg_ensure_os_user || return 1

    log_file="$(corral_pg_log_file "$data_dir")"

    local max_connections="${CORRAL_PG_MAX_CONNECTIONS:-200}"
    if [[ ! "$max_connections" =~ ^[1-9][0-9]*$ ]]; then
        _corral_pg_err "CORRAL_PG_MAX_CONNECTIONS must be a positive integer, not '${max_connections}'"
        return 2
    fi

    # Already running: check it is the expected one, and restart it when its
    # connection limit is not the one asked for (max_connections needs a restart).
    if _corral_pg_is_running "$data_dir"; then
        local running_port running_max
        running_port="$(_corral_pg_running_port "$data_dir")"
        if [[ -n "$running_port" && "$running_port" != "$port" ]]; then
            _corral_pg_err "server on ${data_dir} is already running on port ${running_port}, not ${port}; stop it first"
            return 1
        fi
        running_max="$(_corral_pg_psql "$data_dir" "$port" postgres postgres -At -c 'SHOW max_connections' 2>/dev/null || true)"
        if [[ -n "$running_max" && "$running_max" != "$max_connections" ]]; then
            _corral_pg_write_settings "$data_dir" "$port" "$max_connections" || return 1
            if ! _corral_pg_as_postgres "${bin}/pg_ctl" restart -D "$data_dir" -l "$log_file" -m fast -w -t "$timeout" >/dev/null; then
                _corral_pg_err "pg_ctl restart failed for ${data_dir}"
                _corral_pg_log_tail "$log_file"
                return 1
            fi
        fi
    else
        mkdir -p -- "$data_dir" || return 1
        _corral_pg_ensure_traversable "$data_dir" || return 1
        chown postgres:postgres -- "$data_dir" || return 1
        chmod 0700 -- "$data_dir" || return 1

        if [[ ! -f "${data_dir}/PG_VERSION" ]]; then
            if [[ -n "$(ls -A -- "$data_dir")" ]]; then
                _corral_pg_err "${data_dir} is not empty and holds no PostgreSQL cluster"
                return 1
            fi
            local init_out
            if ! init_out="$(_corral_pg_as_postgres "${bin}/initdb" \
                    --pgdata="$data_dir" \
                    --username=postgres \
                    --auth-local=trust \
                    --auth-host=scram-sha-256 \
                    --encoding=UTF8 \
                    --locale=C 2>&1)"; then
                printf '%s\n' "$init_out" >&2
                _corral_pg_err "initdb failed for ${data_dir}"
                return 1
            fi
        fi

        # Listen settings live in corral.conf, included from postgresql.conf.
        if ! grep -q "^include_if_exists = 'corral.conf'" -- "${data_dir}/postgresql.conf"; then
            printf "\n# Corral settings (listen address, port, socket directory).\ninclude_if_exists = 'corral.conf'\n" \
                >> "${data_dir}/postgresql.conf" || return 1
        fi
        _corral_pg_write_settings "$data_dir" "$port" "$max_connections" || return 1

        # The log may live in a root-owned directory: create it for postgres.
        _corral_pg_ensure_traversable "$log_file" || return 1
        if [[ ! -e "$log_file" ]]; then
            install -m 0640 -o postgres -g postgres /dev/null "$log_file" || return 1
        else
            chown postgres:postgres -- "$log_file" || return 1
        fi

        if ! _corral_pg_as_postgres "${bin}/pg_ctl" start \
                -D "$data_dir" -l "$log_file" -w -t "$timeout" >/dev/null; then
            _corral_pg_err "pg_ctl start failed for ${data_dir}"
            _corral_pg_log_tail "$log_file"
            return 1
        fi
    fi

    # Wait until the server accepts TCP connections on 127.0.0.1:PORT.
    local deadline=$((SECONDS + timeout))
    until "${bin}/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1; do
        if (( SECONDS >= deadline )); then
            _corral_pg_err "server on ${data_dir} not ready on 127.0.0.1:${port} after ${timeout}s"
            _corral_pg_log_tail "$log_file"
            return 1
        fi
        sleep 1
    done
}

# Runs psql as the postgres OS user over the unix socket in DATA_DIR.
# Usage: _corral_pg_psql DATA_DIR PORT DB ROLE [psql args...]
_corral_pg_psql() {
    local data_dir="$1" port="$2" db="$3" role="$4" bin
    shift 4
    bin="$(_corral_pg_bin)"
    _corral_pg_as_postgres env PGOPTIONS="-c client_min_messages=warning" \
        "${bin}/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 \
        --host="$data_dir" --port="$port" --username="$role" --dbname="$db" "$@"
}

# corral_pg_ensure_database DATA_DIR PORT DB USER PASSWORD
# Creates (or updates the password of) login role USER and creates database DB
# owned by USER when missing. An existing DB is handed over to USER.
corral_pg_ensure_database() {
    _corral_pg_require_args corral_pg_ensure_database 5 "$#" "DATA_DIR PORT DB USER PASSWORD" || return
    local data_dir port db db_user db_password
    data_dir="$(_corral_pg_abspath "$1")"
    port="$2"
    db="$3"
    db_user="$4"
    db_password="$5"
    _corral_pg_check_port "$port" || return
    if [[ -z "$db" || -z "$db_user" || -z "$db_password" ]]; then
        _corral_pg_err "corral_pg_ensure_database: DB, USER and PASSWORD must not be empty"
        return 2
    fi
    if [[ "$db_user" == "postgres" ]]; then
        _corral_pg_err "corral_pg_ensure_database: refusing to manage the postgres superuser"
        return 2
    fi

    # Values travel through the environment (\getenv), never on a command line.
    # CREATE DATABASE cannot run in a transaction, so each \gexec statement
    # runs on its own (autocommit).
    CORRAL_PG_DB="$db" CORRAL_PG_ROLE="$db_user" CORRAL_PG_PASSWORD="$db_password" \
        _corral_pg_psql "$data_dir" "$port" postgres postgres <<'SQL'
\getenv corral_db CORRAL_PG_DB
\getenv corral_role CORRAL_PG_ROLE
\getenv corral_password CORRAL_PG_PASSWORD
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'corral_role', :'corral_password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'corral_role')
\gexec
SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'corral_role', :'corral_password')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'corral_db', :'corral_role', 'UTF8')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'corral_db')
\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'corral_db', :'corral_role')
\gexec
SQL
}

# corral_pg_apply_schema DATA_DIR PORT DB USER SQL_DIR
# Applies every SQL_DIR/*.sql in name order as USER (so USER owns the
# objects), each file in a single transaction, stopping at the first error.
corral_pg_apply_schema() {
    _corral_pg_require_args corral_pg_apply_schema 5 "$#" "DATA_DIR PORT DB USER SQL_DIR" || return
    local data_dir port db db_user sql_dir file
    data_dir="$(_corral_pg_abspath "$1")"
    port="$2"
    db="$3"
    db_user="$4"
    sql_dir="$5"
    _corral_pg_check_port "$port" || return
    if [[ ! -d "$sql_dir" ]]; then
        _corral_pg_err "SQL directory not found: ${sql_dir}"
        return 1
    fi

    local -a files=()
    mapfile -t files < <(find "$sql_dir" -maxdepth 1 -type f -name '*.sql' | LC_ALL=C sort)
    if (( ${#files[@]} == 0 )); then
        _corral_pg_err "no *.sql files in ${sql_dir}"
        return 1
    fi

    for file in "${files[@]}"; do
        # The file is read by this shell and fed on stdin, so postgres does not
        # need read access to the repository.
        if ! _corral_pg_psql "$data_dir" "$port" "$db" "$db_user" \
                --single-transaction --file=- < "$file"; then
            _corral_pg_err "failed to apply ${file}"
            return 1
        fi
    done
}

# corral_pg_stop DATA_DIR
# Fast shutdown of the server on DATA_DIR; a no-op when it is not running.
corral_pg_stop() {
    _corral_pg_require_args corral_pg_stop 1 "$#" "DATA_DIR" || return
    local data_dir bin
    data_dir="$(_corral_pg_abspath "$1")"
    bin="$(_corral_pg_bin)"
    if ! _corral_pg_is_running "$data_dir"; then
        return 0
    fi
    _corral_pg_as_postgres "${bin}/pg_ctl" stop -D "$data_dir" -m fast -w -t 60 >/dev/null
}

# Quotes a connection-string value when it needs it (DbConnectionStringBuilder
# rules: wrap in double quotes, double any embedded double quote).
_corral_pg_cs_value() {
    local v="$1" special='[;"'"'"'=]|^[[:space:]]|[[:space:]]$'
    if [[ "$v" =~ $special ]]; then
        v="\"${v//\"/\"\"}\""
    fi
    printf '%s' "$v"
}

# corral_pg_connection_string PORT DB USER PASSWORD
# Prints an Npgsql connection string for 127.0.0.1:PORT.
corral_pg_connection_string() {
    _corral_pg_require_args corral_pg_connection_string 4 "$#" "PORT DB USER PASSWORD" || return
    printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s;Password=%s\n' \
        "$1" "$(_corral_pg_cs_value "$2")" "$(_corral_pg_cs_value "$3")" "$(_corral_pg_cs_value "$4")"
}

# corral_pg_start_test_server HOME PORT: starts the PostgreSQL that tests and benchmarks use (data under HOME),
# with a role corral_test that may create databases (every test fixture and benchmark suite makes its own), and
# exports its connection string as CORRAL_TEST_POSTGRES. Test collections run in parallel, each with its
# own silos and pools: a full run peaks near 90 connections, so the limit is set well above that.
corral_pg_start_test_server() {
  local home=$1 port=$2
  local data="$home/postgres/data" password
  CORRAL_PG_MAX_CONNECTIONS=${CORRAL_TEST_PG_MAX_CONNECTIONS:-400} corral_pg_start "$data" "$port"
  password=$(corral_secret "$home/secrets/pg-password")
  corral_pg_ensure_database "$data" "$port" corral_test corral_test "$password"
  runuser -u postgres -- psql -h "$data" -p "$port" -d postgres -qc 'ALTER ROLE corral_test CREATEDB' >/dev/null
  # DROP DATABASE ... WITH (FORCE) ends every session in the database, the autovacuum worker's included, which
  # has no role: only a superuser or a member of pg_signal_backend may end it, and otherwise the drop fails.
  runuser -u postgres -- psql -h "$data" -p "$port" -d postgres -qc 'SET client_min_messages = warning' -c 'GRANT pg_signal_backend TO corral_test' >/dev/null
  CORRAL_TEST_POSTGRES=$(corral_pg_connection_string "$port" corral_test corral_test "$password")
  export CORRAL_TEST_POSTGRES
}
