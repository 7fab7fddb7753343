/*
 * corral-run: the first program of every job container.
 *
 *     corral-run OUTPUT-FILE MAX-BYTES-PER-HOUR UID:GID COMMAND [ARGUMENT...]
 *
 * Runs COMMAND as UID:GID (the job's user) with its stdout and stderr going to OUTPUT-FILE (opened for appending), a
 * file the host agent reads, not through the Docker engine's log copier (which takes 23-47 MiB/s on a 2-core host).
 *
 * The container starts as root with only CAP_SETUID and CAP_SETGID, so that this program can open OUTPUT-FILE, which
 * is the host's root's alone (0600), before it becomes the job's user (which drops both): the job itself can never
 * open the file, so it can write there only through this program.
 *
 * MAX-BYTES-PER-HOUR > 0: the job's output reaches the file through a pipe that this program copies, and no more than
 * MAX-BYTES-PER-HOUR bytes are written in one clock hour (UTC), escape sequences and all: the host's disk is bounded
 * whatever the job writes. At the bound the copy pauses until the next hour (the job's writes block once the pipe
 * is full) and the host agent, which counts the same bytes, ends the job. This program then stays PID 1 (as the
 * job's user, without any capability): it reaps orphans, passes SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to COMMAND, and
 * exits when COMMAND does, with its status (128 + the signal for a signal, as the shell and Docker report it), once
 * the output already in the pipe is copied.
 * MAX-BYTES-PER-HOUR = 0: no bound; COMMAND writes to the file itself and becomes the container's first process.
 *
 * Statically linked, so it runs in any image of the host's architecture whatever libc the image has, or none.
 * Exit codes follow the shell's and Docker's conventions: 127 when COMMAND does not exist, 126 when it cannot be
 * executed, 125 when the output file cannot be opened or the user cannot be changed (that message goes to the
 * engine's log).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COPY_BUFFER_BYTES (256 * 1024)
#define PIPE_BYTES (1024 * 1024)

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* Never runs (the signals stay blocked and are read from a signalfd), but the kernel delivers a signal to a PID
 * namespace's first process only when it has a handler: without one, Docker's SIGTERM would be dropped. */
static void on_signal(int signal)
{
    (void)signal;
}

static int parse_ids(const char *text, uid_t *uid, gid_t *gid)
{
    char *end;
    unsigned long user = strtoul(text, &end, 10);
    if (end == text || *end != ':') {
        return -1;
    }

    const char *group_text = end + 1;
    unsigned long group = strtoul(group_text, &end, 10);
    if (end == group_text || *end != '\0') {
        return -1;
    }

    *uid = (uid_t)user;
    *gid = (gid_t)group;
    return 0;
}

/* Becomes the job's user for good: no supplementary groups, and with setuid from root every capability goes too. */
static int become(uid_t uid, gid_t gid)
{
    if (getuid() == uid && geteuid() == uid && getgid() == gid) {
        return 0;
    }

    if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
        return -1;
    }

    return getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid ? 0 : -1;
}

static void run(char **command, gid_t gid, uid_t uid)
{
    if (become(uid, gid) < 0) {
        fprintf(stderr, "corral-run: cannot become %u:%u: %s\n", (unsigned)uid, (unsigned)gid, strerror(errno));
        _exit(125);
    }

    execvp(command[0], command);

    /* Only reached when the command could not be started; this message is the first line of the job's log. */
    int code = errno == ENOENT ? 127 : 126;
    fprintf(stderr, "corral-run: cannot run %s: %s\n", command[0], strerror(errno));
    _exit(code);
}

static int redirect(int from)
{
    return dup2(from, STDOUT_FILENO) < 0 || dup2(from, STDERR_FILENO) < 0 ? -1 : 0;
}

static int64_t hour_now(void)
{
    return (int64_t)time(NULL) / 3600;
}

static int milliseconds_to_next_hour(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t left = (3600 - now.tv_sec % 3600) * 1000 - now.tv_nsec / 1000000;
    return left > 0 ? (int)left : 1;
}

/* Writes all of buffer; a failing file (full disk) loses the rest of this piece rather than stalling the job. */
static void write_all(int file, const char *buffer, ssize_t length)
{
    while (length > 0) {
        ssize_t written = write(file, buffer, (size_t)length);
        if (written < 0 && errno == EINTR) {
            continue;
        }

        if (written <= 0) {
            return;
        }

        buffer += written;
        length -= written;
    }
}

struct copy {
    int pipe;
    int file;
    uint64_t bound;
    uint64_t this_hour;
    int64_t hour;
    int open;
    char buffer[COPY_BUFFER_BYTES];
};

static void roll_hour(struct copy *copy)
{
    int64_t hour = hour_now();
    if (hour != copy->hour) {
        copy->hour = hour;
        copy->this_hour = 0;
    }
}

static int at_bound(const struct copy *copy)
{
    return copy->this_hour >= copy->bound;
}

