# shellcheck shell=bash
#
# deploy/lib/docker.sh - Docker engine helpers for Corral deployments.
#
# This file is a library: source it, then call the functions. Sourcing it
# only defines functions and default settings (overridable CORRAL_* variables). It is written to work
# under the caller's `set -euo pipefail` as well as without it.
#
#   corral_docker_ensure_installed   install docker.io, iptables, procps,
#                                    busybox-static, and gcc with libc6-dev (the
#                                    HostAgent build compiles corral-run, the
#                                    static first program of job containers)
#                                    via apt when missing
#   corral_docker_cli                print the path of the docker client
#   corral_docker_ensure_running     start dockerd (detached) unless the engine
#                                    already answers; restart an engine started
#                                    here that does not run at normal priority
#   corral_docker_build_job_image    build corral/busybox:latest offline
#   corral_docker_build_ssh_image    build corral/ssh:latest offline: dropbear
#                                    from Debian packages on the same base
#   corral_docker_stop               stop the dockerd started by
#                                    corral_docker_ensure_running
#
# Notes
#   * The docker.io package (Debian 12: Docker 20.10) ships /usr/bin/docker.
#     A newer client-only binary in /usr/local/bin may shadow it on PATH; the
#     engine's own client is always preferred (see corral_docker_cli).
#   * dockerd is started without systemd, in its own session (setsid), so it
#     outlives the shell that started it. Its pid is kept in
#     $CORRAL_DOCKERD_PIDFILE, which dockerd itself writes and removes.
#   * /etc/docker/daemon.json is only written when it does not exist. The key
#     set below (IPv6 on the default bridge + ip6tables) is accepted by Docker
#     20.10; "ip6tables" needs "experimental" there, hence that key.
#   * The engine is started under the normal scheduling policy at nice 0,
#     whatever the caller's, and so run the shims, runc and the job containers
#     it starts: jobs get the CPU they were granted, within their own caps.
#     Protecting the control plane is the operator's choice, made declaratively
#     (CORRAL_JOB_CGROUP_PARENT, deploy/systemd/).
#   * iptables: the distribution default backend (nf_tables on Debian 12) is
#     tried first. If dockerd fails with an iptables/nf_tables error, the
#     iptables and ip6tables alternatives are switched to the legacy backend
#     and dockerd is started once more.

: "${CORRAL_DOCKERD_PIDFILE:=/run/corral-dockerd.pid}"
: "${CORRAL_DOCKERD_LOG:=/var/log/corral-dockerd.log}"
: "${CORRAL_DOCKER_DAEMON_JSON:=/etc/docker/daemon.json}"
: "${CORRAL_DOCKER_START_TIMEOUT:=60}"
: "${CORRAL_JOB_IMAGE:=corral/busybox:latest}"
: "${CORRAL_SSH_IMAGE:=corral/ssh:latest}"

_corral_docker_log() {
    printf '[corral-docker] %s\n' "$*" >&2
}

# Prints the path of a statically linked busybox, or fails.
_corral_docker_static_busybox() {
    local b out
    for b in /bin/busybox /usr/bin/busybox /usr/sbin/busybox; do
        [ -x "$b" ] || continue
        if command -v ldd >/dev/null 2>&1; then
            # ldd exits 1 for static binaries; keep that out of pipefail.
            out="$(LC_ALL=C ldd "$b" 2>&1 || true)"
            if [[ "$out" == *"not a dynamic executable"* ]]; then
                printf '%s\n' "$b"
                return 0
            fi
        elif dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$b"
            return 0
        fi
    done
    return 1
}

_corral_docker_have() {
    command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]
}

corral_docker_ensure_installed() {
    local missing=()
    _corral_docker_have dockerd || missing+=(dockerd)
    [ -x /usr/bin/docker ] || _corral_docker_have docker || missing+=(docker)
    _corral_docker_have iptables || missing+=(iptables)
    _corral_docker_have pgrep || missing+=(procps)
    _corral_docker_static_busybox >/dev/null || missing+=(busybox-static)
    _corral_docker_have gcc || missing+=(gcc)
    # A static link needs libc.a; gcc prints the bare name when it has none.
    [ "$(gcc -print-file-name=libc.a 2>/dev/null)" != libc.a ] && _corral_docker_have gcc || missing+=(libc6-dev)

    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi

    _corral_docker_log "missing: ${missing[*]}; installing docker.io iptables procps busybox-static gcc libc6-dev"
    # Wait for a concurrent apt/dpkg run instead of failing on its lock.
    apt-get -o DPkg::Lock::Timeout=600 update || return 1
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y \
        docker.io iptables procps busybox-static gcc libc6-dev || return 1
}

