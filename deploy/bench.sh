#!/usr/bin/env bash
# Runs one benchmark suite in Release on this machine, with the same prerequisites as deploy/test.sh (its
# PostgreSQL in /tmp/corral-test on port 55433, the Docker engine, the job image). Prints one `name value` line per
# figure on standard output; progress goes to standard error. Without a suite name it lists the suites.
#
#   deploy/bench.sh logs
#   deploy/bench.sh dispatch
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
source "$here/lib/postgres.sh"
source "$here/lib/docker.sh"
source "$here/lib/processes.sh"

: "${CORRAL_TEST_HOME:=/tmp/corral-test}"
: "${CORRAL_TEST_PG_PORT:=55433}"

{
  echo "== prerequisites"
  corral_pg_ensure_installed
  corral_docker_ensure_installed
  corral_docker_ensure_running
  corral_docker_build_job_image

  echo "== benchmark database server"
  pg_data="$CORRAL_TEST_HOME/postgres/data"
  corral_pg_start "$pg_data" "$CORRAL_TEST_PG_PORT"
  pg_password=$(corral_secret "$CORRAL_TEST_HOME/secrets/pg-password")
  corral_pg_ensure_database "$pg_data" "$CORRAL_TEST_PG_PORT" corral_test corral_test "$pg_password"
  # Each suite creates throwaway databases of its own (and pgbench's), so the role may create databases.
  runuser -u postgres -- psql -h "$pg_data" -p "$CORRAL_TEST_PG_PORT" -d postgres -qc 'ALTER ROLE corral_test CREATEDB' >/dev/null

  echo "== build (Release)"
  dotnet build "$root/tests/Corral.Benchmarks/Corral.Benchmarks.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
} >&2
CORRAL_TEST_POSTGRES=$(corral_pg_connection_string "$CORRAL_TEST_PG_PORT" corral_test corral_test "$pg_password")
export CORRAL_TEST_POSTGRES

exec dotnet run -c Release --no-build --project "$root/tests/Corral.Benchmarks" -- "$@"
