# shellcheck shell=bash
#
# deploy/lib/lxcfs.sh - lxcfs for Corral hosts: per-container /proc views (meminfo, cpuinfo, stat, uptime, ...)
# that SSH sessions get bind-mounted, so tools inside a session see its caps rather than the host.
#
# This file is a library: source it, then call the functions.
#
#   corral_lxcfs_ensure_running   install lxcfs via apt when missing and start it on $CORRAL_LXCFS_DIR
#                                 unless it is mounted there already; fails (with the reason) where it
#                                 cannot run, e.g. without /dev/fuse
#
# The host agent uses lxcfs when it finds it mounted on /var/lib/lxcfs (SSH_USE_LXCFS, default: when
# available). lxcfs is started without systemd, in its own session, like dockerd (deploy/lib/docker.sh), and
# left running by deploy/down.sh like dockerd: restarting lxcfs breaks the /proc files of the containers that
# are running, which keep the dead mount.

: "${CORRAL_LXCFS_DIR:=/var/lib/lxcfs}"
: "${CORRAL_LXCFS_PIDFILE:=/run/corral-lxcfs.pid}"
: "${CORRAL_LXCFS_LOG:=/var/log/corral-lxcfs.log}"

_corral_lxcfs_log() {
    printf '[corral-lxcfs] %s\n' "$*" >&2
}

# True when a live lxcfs serves $CORRAL_LXCFS_DIR.
corral_lxcfs_mounted() {
    grep -qs " $CORRAL_LXCFS_DIR fuse.lxcfs " /proc/self/mounts && head -c1 "$CORRAL_LXCFS_DIR/proc/meminfo" >/dev/null 2>&1
}

corral_lxcfs_ensure_running() {
    if corral_lxcfs_mounted; then
        return 0
    fi
    if [ ! -c /dev/fuse ]; then
        _corral_lxcfs_log "lxcfs cannot run here: /dev/fuse is missing (no FUSE in this kernel or container)"
        return 1
    fi
    if ! command -v lxcfs >/dev/null 2>&1; then
        _corral_lxcfs_log "installing lxcfs"
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y lxcfs >/dev/null 2>&1 || {
            apt-get -o DPkg::Lock::Timeout=600 update >/dev/null &&
                DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y lxcfs >/dev/null
        } || return 1
        # The package may have started its own instance (systemd, init script): use it when it serves the dir.
        if corral_lxcfs_mounted; then
            return 0
        fi
    fi

    # A mount whose daemon died answers "Transport endpoint is not connected": clear it first.
    if grep -qs " $CORRAL_LXCFS_DIR fuse.lxcfs " /proc/self/mounts; then
        umount -l "$CORRAL_LXCFS_DIR" 2>/dev/null || true
    fi
    mkdir -p "$CORRAL_LXCFS_DIR" "$(dirname "$CORRAL_LXCFS_LOG")"
    # --enable-cfs: cpuinfo and cpu/online follow the CPU quota, not only the cpuset.
    setsid nohup lxcfs --enable-cfs -p "$CORRAL_LXCFS_PIDFILE" "$CORRAL_LXCFS_DIR" \
        </dev/null >>"$CORRAL_LXCFS_LOG" 2>&1 &
    disown 2>/dev/null || true

    local waited=0
    while [ "$waited" -lt 20 ]; do
        if corral_lxcfs_mounted; then
            _corral_lxcfs_log "lxcfs is up on $CORRAL_LXCFS_DIR"
            return 0
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    _corral_lxcfs_log "lxcfs did not come up on $CORRAL_LXCFS_DIR; last log lines:"
    tail -n 20 "$CORRAL_LXCFS_LOG" >&2 || true
    return 1
}
