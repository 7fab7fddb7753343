# shellcheck shell=bash
#
# Checking a priority (nice value) the scripts start a process at. Meant to be sourced; defines functions only.

# corral_nice_check NAME: true when the variable NAME holds a nice value (a whole number from -20 to 19); otherwise
# says so, naming the variable, and fails.
corral_nice_check() {
  local name=$1 value=${!1-}
  if [[ "$value" =~ ^-?(0|[1-9][0-9]?)$ ]] && ((value >= -20 && value <= 19)); then
    return 0
  fi
  echo "error: $name must be a whole number from -20 to 19, not '$value'" >&2
  return 1
}

# corral_sched_check NAME: true when the variable NAME names a scheduling policy these scripts apply ("normal" or
# "idle"); otherwise says so, naming the variable, and fails.
corral_sched_check() {
  local name=$1 value=${!1-}
  if [[ "$value" == normal || "$value" == idle ]]; then
    return 0
  fi
  echo "error: $name must be 'normal' or 'idle', not '$value'" >&2
  return 1
}

# corral_nice_session PID NICE: gives the session that process PID leads the weight of nice NICE.
#
# Why: with autogroup scheduling (on by default in Debian's kernels, /proc/sys/kernel/sched_autogroup_enabled), the
# kernel first shares the CPUs between sessions, each at the weight of its own nice value (0 unless set here), and
# only then between the threads of a session by theirs. A process started with setsid is a session of its own, so
# `nice -n 10` alone ranks it only against its own threads: it still gets as much CPU as the silo or the gateway.
# Does nothing on a kernel without autogroup. Waits (briefly) until PID leads its session: before its setsid runs,
# the file would re-weight the caller's session instead.
corral_nice_session() {
  local pid=$1 nice=$2 stat fields waited=0
  [ -e "/proc/$pid/autogroup" ] || return 0
  while true; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0 # already gone: nothing to weigh
    # The fields after "(comm)" are: state, ppid, process group, session.
    read -r -a fields <<<"${stat##*) }"
    [ "${fields[3]}" = "$pid" ] && break
    if ((waited++ >= 100)); then
      echo "warning: process $pid did not start a session of its own; its session's priority is left as it is" >&2
      return 0
    fi
    sleep 0.01
  done
  if ! echo "$nice" 2>/dev/null >"/proc/$pid/autogroup"; then
    echo "warning: could not give the session of process $pid nice $nice (/proc/$pid/autogroup)" >&2
  fi
}

# corral_priority_apply PID NICE POLICY: every thread of the running process PID at nice NICE under the scheduling
# policy POLICY ("normal" or "idle"), and its session at NICE (corral_nice_session). Threads and processes it starts
# from then on inherit both. Fails, saying so, when the process's main thread did not take them.
corral_priority_apply() {
  local pid=$1 nice=$2 policy=$3 task option
  case $policy in
    normal) option=--other ;;
    idle) option=--idle ;;
    *) echo "error: unknown scheduling policy '$policy'" >&2; return 1 ;;
  esac
  for task in /proc/"$pid"/task/*; do
    # A thread may end between the listing and the change: that one needs nothing.
    renice -n "$nice" -p "${task##*/}" >/dev/null 2>&1 || true
    chrt "$option" -p 0 "${task##*/}" >/dev/null 2>&1 || true
  done
  corral_nice_session "$pid" "$nice"
  local stat fields policy_number=0
  [ "$policy" = idle ] && policy_number=5 # SCHED_IDLE; SCHED_OTHER is 0
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0 # the process ended
  # After "(comm)": field 17 of those is the nice value, field 39 the policy (proc(5) numbers them 19 and 41).
  read -r -a fields <<<"${stat##*) }"
  if [ "${fields[16]}" != "$nice" ] || [ "${fields[38]}" != "$policy_number" ]; then
    echo "error: process $pid runs at nice ${fields[16]} under policy ${fields[38]}, not nice $nice under $policy ($policy_number)" >&2
    return 1
  fi
}
