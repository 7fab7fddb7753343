namespace Corral.HostAgent.Containers;

/// <summary>Where the host agent puts an SSH session: the address it publishes on, and the lxcfs files it mounts.</summary>
/// <param name="BindAddress">The host address the session's port is published on (Docker picks the port).</param>
/// <param name="ProcBinds">Docker binds that give the session its own /proc view (lxcfs); empty for none.</param>
public sealed record SshHostOptions(string BindAddress, IReadOnlyList<string> ProcBinds)
{
    public static readonly SshHostOptions Loopback = new("127.0.0.1", []);
}

/// <summary>
/// How an SSH session container runs: dropbear in the foreground as the unprivileged job user (every capability
/// dropped, like every job), on an unprivileged port, accepting only the job's key: no passwords, no root.
/// The image needs sh, dropbear and dropbearkey (corral/ssh:latest, built by deploy/lib/docker.sh).
/// </summary>
public static class SshSession
{
    public const int Port = 2222;

    /// <summary>The login: the job user of the images (uid 1000).</summary>
    public const string User = "corral";

    /// <summary>Carries the job's key to the entry script, which unsets it before the server starts.</summary>
    public const string PublicKeyVariable = "CORRAL_SSH_PUBLIC_KEY";

    public const string PortKey = "2222/tcp";

    /// <summary>
    /// The entry: install the job's key as the only authorized key, make a fresh host key (printed to the job's
    /// log, so users can check it), run the job's command if it has one (a setup step; the server starts when it
    /// succeeds), then run dropbear: -e passes the container's environment (CUDA_VISIBLE_DEVICES, the job's env)
    /// on to logins, -s refuses passwords, -w refuses root. Its log (-E, on stderr) goes through a filter that keeps
    /// only the listening server's own lines (its pid is the script's, which exec keeps): every connection is served
    /// by a child with a pid of its own, and those lines ("Child connection from", "Exit before auth") are written
    /// for anyone who can reach the port, so a stranger's failed logins would otherwise spend the session's log quota.
    /// </summary>
    public const string EntryScript = """
        set -eu
        umask 077
        mkdir -p "$HOME/.ssh"
        printf '%s\n' "$CORRAL_SSH_PUBLIC_KEY" >"$HOME/.ssh/authorized_keys"
        unset CORRAL_SSH_PUBLIC_KEY
        rm -f "$HOME/.ssh/corral_host_key"
        dropbearkey -t ed25519 -f "$HOME/.ssh/corral_host_key" | sed -n \
          -e 's/^\(ssh-[^ ]* [^ ]*\).*/corral-ssh: host key \1/p' -e 's/^Fingerprint: /corral-ssh: host key fingerprint /p'
        umask 022
        if [ "$#" -gt 0 ]; then "$@"; fi
        rm -f /tmp/.corral-ssh-log
        mkfifo /tmp/.corral-ssh-log
        sed -n "/^\[$$\] /p" </tmp/.corral-ssh-log &
        exec dropbear -F -E -e -s -w -p 2222 -r "$HOME/.ssh/corral_host_key" -P /tmp/dropbear.pid 2>/tmp/.corral-ssh-log
        """;

    /// <summary>The container's entry point: the script above, with the job's command as its arguments.</summary>
    public static List<string> Entrypoint => ["/bin/sh", "-c", EntryScript, "corral-ssh"];
}
