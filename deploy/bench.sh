#!/usr/bin/env bash
# Runs one benchmark suite in Release on this machine, with the same prerequisites as deploy/test.sh (its
# PostgreSQL in /tmp/corral-test on port 55433, the Docker engine, the job image). Prints one `name value` line per
# figure on standard output; progress goes to standard error. Without a suite name it lists the suites.
#
#   deploy/bench.sh logs
#   deploy/bench.sh dispatch
#   deploy/bench.sh files
#
# Suites: logs, dispatch, egress, live, lists, files, queue, faults (BENCHMARKS.md says what each measures). faults
# starts a PostgreSQL server of its own (port CORRAL_FAULTS_PG_PORT, 55454) which it stops and kills; CORRAL_FAULTS
# picks faults.
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
  corral_pg_start_test_server "$CORRAL_TEST_HOME" "$CORRAL_TEST_PG_PORT"

  echo "== build (Release)"
  dotnet build "$root/tests/Corral.Benchmarks/Corral.Benchmarks.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
} >&2

exec dotnet run -c Release --no-build --project "$root/tests/Corral.Benchmarks" -- "$@"