corral_docker_cli() {
    if [ -x /usr/bin/docker ]; then
        printf '%s\n' /usr/bin/docker
        return 0
    fi
    local c
    c="$(command -v docker 2>/dev/null)" || {
        _corral_docker_log "no docker client found"
        return 1
    }
    printf '%s\n' "$c"
}

_corral_docker_dockerd_bin() {
    local d
    for d in /usr/sbin/dockerd /usr/bin/dockerd /sbin/dockerd; do
        if [ -x "$d" ]; then
            printf '%s\n' "$d"
            return 0
        fi
    done
    command -v dockerd 2>/dev/null
}

_corral_docker_answers() {
    local cli
    cli="$(corral_docker_cli)" || return 1
    "$cli" info >/dev/null 2>&1
}

# Prints the pid recorded in the pid file if that process is a live dockerd.
_corral_docker_our_pid() {
    local pid comm
    [ -s "$CORRAL_DOCKERD_PIDFILE" ] || return 1
    pid="$(tr -dc '0-9' <"$CORRAL_DOCKERD_PIDFILE")"
    [ -n "$pid" ] || return 1
    comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
    [ "$comm" = "dockerd" ] || return 1
    printf '%s\n' "$pid"
}

_corral_docker_write_daemon_json() {
    if [ -e "$CORRAL_DOCKER_DAEMON_JSON" ]; then
        return 0
    fi
    mkdir -p "$(dirname "$CORRAL_DOCKER_DAEMON_JSON")"
    cat >"$CORRAL_DOCKER_DAEMON_JSON" <<'JSON'
{
  "ipv6": true,
  "fixed-cidr-v6": "fd00:c0de:1::/64",
  "experimental": true,
  "ip6tables": true
}
JSON
    _corral_docker_log "wrote $CORRAL_DOCKER_DAEMON_JSON"
}

# Starts dockerd detached and waits for it. Returns 0 when the engine answers,
# 1 when it did not answer in time (dockerd is then stopped again).
_corral_docker_start_once() {
    local dockerd_bin waited=0 pid
    dockerd_bin="$(_corral_docker_dockerd_bin)" || {
        _corral_docker_log "dockerd not found"
        return 1
    }
    mkdir -p "$(dirname "$CORRAL_DOCKERD_LOG")" "$(dirname "$CORRAL_DOCKERD_PIDFILE")"
    rm -f "$CORRAL_DOCKERD_PIDFILE"
    printf '\n=== %s starting %s ===\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$dockerd_bin" >>"$CORRAL_DOCKERD_LOG"

    # setsid: own session, so no SIGHUP/SIGINT from the caller's terminal or
    # process group; nohup as a second guard. dockerd writes its own pid file.
    # chrt and nice: normal policy at nice 0 even from a niced or idle shell, so
    # the containers it starts do not inherit the caller's priority.
    setsid nohup chrt --other 0 nice -n "$((-$(nice)))" "$dockerd_bin" --pidfile "$CORRAL_DOCKERD_PIDFILE" \
        --config-file "$CORRAL_DOCKER_DAEMON_JSON" \
        </dev/null >>"$CORRAL_DOCKERD_LOG" 2>&1 &
    disown 2>/dev/null || true

    while [ "$waited" -lt "$CORRAL_DOCKER_START_TIMEOUT" ]; do
        if _corral_docker_answers; then
            _corral_docker_log "dockerd is up (pid $(_corral_docker_our_pid || echo '?'))"
            return 0
        fi
        # Give up early when dockerd already died.
        if [ "$waited" -ge 3 ] && ! _corral_docker_our_pid >/dev/null && ! pgrep -x dockerd >/dev/null 2>&1; then
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done

    if pid="$(_corral_docker_our_pid)"; then
        kill -TERM "$pid" 2>/dev/null || true
        _corral_docker_wait_gone "$pid" 20 || kill -KILL "$pid" 2>/dev/null || true
    fi
    return 1
}

_corral_docker_wait_gone() {
    local pid="$1" limit="$2" i=0
    while [ "$i" -lt "$limit" ]; do
        [ -d "/proc/$pid" ] || return 0
        sleep 1
        i=$((i + 1))
    done
    [ -d "/proc/$pid" ] && return 1
    return 0
}

