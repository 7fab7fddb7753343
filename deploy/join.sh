#!/usr/bin/env bash
# Turns this host into a worker of an existing Corral cluster: the Docker engine and iptables, the job images, the
# published host agent, its settings file, and the agent itself (a systemd unit where systemd runs, otherwise a
# background process), waited for until its /healthz/ready answers. Safe to run again: it rebuilds and restarts only
# what changed. Run from a checkout of the repository, as root. `deploy/join.sh --help` says how.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/lib/docker.sh"
source "$here/lib/processes.sh"

usage() {
  cat <<'TXT'
Usage: deploy/join.sh --postgres CONNECTION --cluster-id ID [options]

Makes this host a worker of an existing Corral cluster. Run it as root from a checkout of the repository, on the
worker host. Every option may also be given by the environment variable named after it.

Required:
  --postgres CONNECTION   the cluster's PostgreSQL connection string, as the core silos use it    (CORRAL_POSTGRES)
                          e.g. "Host=10.0.0.5;Port=5432;Database=corral;Username=corral;Password=..."
  --cluster-id ID         the cluster id the core silos use (their CORRAL_CLUSTER_ID)             (CORRAL_CLUSTER_ID)

Options:
  --worker NAME           this worker's name (default: the host name, lower case)                 (CORRAL_WORKER_NAME)
  --address IP            the address other silos reach this agent at, and SSH users this host at
                          (default: the source address of this host's default route)           (CORRAL_SILO_ADDRESS)
  --bind-address IP       the local address to bind instead, behind NAT (default: --address)  (CORRAL_SILO_BIND_ADDRESS)
  --port PORT             silo-to-silo port; open it between all silos (default 11111)            (CORRAL_SILO_PORT)
  --ops-url URL           where /healthz/live, /healthz/ready and /metrics are served
                          (default http://127.0.0.1:9102)                                           (CORRAL_OPS_URL)
  --docker-host URL       the Docker engine to run jobs on (default unix:///var/run/docker.sock); an engine
                          at another address must already run: only the default one is started here  (DOCKER_HOST)
  --service-id ID         Orleans service id, when the cluster sets one                          (CORRAL_SERVICE_ID)
  --set VAR=VALUE         one more setting for the agent (repeatable), e.g. --set DATA_TRANSFER_QUOTA_PER_JOB=1G,
                          --set SSH_MAX_CPU=2 (README.md, "Configuration")
  --prefix DIR            where the agent is published (default /opt/corral/hostagent)           (CORRAL_PREFIX)
  --env-file FILE         the agent's settings file (default /etc/corral/hostagent.env)         (CORRAL_ENV_FILE)
  --no-images             do not build the job images (corral/busybox, corral/ssh) on this engine
  --no-publish            use the build already in --prefix
  --timeout SECONDS       how long to wait for the agent to be ready (default 120)
  -h, --help              this text

Needs: apt (for the Docker engine and iptables when missing), the .NET 10 SDK (dotnet) unless --no-publish, and
network access from this host to PostgreSQL and to every core silo's --port (and from them to this host's --port).
TXT
}

fail() {
  echo "error: $*" >&2
  exit 2
}

postgres=${CORRAL_POSTGRES:-}
cluster_id=${CORRAL_CLUSTER_ID:-}
worker=${CORRAL_WORKER_NAME:-}
address=${CORRAL_SILO_ADDRESS:-}
bind_address=${CORRAL_SILO_BIND_ADDRESS:-}
port=${CORRAL_SILO_PORT:-11111}
ops_url=${CORRAL_OPS_URL:-http://127.0.0.1:9102}
docker_host=${DOCKER_HOST:-unix:///var/run/docker.sock}
service_id=${CORRAL_SERVICE_ID:-}
prefix=${CORRAL_PREFIX:-/opt/corral/hostagent}
env_file=${CORRAL_ENV_FILE:-/etc/corral/hostagent.env}
images=1
publish=1
timeout=120
extra=()

need_value() {
  [[ $# -ge 2 && -n $2 ]] || fail "$1 needs a value (see --help)"
}

while [[ $# -gt 0 ]]; do
  case $1 in
    --postgres) need_value "$@"; postgres=$2; shift 2 ;;
    --cluster-id) need_value "$@"; cluster_id=$2; shift 2 ;;
    --worker) need_value "$@"; worker=$2; shift 2 ;;
    --address) need_value "$@"; address=$2; shift 2 ;;
    --bind-address) need_value "$@"; bind_address=$2; shift 2 ;;
    --port) need_value "$@"; port=$2; shift 2 ;;
    --ops-url) need_value "$@"; ops_url=$2; shift 2 ;;
    --docker-host) need_value "$@"; docker_host=$2; shift 2 ;;
    --service-id) need_value "$@"; service_id=$2; shift 2 ;;
    --set) need_value "$@"; extra+=("$2"); shift 2 ;;
    --prefix) need_value "$@"; prefix=$2; shift 2 ;;
    --env-file) need_value "$@"; env_file=$2; shift 2 ;;
    --no-images) images=0; shift ;;
    --no-publish) publish=0; shift ;;
    --timeout) need_value "$@"; timeout=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done

