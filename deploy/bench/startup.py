#!/usr/bin/python3
"""startup.py: measurements (3) and (4) of deploy/bench/run.sh.

Starts BIN (environment inherited; it must listen on 127.0.0.1:PORT) RUNS
times. For each start it polls GET /heartbeat every 1 ms from just before
exec until the first 200 and records that time. The last start is kept
alive until 2 s after exec (one heartbeat has then been answered) and its
VmRSS is read from /proc/<pid>/status. Every process is stopped (SIGTERM,
then SIGKILL) before the next starts.

Prints key=value lines: startup_ms_N=..., startup_median_ms=..., idle_rss_kb=...
Exits 1 when a start does not answer within the deadline.
"""
import argparse
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import time


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def heartbeat_ok(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
    try:
        conn.request("GET", "/heartbeat")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rss-after", type=float, default=2.0)
    ap.add_argument("--deadline", type=float, default=10.0)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()

    times = []
    with open(a.log, "ab") as log:
        for i in range(a.runs):
            if port_open(a.port):
                sys.exit(f"startup.py: port {a.port} is already in use")
            t0 = time.monotonic()
            proc = subprocess.Popen([a.bin], stdout=log, stderr=log)
            try:
                while not heartbeat_ok(a.port):
                    if proc.poll() is not None:
                        sys.exit(f"startup.py: {a.bin} exited with {proc.returncode} (see {a.log})")
                    if time.monotonic() - t0 > a.deadline:
                        sys.exit(f"startup.py: no 200 on /heartbeat within {a.deadline}s (see {a.log})")
                    time.sleep(0.001)
                ms = (time.monotonic() - t0) * 1000
                times.append(ms)
                print(f"startup_ms_{i + 1}={ms:.1f}")
                if i == a.runs - 1:
                    time.sleep(max(0.0, t0 + a.rss_after - time.monotonic()))
                    print(f"idle_rss_kb={rss_kb(proc.pid)}")
            finally:
                stop(proc)
    print(f"startup_median_ms={statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
