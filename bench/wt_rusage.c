/*
 * wt_rusage.c - run a command and report its wall time, CPU time and peak
 * RSS (wait4), like `/usr/bin/time -v` without the package. SIGTERM and
 * SIGINT are forwarded to the child, so a script can stop a daemon it runs.
 *
 *   wt-rusage [-o FILE] COMMAND [ARGS...]
 *   -> "wall_s=1.234 user_s=0.800 sys_s=0.100 maxrss_kib=12345 status=0"
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child;

static void forward(int sig)
{
    if (child > 0)
        kill(child, sig);
}

int main(int argc, char **argv)
{
    const char *outpath = NULL;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "-o") == 0) {
        outpath = argv[2];
        i = 3;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: wt-rusage [-o FILE] COMMAND [ARGS...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    if (child == 0) {
        execvp(argv[i], argv + i);
        perror(argv[i]);
        _exit(127);
    }
    signal(SIGTERM, forward);
    signal(SIGINT, forward);
    int status;
    struct rusage ru;
    while (wait4(child, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    FILE *out = outpath ? fopen(outpath, "w") : stderr;
    if (!out)
        out = stderr;
    fprintf(out, "wall_s=%.3f user_s=%.3f sys_s=%.3f maxrss_kib=%ld status=%d\n", wall,
            (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    if (out != stderr)
        fclose(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
