#!/usr/bin/env python3
"""syslog_send.py - send the lines of an access log as syslog messages, for
bench/bench_syslog.sh: RFC 3164 headers ("<134>Mmm dd hh:mm:ss host tag: "),
over TCP with octet counting or LF framing (all of it as fast as the socket
takes it), or over UDP at a given rate (datagrams per second, 0: as fast as
possible). Prints "sent N seconds S" on stdout.

    syslog_send.py {octet|lf|udp} HOST PORT FILE [RATE]
"""
import socket
import sys
import time


def messages(path):
    hdr = time.strftime("<134>%b %d %H:%M:%S bench accesslogs: ").encode()
    hdr = hdr.replace(b"  ", b"  ")
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if line and not line.startswith(b"#"):
                yield hdr + line


def main():
    mode, host, port, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    msgs = list(messages(path))
    t0 = time.monotonic()
    if mode in ("octet", "lf"):
        if mode == "octet":
            payload = b"".join(b"%d %s" % (len(m), m) for m in msgs)
        else:
            payload = b"".join(m + b"\n" for m in msgs)
        t0 = time.monotonic()
        s = socket.create_connection((host, port))
        s.sendall(payload)
        s.close()
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        burst = 64
        for i in range(0, len(msgs), burst):
            for m in msgs[i:i + burst]:
                try:
                    s.sendto(m, (host, port))
                except OSError:
                    pass  # ENOBUFS: counted as sent, lost like any datagram
            if rate > 0:
                due = t0 + (i + burst) / rate
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
    print("sent %d seconds %.3f" % (len(msgs), time.monotonic() - t0))


if __name__ == "__main__":
    main()
