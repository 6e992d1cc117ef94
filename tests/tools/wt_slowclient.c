/*
 * wt-slowclient - hold many slow HTTP connections to a server, the way a
 * misbehaving local process would, and report what the server did to them.
 *
 *   wt-slowclient --connect HOST:PORT [--bind ADDR] [--conns N]
 *                 [--interval-ms T] [--duration-ms D]
 *
 * Opens N connections from ADDR (default 127.0.0.2, another loopback
 * address than the health checker's) and sends an incomplete request one
 * byte every T ms for D ms, then closes them all. Prints "held N" once every
 * connection is made (a refused one counts as closed), and at the end
 * "closed K of N, first close after M ms": connections the server closed
 * (or refused) and how long the first of those had lived. Exit 0 unless a
 * local error stops it. Test tool: loopback only, bounded in time.
 */
#include "wt_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 4096

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"connect", required_argument, NULL, 'c'},
                                         {"bind", required_argument, NULL, 'b'},
                                         {"conns", required_argument, NULL, 'n'},
                                         {"interval-ms", required_argument, NULL, 'i'},
                                         {"duration-ms", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    const char *target = NULL, *bind_addr = "127.0.0.2";
    long n = 300, interval = 5000, duration = 12000;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            target = optarg;
            break;
        case 'b':
            bind_addr = optarg;
            break;
        case 'n':
            n = strtol(optarg, NULL, 10);
            break;
        case 'i':
            interval = strtol(optarg, NULL, 10);
            break;
        case 'd':
            duration = strtol(optarg, NULL, 10);
            break;
        default:
            return 2;
        }
    }
    char host[256];
    uint16_t port;
    if (!target || wt_hostport_parse(target, host, sizeof(host), &port) != 0 || n < 1 ||
        n > MAX_CONNS || interval < 1 || duration < 1) {
        fprintf(stderr, "usage: wt-slowclient --connect HOST:PORT [--bind ADDR] [--conns N] "
                        "[--interval-ms T] [--duration-ms D]\n");
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct sockaddr_in from = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, host, &to.sin_addr) != 1 ||
        inet_pton(AF_INET, bind_addr, &from.sin_addr) != 1) {
        fprintf(stderr, "wt-slowclient: IPv4 addresses only\n");
        return 2;
    }
    static int fd[MAX_CONNS];
    static uint64_t opened[MAX_CONNS];
    static struct pollfd pf[MAX_CONNS];
    long closed = 0;
    uint64_t first_close_ms = 0, t0 = wt_mono_ns() / 1000000;
    for (long i = 0; i < n; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fd[i] < 0 || bind(fd[i], (struct sockaddr *)&from, sizeof(from)) != 0) {
            fprintf(stderr, "wt-slowclient: socket/bind %s: %s\n", bind_addr, strerror(errno));
            return 1;
        }
        opened[i] = wt_mono_ns() / 1000000;
        if (connect(fd[i], (struct sockaddr *)&to, sizeof(to)) != 0 ||
            send(fd[i], "G", 1, MSG_NOSIGNAL) != 1) {
            close(fd[i]);
            fd[i] = -1;
            closed++;
        }
    }
    printf("held %ld\n", n - closed);
    fflush(stdout);
    const char req[] = "ET /healthz HTTP/1.1\r\nHost: x\r\n";
    size_t sent = 0;
    uint64_t next = wt_mono_ns() / 1000000 + (uint64_t)interval;
    for (;;) {
        uint64_t now = wt_mono_ns() / 1000000;
        if (now - t0 >= (uint64_t)duration)
            break;
        /* A connection the server closed reads as end of file (or an error). */
        for (long i = 0; i < n; i++) {
            pf[i].fd = fd[i];
            pf[i].events = POLLIN;
            pf[i].revents = 0;
        }
        int wait = (int)(next > now ? next - now : 0);
        if (wait > 100)
            wait = 100;
        if (poll(pf, (nfds_t)n, wait) > 0) {
            for (long i = 0; i < n; i++) {
                char buf[512];
                if (fd[i] < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                if (recv(fd[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
                    continue; /* an answer (a refusal page): wait for the close */
                uint64_t lived = wt_mono_ns() / 1000000 - opened[i];
                if (closed == 0 || lived < first_close_ms)
                    first_close_ms = lived;
                close(fd[i]);
                fd[i] = -1;
                closed++;
            }
        }
        now = wt_mono_ns() / 1000000;
        if (now >= next) {
            char c = req[sent % (sizeof(req) - 1)];
            for (long i = 0; i < n; i++) {
                if (fd[i] >= 0)
                    send(fd[i], &c, 1, MSG_NOSIGNAL);
            }
            sent++;
            next = now + (uint64_t)interval;
        }
    }
    for (long i = 0; i < n; i++) {
        if (fd[i] >= 0)
            close(fd[i]);
    }
    printf("closed %ld of %ld, first close after %llu ms\n", closed, n,
           (unsigned long long)first_close_ms);
    return 0;
}
