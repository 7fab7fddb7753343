#!/usr/bin/env bash
# Sets up everything the tests need on this machine (PostgreSQL, the Docker engine, the job image, the
# build) and runs every test. Tests never skip: a missing component fails them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/lib/postgres.sh"
source "$here/lib/docker.sh"
source "$here/lib/lxcfs.sh"
source "$here/lib/processes.sh"

: "${CORRAL_TEST_HOME:=/tmp/corral-test}"
: "${CORRAL_TEST_PG_PORT:=55433}"
configuration=${CORRAL_BUILD_CONFIGURATION:-Release}

echo "== prerequisites"
corral_pg_ensure_installed
corral_docker_ensure_installed
corral_docker_ensure_running
corral_docker_build_job_image
# Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
if [[ ! -x /usr/bin/chromium ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 chromium >/dev/null \
    || { apt-get update -o DPkg::Lock::Timeout=600 >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 chromium >/dev/null; }
fi
corral_docker_build_ssh_image
# SSH session tests check /proc inside sessions (lxcfs) and log in with a plain OpenSSH client.
corral_lxcfs_ensure_running
if ! command -v ssh >/dev/null 2>&1 || ! command -v ssh-keygen >/dev/null 2>&1; then
  echo "installing openssh-client"
  apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y openssh-client >/dev/null
fi

# The egress and two-host tests build network namespaces and veths (ip, from iproute2) and enter them (nsenter).
if ! command -v ip >/dev/null 2>&1 || ! command -v nsenter >/dev/null 2>&1; then
  echo "installing iproute2 util-linux"
  apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y iproute2 util-linux >/dev/null
fi

# The fleet tests put Debian's HAProxy in front of two gateways, with deploy/haproxy/corral.cfg.
if ! command -v haproxy >/dev/null 2>&1; then
  echo "installing haproxy"
  apt-get -o DPkg::Lock::Timeout=600 update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y haproxy >/dev/null
fi

echo "== test database"
corral_pg_start_test_server "$CORRAL_TEST_HOME" "$CORRAL_TEST_PG_PORT"

echo "== build"
dotnet build "$root/Orleans.sln" -c "$configuration" -nologo -v quiet -clp:ErrorsOnly

echo "== tests"
results="$root/artifacts/test-results"
mkdir -p "$results"
rm -f "$results"/*.trx
set +e
dotnet test "$root/Orleans.sln" -c "$configuration" --no-build --nologo \
  --logger "trx;LogFilePrefix=results" --results-directory "$results" \
  --logger "console;verbosity=normal" "$@" 2>&1 | tee "$results/console.log"
status=${PIPESTATUS[0]}
set -e
# The end of the output is what a reader sees first: repeat each failure there, with the start of its
# message, so that a failed run explains itself without scrolling back.
awk '
  /^  (Passed|Skipped) / { keep = 0 }
  /^  Failed / { failures++; keep = 1; lines = 0; print ""; print; next }
  keep && /^  Stack Trace:/ { keep = 0 }
  keep && /^  Error Message:/ { next }
  keep && lines < 4 { print "    " substr($0, 1, 300); lines++ }
  END { if (failures) printf "\n== %d failed (messages above; full output in artifacts/test-results/console.log)\n", failures }
' "$results/console.log"
if (( status != 0 )); then
  pg_errors=$(grep -hE ' (FATAL|PANIC): ' "$(corral_pg_log_file "$CORRAL_TEST_HOME/postgres/data")" 2>/dev/null \
    | sed -E 's/^.*(FATAL|PANIC): +//' | sort | uniq -c | sort -rn | head -n 5 || true)
  echo "== PostgreSQL FATAL errors during the run (most frequent first): ${pg_errors:-none}"
fi
# One plain closing line with the totals of every test project (one results file each).
if counters=$(grep -ho '<Counters [^>]*>' "$results"/*.trx 2>/dev/null) && [[ -n "$counters" ]]; then
  passed=$(($(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters" | paste -sd+)))
  failed=$(($(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters" | paste -sd+)))
  echo "$passed passed, $failed failed"
fi
exit "$status"
