#!/usr/bin/env bash
# Stops what deploy/up.sh started (gateway, host agent, silo, PostgreSQL, and dockerd if up.sh started it).
# The data folder is left as it is, so the next deploy/up.sh carries on where this one stopped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/env.sh"
source "$here/lib/postgres.sh"
source "$here/lib/docker.sh"
source "$here/lib/processes.sh"

corral_proc_stop gateway "$CORRAL_RUN_DIR"
corral_proc_stop hostagent "$CORRAL_RUN_DIR"
corral_proc_stop silo "$CORRAL_RUN_DIR"
corral_pg_stop "$CORRAL_PG_DATA"
echo "Stopped. Data kept in $CORRAL_HOME."
