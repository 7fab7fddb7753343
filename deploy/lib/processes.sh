# shellcheck shell=bash
#
# Starting and stopping Corral's own processes (core silo, host agent, gateway) in the background, with a
# pid file and a log file each. Meant to be sourced; defines functions only.

# corral_proc_running NAME RUN_DIR: true when NAME's recorded process is alive.
corral_proc_running() {
  local pidfile="$2/$1.pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# corral_proc_start NAME RUN_DIR LOG_DIR DLL: starts `dotnet DLL` detached under supervise.sh (which starts it again
# when it fails, as systemd would), unless it already runs. Its log file, LOG_DIR/NAME.log, is mode 600.
corral_proc_start() {
  local name=$1 run_dir=$2 log_dir=$3 dll=$4
  mkdir -p "$run_dir" "$log_dir"
  if corral_proc_running "$name" "$run_dir"; then
    echo "  $name already running (pid $(cat "$run_dir/$name.pid"))"
    return 0
  fi
  # Owner-only: a log may hold what a request carried. umask covers a new file; chmod one left by an older start.
  (umask 077 && : >"$log_dir/$name.log")
  chmod 600 "$log_dir/$name.log"
  # setsid and nohup each exec the next: $! is the supervisor itself, leader of its own process group.
  setsid nohup bash "$(dirname "${BASH_SOURCE[0]}")/supervise.sh" "$name" "$dll" >>"$log_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$run_dir/$name.pid"
  echo "  $name started (pid $!, log $log_dir/$name.log)"
}

# corral_proc_failed NAME LOG_DIR: true when NAME has exited with a failure since it was started (its supervisor
# says so in its log).
corral_proc_failed() {
  grep -q "corral: $1 exited with code" "$2/$1.log" 2>/dev/null
}

# corral_proc_wait NAME RUN_DIR LOG_DIR TIMEOUT CHECK...: waits until the CHECK command succeeds. Fails, printing
# the process's log, when the process exits first (it is then stopped, not started again) or the time runs out.
corral_proc_wait() {
  local name=$1 run_dir=$2 log_dir=$3 timeout=$4
  shift 4
  local waited=0
  until "$@" >/dev/null 2>&1; do
    if ! corral_proc_running "$name" "$run_dir" || corral_proc_failed "$name" "$log_dir"; then
      echo "error: $name exited during start, and is not started again; its log ($log_dir/$name.log) says:" >&2
      tail -n 30 "$log_dir/$name.log" >&2
      corral_proc_stop "$name" "$run_dir" >/dev/null
      return 1
    fi
    if ((waited >= timeout)); then
      echo "error: $name did not become ready within ${timeout}s; its log says:" >&2
      tail -n 30 "$log_dir/$name.log" >&2
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

# corral_proc_stop NAME RUN_DIR: TERM (the supervisor passes it on, and starts nothing again), then KILL of the whole
# process group after 20 s.
corral_proc_stop() {
  local name=$1 run_dir=$2 pid
  corral_proc_running "$name" "$run_dir" || { rm -f "$run_dir/$name.pid"; return 0; }
  pid=$(cat "$run_dir/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$run_dir/$name.pid"
  echo "  $name stopped"
}

# corral_port_open PORT: true when something listens on 127.0.0.1:PORT.
corral_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# corral_secret FILE: prints the secret kept in FILE, generating it (mode 600) on first use.
corral_secret() {
  local file=$1
  if [[ ! -s "$file" ]]; then
    mkdir -p "$(dirname "$file")"
    (umask 077 && printf 'corral_%s\n' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" >"$file")
  fi
  cat "$file"
}

# corral_port_free_or_fail NAME RUN_DIR PORT VARIABLE: before starting NAME, fails when another process already listens
# on PORT (Orleans binds with address reuse, so a second cluster on the same port would not fail: it would mix).
corral_port_free_or_fail() {
  local name=$1 run_dir=$2 port=$3 variable=$4
  if ! corral_proc_running "$name" "$run_dir" && corral_port_open "$port"; then
    echo "error: port $port (for $name) is in use by another process; stop it or set $variable to another port" >&2
    return 1
  fi
}