_corral_docker_use_legacy_iptables() {
    local changed=1 name
    for name in iptables ip6tables; do
        if [ -x "/usr/sbin/${name}-legacy" ] && command -v update-alternatives >/dev/null 2>&1; then
            update-alternatives --set "$name" "/usr/sbin/${name}-legacy" >/dev/null && changed=0
        fi
    done
    return "$changed"
}

# Returns 0 once the engine answers: already running, still starting up, or started here.
_corral_docker_reach_engine() {
    if _corral_docker_answers; then
        return 0
    fi

    # A dockerd that is still starting up (ours or not): wait for it rather
    # than racing it with a second daemon.
    local waited=0
    while pgrep -x dockerd >/dev/null 2>&1 && [ "$waited" -lt "$CORRAL_DOCKER_START_TIMEOUT" ]; do
        if _corral_docker_answers; then
            return 0
        fi
        sleep 1
        waited=$((waited + 1))
    done
    if pgrep -x dockerd >/dev/null 2>&1; then
        _corral_docker_log "a dockerd is running but the engine does not answer; last log lines:"
        tail -n 40 "$CORRAL_DOCKERD_LOG" >&2 2>/dev/null || true
        return 1
    fi

    _corral_docker_write_daemon_json

    local log_mark
    log_mark=0
    if [ -f "$CORRAL_DOCKERD_LOG" ]; then
        log_mark="$(wc -l <"$CORRAL_DOCKERD_LOG")"
    fi
    if _corral_docker_start_once; then
        return 0
    fi

    # nf_tables not usable for dockerd here? Fall back to the legacy backend.
    if tail -n "+$((log_mark + 1))" "$CORRAL_DOCKERD_LOG" 2>/dev/null |
        grep -Ei 'level=(error|fatal)|failed to start daemon' |
        grep -Eqi 'nf_tables|nftables|iptables|ip6tables'; then
        if _corral_docker_use_legacy_iptables; then
            _corral_docker_log "dockerd failed with iptables errors; retrying with iptables-legacy"
            if _corral_docker_start_once; then
                return 0
            fi
        fi
    fi

    _corral_docker_log "dockerd did not answer within ${CORRAL_DOCKER_START_TIMEOUT}s; last log lines:"
    tail -n 40 "$CORRAL_DOCKERD_LOG" >&2 || true
    return 1
}

corral_docker_ensure_running() {
    _corral_docker_reach_engine || return 1
    _corral_docker_renew_if_not_normal
}

# Prints "nice N policy P" of process PID's main thread (proc(5) fields 19 and 41; policy 0 is SCHED_OTHER).
_corral_docker_priority() {
    local stat fields
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    read -r -a fields <<<"${stat##*) }" # fields 19 and 41 are the 17th and 39th after "(comm)"
    printf 'nice %s policy %s\n' "${fields[16]}" "${fields[38]}"
}

# An engine started here by earlier scripts may still run under the idle policy at nice 10, and its containers with
# it (they cannot leave it). Restart it at normal priority, but only when no container runs: a restart kills them.
# An engine not started here is left as it is.
_corral_docker_renew_if_not_normal() {
    local pid priority cli running
    pid="$(_corral_docker_our_pid)" || return 0
    priority="$(_corral_docker_priority "$pid")" || return 0
    [ "$priority" = "nice 0 policy 0" ] && return 0
    cli="$(corral_docker_cli)" || return 1
    running="$("$cli" ps -q | wc -l)"
    if [ "$running" -gt 0 ]; then
        _corral_docker_log "warning: the engine (pid $pid) runs at $priority, not nice 0 policy 0 (normal), and so" \
            "do its containers; not restarting it while $running container(s) run, which a restart would kill." \
            "Run this again when none runs."
        return 0
    fi
    _corral_docker_log "restarting the engine (pid $pid, at $priority) at nice 0 under the normal policy"
    corral_docker_stop
    _corral_docker_reach_engine
}

corral_docker_stop() {
    local pid
    if ! pid="$(_corral_docker_our_pid)"; then
        # Not started by us (or already gone): leave any other engine alone.
        return 0
    fi
    _corral_docker_log "stopping dockerd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! _corral_docker_wait_gone "$pid" 30; then
        _corral_docker_log "dockerd did not exit after 30s; killing"
        kill -KILL "$pid" 2>/dev/null || true
        _corral_docker_wait_gone "$pid" 5 || true
    fi
    rm -f "$CORRAL_DOCKERD_PIDFILE"
}