# Settings are checked here, naming the flag; the agent checks them again at start, naming the variable.
[[ -n $postgres ]] || fail "--postgres (CORRAL_POSTGRES) is required"
[[ -n $cluster_id ]] || fail "--cluster-id (CORRAL_CLUSTER_ID) is required"
[[ $port =~ ^[0-9]+$ ]] && ((port >= 1 && port <= 65535)) || fail "--port must be a port number, not '$port'"
[[ $timeout =~ ^[0-9]+$ ]] || fail "--timeout must be a number of seconds, not '$timeout'"
[[ $ops_url =~ ^https?://[^/]+$ ]] || fail "--ops-url must be http://HOST:PORT without a path, not '$ops_url'"
[[ $docker_host == unix://* || $docker_host == tcp://* ]] || fail "--docker-host must be unix://PATH or tcp://HOST:PORT, not '$docker_host'"
if [[ -z $worker ]]; then
  worker=$(hostname | tr '[:upper:]' '[:lower:]')
fi
if [[ -z $address ]]; then
  # The address this host sends from by default: the one its peers see.
  address=$(ip -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}' | head -n 1)
  if [[ -z $address ]]; then
    gateway=$(ip -4 route show default 2>/dev/null | awk '{print $3; exit}')
    [[ -n $gateway ]] && address=$(ip -4 route get "$gateway" 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}' | head -n 1)
  fi
  [[ -n $address ]] || fail "cannot tell this host's address; pass --address IP"
fi
for setting in "${extra[@]}"; do
  [[ $setting =~ ^[A-Z][A-Z0-9_]*=.*$ ]] || fail "--set takes VAR=VALUE with an upper-case VAR, not '$setting'"
done
for value in "$postgres" "$cluster_id" "$worker" "$address" "$bind_address" "$ops_url" "$docker_host" "$service_id" "${extra[@]}"; do
  [[ $value != *$'\n'* ]] || fail "a setting holds a line break"
done
((EUID == 0)) || fail "run as root: the agent drives the Docker engine and iptables"

systemd_runs() {
  [[ "$(cat /proc/1/comm 2>/dev/null)" == systemd ]]
}

echo "== prerequisites"
corral_docker_ensure_installed
if ! command -v curl >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y curl >/dev/null
fi
export DOCKER_HOST=$docker_host
if [[ $docker_host == unix:///var/run/docker.sock || $docker_host == unix:///run/docker.sock ]]; then
  # Where systemd runs, the packaged unit owns the engine (the agent's unit requires it).
  if systemd_runs && systemctl cat docker.service >/dev/null 2>&1; then
    systemctl enable --now docker.service >/dev/null
  fi
  corral_docker_ensure_running
elif ! "$(corral_docker_cli)" info >/dev/null 2>&1; then
  fail "the Docker engine at $docker_host does not answer; start it first"
fi
echo "  Docker engine $("$(corral_docker_cli)" version --format '{{.Server.Version}}') at $docker_host"

if ((images)); then
  echo "== job images"
  corral_docker_build_job_image
  corral_docker_build_ssh_image
fi

echo "== host agent build"
dll="$prefix/Corral.HostAgent.dll"
before=$( [[ -f $dll ]] && sha256sum "$dll" | cut -d' ' -f1 || true)
if ((publish)); then
  command -v dotnet >/dev/null 2>&1 || fail "dotnet (the .NET 10 SDK) is needed to publish the agent; or publish elsewhere, copy it to $prefix and pass --no-publish"
  dotnet publish "$root/HostAgent" -c Release -o "$prefix" -nologo -v quiet -clp:ErrorsOnly
fi
[[ -f $dll ]] || fail "no host agent in $prefix ($dll is missing)"
after=$(sha256sum "$dll" | cut -d' ' -f1)
changed=0
[[ $before == "$after" ]] || changed=1
echo "  $dll"

echo "== settings"
# One VAR="value" a line: systemd's EnvironmentFile reads it, and so does load_env_file below (never `source`:
# a connection string holds ';' and a password may hold anything).
quote() {
  local v=${1//\\/\\\\}
  v=${v//\"/\\\"}
  v=${v//\$/\\\$}
  v=${v//\`/\\\`}
  printf '"%s"' "$v"
}
settings=(
  "CORRAL_POSTGRES=$postgres"
  "CORRAL_CLUSTER_ID=$cluster_id"
  "CORRAL_WORKER_NAME=$worker"
  "CORRAL_WORKER_ADDRESS=$address"
  "CORRAL_SILO_ADDRESS=$address"
  "CORRAL_SILO_PORT=$port"
  "CORRAL_GATEWAY_PORT=0"
  "CORRAL_OPS_URL=$ops_url"
  "DOCKER_HOST=$docker_host"
)
[[ -n $bind_address ]] && settings+=("CORRAL_SILO_BIND_ADDRESS=$bind_address")
[[ -n $service_id ]] && settings+=("CORRAL_SERVICE_ID=$service_id")
settings+=("${extra[@]}")
mkdir -p "$(dirname "$env_file")"
new_env=$(mktemp "$env_file.XXXXXX")
chmod 600 "$new_env"
{
  echo "# Corral host agent settings, written by deploy/join.sh; read by corral-hostagent.service. Owner-only: it holds"
  echo "# the PostgreSQL password."
  for setting in "${settings[@]}"; do
    printf '%s=%s\n' "${setting%%=*}" "$(quote "${setting#*=}")"
  done
} >"$new_env"
if [[ -f $env_file ]] && cmp -s "$new_env" "$env_file"; then
  rm -f "$new_env"
  echo "  $env_file unchanged"
else
  mv -f "$new_env" "$env_file"
  changed=1
  echo "  wrote $env_file"
fi
chmod 600 "$env_file"

# Exports every VAR="value" line of FILE, undoing quote() above.
load_env_file() {
  local line name value
  while IFS= read -r line; do
    [[ $line =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || continue
    name=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    if [[ $value == \"*\" ]]; then
      value=${value:1:${#value}-2}
      value=$(printf '%s' "$value" | sed -E 's/\\(.)/\1/g')
    fi
    export "$name=$value"
  done <"$1"
}

echo "== host agent"
ready="$ops_url/healthz/ready"
if systemd_runs; then
  unit=/etc/systemd/system/corral-hostagent.service
  new_unit=$(mktemp)
  # The unit names /usr/bin/dotnet, /opt/corral/hostagent and /etc/corral/hostagent.env: point it at this host's.
  dotnet_bin=$(command -v dotnet 2>/dev/null || echo /usr/bin/dotnet)
  sed -e "s|^ExecStart=/usr/bin/dotnet |ExecStart=$dotnet_bin |" \
    -e "s|/opt/corral/hostagent/Corral.HostAgent.dll|$dll|" -e "s|/etc/corral/hostagent.env|$env_file|" \
    "$here/systemd/corral-hostagent.service" >"$new_unit"
  # An engine not run by the packaged unit (another DOCKER_HOST) is not this unit's to require.
  if ! systemctl cat docker.service >/dev/null 2>&1; then
    sed -i -e '/^Requires=docker.service$/d' -e 's/ docker.service$//' "$new_unit"
  fi
  if [[ -f $unit ]] && cmp -s "$new_unit" "$unit"; then
    rm -f "$new_unit"
  else
    install -m 0644 "$new_unit" "$unit"
    rm -f "$new_unit"
    systemctl daemon-reload
    changed=1
  fi
  systemctl enable corral-hostagent.service >/dev/null 2>&1
  # The unit's start waits for /healthz/ready itself (ExecStartPost). A restart only when something changed: the
  # agent adopts its running containers, but there is no need to bother them.
  action=start
  if ((changed)) && systemctl is-active --quiet corral-hostagent.service; then
    action=restart
  fi
  if ! systemctl "$action" corral-hostagent.service; then
    journalctl -u corral-hostagent.service -n 30 --no-pager >&2 || true
    fail "corral-hostagent.service did not become ready (systemctl status corral-hostagent.service)"
  fi
  echo "  corral-hostagent.service: $(systemctl is-active corral-hostagent.service)"
  waited=0
  until curl -fsS -o /dev/null "$ready"; do
    ((waited < timeout)) || { journalctl -u corral-hostagent.service -n 30 --no-pager >&2 || true; fail "the agent is not ready at $ready"; }
    sleep 1
    waited=$((waited + 1))
  done
  logs="journalctl -u corral-hostagent.service"
else
  run_dir=${CORRAL_RUN_DIR:-/var/run/corral}
  log_dir=${CORRAL_LOG_DIR:-/var/log/corral}
  if ((changed)) && corral_proc_running hostagent "$run_dir"; then
    corral_proc_stop hostagent "$run_dir"
  fi
  # The agent reads its settings from its environment: the settings file's, and nothing else of this shell's.
  (
    for name in $(compgen -e); do
      [[ $name == CORRAL_* || $name == DOCKER_HOST ]] && unset "$name"
    done
    load_env_file "$env_file"
    corral_proc_start hostagent "$run_dir" "$log_dir" "$dll"
  )
  corral_proc_wait hostagent "$run_dir" "$log_dir" "$timeout" curl -fsS -o /dev/null "$ready"
  logs="$log_dir/hostagent.log"
fi

cat <<TXT

This host is worker '$worker' of cluster '$cluster_id'.
  Advertised:  $address:$port (silo-to-silo; open it to and from every silo)
  Ready:       $ready
  Metrics:     $ops_url/metrics
  Settings:    $env_file
  Logs:        $logs
  Check it:    GET /api/workers on the gateway (admin token) lists '$worker' with alive: true
TXT
