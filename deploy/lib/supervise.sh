#!/usr/bin/env bash
# supervise.sh NAME DLL: runs `dotnet DLL` and starts it again 5 s after it exits with a failure, as systemd's
# Restart=on-failure does for the units in deploy/systemd: a process that crashed, or a silo that the cluster declared
# dead after a long stall (it stops itself and expects to be started again), comes back, and a restarted host agent
# adopts its running containers. TERM or INT stop the process (passed on to it) and the supervision; an exit with
# code 0 ends it too.
set -uo pipefail

name=$1
dll=$2
restart_delay=5
stopping=0
child=

stop() {
  stopping=1
  [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null
}
trap stop TERM INT

while :; do
  dotnet "$dll" &
  child=$!
  # wait returns early when a trapped signal arrives; wait again until the process has really ended.
  while :; do
    wait "$child"
    code=$?
    kill -0 "$child" 2>/dev/null || break
  done
  child=
  if ((stopping || code == 0)); then
    exit 0
  fi
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) corral: $name exited with code $code; starting it again in ${restart_delay}s"
  sleep "$restart_delay" &
  wait $! 2>/dev/null
  ((stopping)) && exit 0
done