/* Copies what the pipe holds now, up to this hour's bound; returns when the pipe is empty, closed or at the bound. */
static void copy_available(struct copy *copy)
{
    while (copy->open) {
        roll_hour(copy);
        if (at_bound(copy)) {
            return;
        }

        uint64_t room = copy->bound - copy->this_hour;
        size_t wanted = room < sizeof copy->buffer ? (size_t)room : sizeof copy->buffer;
        ssize_t count = read(copy->pipe, copy->buffer, wanted);
        if (count < 0 && errno == EINTR) {
            continue;
        }

        if (count < 0 && errno == EAGAIN) {
            return;
        }

        if (count <= 0) {
            copy->open = 0;
            return;
        }

        write_all(copy->file, copy->buffer, count);
        copy->this_hour += (uint64_t)count;
    }
}

static int exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int copy_until_exit(struct copy *copy, pid_t child, int signals)
{
    for (;;) {
        roll_hour(copy);
        struct pollfd fds[2] = {
            { .fd = signals, .events = POLLIN },
            { .fd = copy->pipe, .events = POLLIN },
        };
        int reading = copy->open && !at_bound(copy);
        /* At the bound the pipe is left alone (the job's writes block once it is full) until the next hour. */
        int timeout = copy->open && at_bound(copy) ? milliseconds_to_next_hour() : -1;
        if (poll(fds, reading ? 2 : 1, timeout) < 0 && errno != EINTR) {
            return 125;
        }

        if (reading && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            copy_available(copy);
        }

        if (!(fds[0].revents & POLLIN)) {
            continue;
        }

        struct signalfd_siginfo info;
        if (read(signals, &info, sizeof info) != sizeof info) {
            continue;
        }

        if ((int)info.ssi_signo != SIGCHLD) {
            kill(child, (int)info.ssi_signo);
            continue;
        }

        /* PID 1 adopts every orphan of the container: reap them all, and stop when the job's command is done. */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == child) {
                copy_available(copy);
                return exit_code(status);
            }
        }
    }
}

int main(int argc, char **argv)
{
    uid_t uid;
    gid_t gid;
    char *end;
    if (argc < 5 || parse_ids(argv[3], &uid, &gid) < 0) {
        fprintf(stderr, "usage: corral-run OUTPUT-FILE MAX-BYTES-PER-HOUR UID:GID COMMAND [ARGUMENT...]\n");
        return 125;
    }

    uint64_t bound = strtoull(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0') {
        fprintf(stderr, "corral-run: MAX-BYTES-PER-HOUR must be a whole number, not %s\n", argv[2]);
        return 125;
    }

    /* O_APPEND: every write lands at the end, after whatever an earlier run of the container wrote. */
    int output = open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC);
    if (output < 0) {
        fprintf(stderr, "corral-run: cannot open the job's output file %s: %s\n", argv[1], strerror(errno));
        return 125;
    }

    if (bound == 0) {
        /* The copies on 1 and 2 stay open across exec; the original descriptor does not (O_CLOEXEC). */
        if (redirect(output) < 0) {
            fprintf(stderr, "corral-run: cannot redirect output to %s: %s\n", argv[1], strerror(errno));
            return 125;
        }

        run(argv + 4, gid, uid);
    }

    int pipe_ends[2];
    sigset_t handled, original;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    sigaction(SIGCHLD, &action, NULL);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
        sigaddset(&handled, forwarded[i]);
        sigaction(forwarded[i], &action, NULL);
    }

    int signals = -1;
    if (pipe2(pipe_ends, O_CLOEXEC) < 0 || sigprocmask(SIG_BLOCK, &handled, &original) < 0
        || (signals = signalfd(-1, &handled, SFD_CLOEXEC)) < 0) {
        fprintf(stderr, "corral-run: cannot set up the output pipe: %s\n", strerror(errno));
        return 125;
    }

    /* A larger pipe: fewer wake-ups of this copier while the job writes fast (the default is 64 KiB). */
    fcntl(pipe_ends[0], F_SETPIPE_SZ, PIPE_BYTES);
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "corral-run: cannot start the job: %s\n", strerror(errno));
        return 125;
    }

    if (child == 0) {
        sigprocmask(SIG_SETMASK, &original, NULL);
        if (redirect(pipe_ends[1]) < 0) {
            _exit(125);
        }

        run(argv + 4, gid, uid);
    }

    close(pipe_ends[1]);
    /* The copier needs no privilege either. As the job's user, not dumpable, the job cannot trace it or reach the
     * output file through /proc/1/fd; and no member of the namespace can send its first process a signal it does
     * not handle (SIGKILL, SIGSTOP), so the job cannot stop the copy either, only end itself. */
    if (become(uid, gid) < 0) {
        fprintf(stderr, "corral-run: cannot become %u:%u: %s\n", (unsigned)uid, (unsigned)gid, strerror(errno));
        kill(child, SIGKILL);
        return 125;
    }

    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    fcntl(pipe_ends[0], F_SETFL, O_NONBLOCK);
    static struct copy copy;
    copy.pipe = pipe_ends[0];
    copy.file = output;
    copy.bound = bound;
    copy.hour = hour_now();
    copy.open = 1;
    return copy_until_exit(&copy, child, signals);
}