# Prints the corral.recipe label value for the current inputs.
_corral_docker_job_image_recipe() {
    local busybox
    busybox="$(_corral_docker_static_busybox)" || return 1
    {
        sha256sum "$busybox" | cut -d' ' -f1
        _corral_docker_images_text busybox
    } | sha256sum | cut -d' ' -f1
}

# Prints every file of the recipe of image folder NAME (deploy/images/NAME and the shared base), so that any change
# to a Dockerfile or a base file rebuilds the image.
_corral_docker_images_text() {
    local images
    images="$(dirname "${BASH_SOURCE[0]}")/../images"
    find "$images/base" "$images/$1" -type f | LC_ALL=C sort | while IFS= read -r file; do
        printf '%s\n' "${file#"$images"/}"
        cat "$file"
    done
}

# Lays out the build context of image folder NAME in CONTEXT: its Dockerfile, the shared base (etc/, setup.sh) and
# the host's static busybox.
_corral_docker_image_context() {
    local name="$1" context="$2" busybox="$3" images
    images="$(dirname "${BASH_SOURCE[0]}")/../images"
    mkdir -p "$context"
    cp -R "$images/base/." "$context/"
    cp "$images/$name/Dockerfile" "$context/Dockerfile"
    install -m 0755 "$busybox" "$context/busybox"
}

# Builds IMAGE from CONTEXT with the engine's classic builder (a FROM scratch image needs nothing from a registry),
# labelled with RECIPE, and drops the image it replaces.
_corral_docker_build_image() {
    local cli="$1" context="$2" image="$3" recipe="$4" old_id new_id
    old_id="$("$cli" image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)"
    DOCKER_BUILDKIT=0 "$cli" build --quiet --label "corral.recipe=$recipe" --tag "$image" "$context" >/dev/null 2>"$context.log" || {
        _corral_docker_log "building $image failed: $(tail -n 5 "$context.log")"
        return 1
    }
    _corral_docker_log "built $image (recipe $recipe)"

    # Drop the superseded image unless something (a container) still uses it.
    new_id="$("$cli" image inspect --format '{{ .Id }}' "$image")"
    if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
        "$cli" image rm "$old_id" >/dev/null 2>&1 || true
    fi
}

# True when IMAGE exists and carries the corral.recipe label RECIPE.
_corral_docker_image_current() {
    local cli="$1" image="$2" recipe="$3" current
    current="$("$cli" image inspect --format '{{ index .Config.Labels "corral.recipe" }}' "$image" 2>/dev/null || true)"
    [ "$current" = "$recipe" ]
}

# Runs in a subshell so the EXIT trap that removes the temp dir stays local.
corral_docker_build_job_image() (
    set -euo pipefail
    cli="$(corral_docker_cli)"
    busybox="$(_corral_docker_static_busybox)" || {
        _corral_docker_log "no statically linked busybox found (install busybox-static)"
        exit 1
    }
    recipe="$(_corral_docker_job_image_recipe)"
    if _corral_docker_image_current "$cli" "$CORRAL_JOB_IMAGE" "$recipe"; then
        _corral_docker_log "$CORRAL_JOB_IMAGE is up to date (recipe $recipe)"
        exit 0
    fi

    tmp="$(mktemp -d /tmp/corral-image.XXXXXX)"
    trap 'rm -rf "$tmp"' EXIT
    umask 022
    _corral_docker_image_context busybox "$tmp/context" "$busybox"
    _corral_docker_build_image "$cli" "$tmp/context" "$CORRAL_JOB_IMAGE" "$recipe"
)

# The Debian packages of the SSH image: the server, sftp-server (for scp and sftp) and their shared libraries.
CORRAL_SSH_IMAGE_PACKAGES="dropbear-bin openssh-sftp-server libtomcrypt1 libtommath1 libgmp10 zlib1g libcrypt1 libc6 libgcc-s1"

