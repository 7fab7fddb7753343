# shellcheck shell=bash
# Where the local cluster keeps its state, and its ports. Sourced by up.sh and down.sh; every value can be
# overridden from the environment.
CORRAL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${CORRAL_HOME:=$CORRAL_ROOT/.data}"
: "${CORRAL_PG_PORT:=5433}"
: "${CORRAL_HTTP_PORT:=5000}"
: "${CORRAL_SILO_PORT:=11111}"      # core silo: silo-to-silo
: "${CORRAL_GATEWAY_PORT:=30000}"   # core silo: where the gateway process connects
: "${CORRAL_AGENT_PORT:=11112}"     # host agent: silo-to-silo (it opens no client gateway)
: "${CORRAL_SILO_OPS_PORT:=9101}"   # core silo: /healthz/live, /healthz/ready, /metrics (loopback)
: "${CORRAL_AGENT_OPS_PORT:=9102}"  # host agent: the same
: "${CORRAL_BUILD_CONFIGURATION:=Release}"
CORRAL_PG_DATA="$CORRAL_HOME/postgres/data"
CORRAL_RUN_DIR="$CORRAL_HOME/run"
CORRAL_LOG_DIR="$CORRAL_HOME/logs"
export CORRAL_HOME CORRAL_PG_PORT CORRAL_HTTP_PORT
