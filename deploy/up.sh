#!/usr/bin/env bash
# Sets up and starts the whole system on this machine: PostgreSQL, the Docker engine, the schema, the build,
# the default job image and the SSH image, lxcfs, then one core silo, one host agent and the gateway. Safe to
# run again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$here/lib/postgres.sh"
source "$here/lib/docker.sh"
source "$here/lib/lxcfs.sh"
source "$here/lib/processes.sh"
source "$here/lib/cli.sh"

echo "== prerequisites"
corral_pg_ensure_installed
corral_docker_ensure_installed
corral_docker_ensure_running
corral_docker_build_job_image
corral_docker_build_ssh_image
# Optional: without lxcfs, SSH sessions see the host's /proc (the host agent notices by itself).
corral_lxcfs_ensure_running || echo "  warning: lxcfs is not running; SSH sessions will see the host's /proc/meminfo and cpuinfo"

echo "== database"
corral_pg_start "$CORRAL_PG_DATA" "$CORRAL_PG_PORT"
pg_password=$(corral_secret "$CORRAL_HOME/secrets/pg-password")
corral_pg_ensure_database "$CORRAL_PG_DATA" "$CORRAL_PG_PORT" corral corral "$pg_password"
corral_pg_apply_schema "$CORRAL_PG_DATA" "$CORRAL_PG_PORT" corral corral "$here/sql"
CORRAL_POSTGRES=$(corral_pg_connection_string "$CORRAL_PG_PORT" corral corral "$pg_password")
export CORRAL_POSTGRES
if [[ -z "${CORRAL_ADMIN_TOKEN:-}" ]]; then
  CORRAL_ADMIN_TOKEN=$(corral_secret "$CORRAL_HOME/secrets/admin-token")
fi
export CORRAL_ADMIN_TOKEN
export CORRAL_URL="http://127.0.0.1:$CORRAL_HTTP_PORT"

echo "== build"
dotnet build "$CORRAL_ROOT/Orleans.sln" -c "$CORRAL_BUILD_CONFIGURATION" -nologo -v quiet -clp:ErrorsOnly
bin() { echo "$CORRAL_ROOT/$1/bin/$CORRAL_BUILD_CONFIGURATION/net10.0/$2.dll"; }

echo "== command-line client"
corral_cli_install "$CORRAL_ROOT" "$CORRAL_BUILD_CONFIGURATION" "$CORRAL_HOME/cli" "${CORRAL_CLI_LINK:-/usr/local/bin/corral}"

echo "== processes"
corral_port_free_or_fail silo "$CORRAL_RUN_DIR" "$CORRAL_SILO_PORT" CORRAL_SILO_PORT
corral_port_free_or_fail silo "$CORRAL_RUN_DIR" "$CORRAL_GATEWAY_PORT" CORRAL_GATEWAY_PORT
corral_port_free_or_fail silo "$CORRAL_RUN_DIR" "$CORRAL_SILO_OPS_PORT" CORRAL_SILO_OPS_PORT
corral_port_free_or_fail hostagent "$CORRAL_RUN_DIR" "$CORRAL_AGENT_PORT" CORRAL_AGENT_PORT
corral_port_free_or_fail hostagent "$CORRAL_RUN_DIR" "$CORRAL_AGENT_OPS_PORT" CORRAL_AGENT_OPS_PORT
corral_port_free_or_fail gateway "$CORRAL_RUN_DIR" "$CORRAL_HTTP_PORT" CORRAL_HTTP_PORT
silo_ops="http://127.0.0.1:$CORRAL_SILO_OPS_PORT"
agent_ops="http://127.0.0.1:$CORRAL_AGENT_OPS_PORT"
# Both silos read CORRAL_SILO_PORT, CORRAL_GATEWAY_PORT and CORRAL_OPS_URL, so each gets its own values here: the
# host agent must never open a client gateway, and the two silos must not share a port. Each is waited for until
# its /healthz/ready says it joined the cluster and reaches what it needs (PostgreSQL; the engine and iptables).
CORRAL_SILO_PORT=$CORRAL_SILO_PORT CORRAL_GATEWAY_PORT=$CORRAL_GATEWAY_PORT CORRAL_OPS_URL=$silo_ops \
  corral_proc_start silo "$CORRAL_RUN_DIR" "$CORRAL_LOG_DIR" "$(bin Silo Corral.Silo)"
corral_proc_wait silo "$CORRAL_RUN_DIR" "$CORRAL_LOG_DIR" 90 curl -fsS -o /dev/null "$silo_ops/healthz/ready"
CORRAL_SILO_PORT=$CORRAL_AGENT_PORT CORRAL_GATEWAY_PORT=0 CORRAL_OPS_URL=$agent_ops \
  corral_proc_start hostagent "$CORRAL_RUN_DIR" "$CORRAL_LOG_DIR" "$(bin HostAgent Corral.HostAgent)"
corral_proc_wait hostagent "$CORRAL_RUN_DIR" "$CORRAL_LOG_DIR" 90 curl -fsS -o /dev/null "$agent_ops/healthz/ready"
corral_proc_start gateway "$CORRAL_RUN_DIR" "$CORRAL_LOG_DIR" "$(bin Gateway Corral.Gateway)"
corral_proc_wait gateway "$CORRAL_RUN_DIR" "$CORRAL_LOG_DIR" 90 curl -fsS -o /dev/null "$CORRAL_URL/healthz/ready"

cat <<TXT

Corral is up.
  URL:          $CORRAL_URL
  Admin token:  $CORRAL_ADMIN_TOKEN
  Logs:         $CORRAL_LOG_DIR
  Health:       $CORRAL_URL/healthz/ready, $silo_ops/healthz/ready, $agent_ops/healthz/ready
  Metrics:      $silo_ops/metrics, $agent_ops/metrics, $CORRAL_URL/metrics (admin token)
  Stop with:    deploy/down.sh
  CLI:          corral login --url $CORRAL_URL   (the token on stdin or in CORRAL_TOKEN)
TXT