# Prints the candidate version and checksum of every package of the SSH image, without downloading anything.
# Fails when apt does not know one of them (no package lists yet).
_corral_docker_ssh_package_list() {
    local fields count
    # shellcheck disable=SC2086 # a list of package names on purpose
    fields="$(apt-cache show --no-all-versions $CORRAL_SSH_IMAGE_PACKAGES 2>/dev/null |
        grep -E '^(Package|Version|SHA256):')" || return 1
    count="$(grep -c '^Package:' <<<"$fields")"
    [ "$count" -eq "$(wc -w <<<"$CORRAL_SSH_IMAGE_PACKAGES")" ] || return 1
    printf '%s\n' "$fields"
}

# Prints the corral.recipe label value of the SSH image: busybox, the packages' versions and the build
# functions' own text, so any change to the recipe rebuilds the image.
_corral_docker_ssh_image_recipe() {
    local busybox packages
    busybox="$(_corral_docker_static_busybox)" || return 1
    packages="$(_corral_docker_ssh_package_list)" || return 1
    {
        sha256sum "$busybox" | cut -d' ' -f1
        printf '%s\n' "$packages"
        _corral_docker_images_text ssh
        declare -f corral_docker_build_ssh_image
    } | sha256sum | cut -d' ' -f1
}

# Builds corral/ssh:latest offline (no image is pulled): the busybox base plus dropbear and sftp-server taken
# from Debian packages (apt-get download, dpkg-deb -x). The host agent runs dropbear in it as uid 1000 on port
# 2222, accepting only the job's key (HostAgent/Containers/SshSession.cs). Rebuilt only when the recipe changes.
# Runs in a subshell so the EXIT trap that removes the temp dir stays local.
corral_docker_build_ssh_image() (
    set -euo pipefail
    cli="$(corral_docker_cli)"
    busybox="$(_corral_docker_static_busybox)" || {
        _corral_docker_log "no statically linked busybox found (install busybox-static)"
        exit 1
    }
    if ! recipe="$(_corral_docker_ssh_image_recipe)"; then
        # A fresh machine may not have the package lists yet.
        apt-get -o DPkg::Lock::Timeout=600 update >/dev/null || exit 1
        recipe="$(_corral_docker_ssh_image_recipe)" || {
            _corral_docker_log "apt-cache does not know all of: $CORRAL_SSH_IMAGE_PACKAGES"
            exit 1
        }
    fi
    if _corral_docker_image_current "$cli" "$CORRAL_SSH_IMAGE" "$recipe"; then
        _corral_docker_log "$CORRAL_SSH_IMAGE is up to date (recipe $recipe)"
        exit 0
    fi

    tmp="$(mktemp -d /tmp/corral-ssh-image.XXXXXX)"
    trap 'rm -rf "$tmp"' EXIT
    umask 022
    _corral_docker_image_context ssh "$tmp/context" "$busybox"
    root="$tmp/context/packages"
    mkdir -p "$root"

    mkdir "$tmp/debs"
    # apt downloads as the _apt user where it can; without this it warns and downloads as root.
    chmod 0755 "$tmp"
    chown _apt "$tmp/debs" 2>/dev/null || true
    # shellcheck disable=SC2086 # a list of package names on purpose
    (cd "$tmp/debs" && apt-get -o DPkg::Lock::Timeout=600 download $CORRAL_SSH_IMAGE_PACKAGES >/dev/null)
    for deb in "$tmp"/debs/*.deb; do
        dpkg-deb -x "$deb" "$root"
    done
    rm -rf "${root:?}/usr/share" "${root:?}/usr/lib/x86_64-linux-gnu/gconv"

    # Every binary must find its libraries inside the image: ask the image's own loader.
    loader="$(find "$root/lib64" "$root/lib" -maxdepth 2 -name 'ld-linux*.so.*' | head -n 1)"
    for bin in usr/sbin/dropbear usr/bin/dropbearkey usr/lib/openssh/sftp-server; do
        if [ ! -x "$root/$bin" ]; then
            _corral_docker_log "$bin is missing from the SSH image"
            exit 1
        fi
        if "$loader" --library-path "$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu" --list "$root/$bin" |
            grep -q 'not found'; then
            _corral_docker_log "$bin lacks shared libraries in the SSH image"
            exit 1
        fi
    done
    ldconfig -r "$root"

    # dropbear hands a session's pty to group "tty" (gid 5, as Docker mounts /dev/pts) and accepts only login
    # shells listed in /etc/shells: both are in the shared base (deploy/images/base/etc).
    _corral_docker_build_image "$cli" "$tmp/context" "$CORRAL_SSH_IMAGE" "$recipe"
)
