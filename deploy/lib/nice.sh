# shellcheck shell=bash
#
# The priority (nice value) and scheduling policy the scripts give the processes they start: checking the settings
# and applying them. Meant to be sourced; defines functions only. Why each part is needed: NOTES.md, "Benchmarks".

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

# _corral_policy_number POLICY: prints the kernel's number for a policy these scripts apply (sched(7)), or fails.
_corral_policy_number() {
  case $1 in
    normal) echo 0 ;; # SCHED_OTHER
    idle) echo 5 ;;   # SCHED_IDLE
    *) return 1 ;;
  esac
}

# corral_sched_check NAME: true when the variable NAME names a scheduling policy these scripts apply ("normal" or
# "idle"); otherwise says so, naming the variable, and fails.
corral_sched_check() {
  local name=$1 value=${!1-}
  _corral_policy_number "$value" >/dev/null && return 0
  echo "error: $name must be 'normal' or 'idle', not '$value'" >&2
  return 1
}

# corral_nice_session PID NICE: weighs the session that process PID leads at nice NICE.
#
# With autogroup scheduling (Debian's kernels), tasks in the root cpu cgroup are shared the CPUs session by session,
# each session weighed by its own nice value (/proc/PID/autogroup), not its threads': a process started with setsid
# at `nice -n 10` otherwise competes like any nice-0 process. No effect elsewhere (another cgroup, no autogroup).
corral_nice_session() {
  local pid=$1 nice=$2 stat fields waited=0
  [ -e "/proc/$pid/autogroup" ] || return 0
  # Only once PID leads its session: before its setsid() runs, the file is the caller's session's.
  while true; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0 # already gone: nothing to weigh
    read -r -a fields <<<"${stat##*) }"                   # after "(comm)": state, parent, group, session
    [ "${fields[3]}" = "$pid" ] && break
    if ((waited++ >= 100)); then
      echo "warning: process $pid did not start a session of its own; its session's priority is left as it is" >&2
      return 0
    fi
    sleep 0.01
  done
  if ! echo "$nice" 2>/dev/null >"/proc/$pid/autogroup"; then
    echo "warning: could not weigh the session of process $pid at nice $nice (/proc/$pid/autogroup)" >&2
  fi
}

# corral_priority_apply PID NICE POLICY: every thread of the running process PID at nice NICE under the scheduling
# policy POLICY ("normal" or "idle"), and its session at NICE. Threads and processes it starts later inherit both.
# Fails, naming the thread and the kernel's answer, when a thread did not take them.
corral_priority_apply() {
  local pid=$1 nice=$2 policy=$3 number option=--other pass task answer failed
  number=$(_corral_policy_number "$policy") || {
    echo "error: unknown scheduling policy '$policy'" >&2
    return 1
  }
  [ "$policy" = idle ] && option=--idle
  # A few passes: a thread started by one not yet changed would keep the old values.
  for pass in 1 2 3 4 5; do
    failed=
    for task in /proc/"$pid"/task/*; do
      task=${task##*/}
      _corral_task_is "$pid" "$task" "$nice" "$number" && continue
      # renice's bare form is absolute in every util-linux version; -n is relative under POSIXLY_CORRECT.
      answer=$({ renice "$nice" -p "$task" >/dev/null && chrt "$option" -p 0 "$task"; } 2>&1) || true
      _corral_task_is "$pid" "$task" "$nice" "$number" || failed="thread $task: ${answer:-kept its old values}"
    done
    [ -z "$failed" ] && break
  done
  if [ -n "$failed" ]; then
    echo "error: process $pid did not take nice $nice under policy $policy; $failed" >&2
    return 1
  fi
  corral_nice_session "$pid" "$nice"
}

# _corral_task_is PID TID NICE POLICY_NUMBER: true when the thread runs at that nice under that policy, or is gone.
_corral_task_is() {
  local stat fields
  stat=$(cat "/proc/$1/task/$2/stat" 2>/dev/null) || return 0
  read -r -a fields <<<"${stat##*) }" # proc(5) fields 19 (nice) and 41 (policy) are 17th and 39th after "(comm)"
  [ "${fields[16]}" = "$3" ] && [ "${fields[38]}" = "$4" ]
}
