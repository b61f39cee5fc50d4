#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Drive an interactive program through a real pseudo-terminal, expect-style.

Usage: wizard-drive.py [--log FILE] [--raw FILE] STEP... -- PROGRAM [ARG...]

The steps run in order:
  -e REGEX    wait until REGEX appears in the output after the last match
  -l TEXT     the same, with TEXT literal
  -s TEXT     send TEXT and a newline (Enter)
  -d          send end of input (Ctrl-D at the start of a line)
  -c          send Ctrl-C
  -t SECONDS  the timeout of the waits after it (default 30)
  -x STATUS   the exit status expected at the end (default 0)

The whole transcript (carriage returns dropped) goes to --log, the bytes as the terminal got
them (the pty's CR LF line ends included) to --raw. Exits 0 when every wait matched
and the program exited with the expected status, else 1 with the reason and the end of the
transcript on stderr. Every wait is bounded; the program is killed when the driver gives up.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def fail(msg, out):
    tail = out[-2000:]
    sys.stderr.write("wizard-drive: %s\n--- last output ---\n%s\n-------------------\n"
                     % (msg, tail))


def main(argv):
    log = None
    raw_log = None
    steps = []
    want = 0
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a in ("-e", "-l", "-s", "-t", "-x", "--log", "--raw"):
            if i + 1 >= len(argv):
                sys.stderr.write("wizard-drive: %s needs a value\n" % a)
                return 2
            v = argv[i + 1]
            i += 2
            if a == "--log":
                log = v
            elif a == "--raw":
                raw_log = v
            elif a == "-x":
                want = int(v)
            elif a == "-t":
                steps.append(("timeout", float(v)))
            elif a == "-e":
                steps.append(("expect", re.compile(v)))
            elif a == "-l":
                steps.append(("expect", re.compile(re.escape(v))))
            else:
                steps.append(("send", (v + "\n").encode()))
        elif a in ("-d", "-c"):
            steps.append(("send", b"\x04" if a == "-d" else b"\x03"))
            i += 1
        else:
            sys.stderr.write("wizard-drive: unknown step %s\n" % a)
            return 2
    program = argv[i + 1:]
    if not program:
        sys.stderr.write(__doc__)
        return 2

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(program[0], program)
        finally:
            os._exit(127)

    out = ""
    raw = b""
    pos = 0
    status = None
    timeout = 30.0

    def pump(wait):
        """Read what is there (waiting up to @wait seconds); False at end of output."""
        nonlocal out, raw
        r, _, _ = select.select([fd], [], [], wait)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        raw += data
        out += data.decode("utf-8", "replace").replace("\r", "")
        return True

    def reap(block=False):
        nonlocal status
        if status is None:
            p, st = os.waitpid(pid, 0 if block else os.WNOHANG)
            if p == pid:
                status = os.waitstatus_to_exitcode(st)
        return status is not None

    def save():
        if log:
            with open(log, "w") as f:
                f.write(out)
        if raw_log:
            with open(raw_log, "wb") as f:
                f.write(raw)

    def give_up(msg):
        fail(msg, out)
        if status is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                time.sleep(0.5)
                if reap():
                    break
        save()
        return 1

    ok = True
    for kind, value in steps:
        if kind == "timeout":
            timeout = value
        elif kind == "send":
            # Let the program reach its read before the answer (as a person would).
            time.sleep(0.05)
            os.write(fd, value)
        else:
            deadline = time.monotonic() + timeout
            while True:
                m = value.search(out, pos)
                if m:
                    pos = m.end()
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    return give_up("timed out after %gs waiting for /%s/"
                                   % (timeout, value.pattern))
                alive = pump(min(left, 0.2))
                if not alive or reap():
                    # Drain what is left, then one last look.
                    while pump(0.1):
                        if reap() and not select.select([fd], [], [], 0)[0]:
                            break
                    if not value.search(out, pos):
                        reap(block=False)
                        return give_up("the program ended (status %s) before /%s/"
                                       % (status, value.pattern))
        save()
    # The end: wait for the exit, reading what comes.
    deadline = time.monotonic() + timeout
    while not reap():
        if time.monotonic() > deadline:
            return give_up("the program did not exit within %gs" % timeout)
        pump(0.1)
    while select.select([fd], [], [], 0.1)[0]:
        if not pump(0):
            break
    save()
    os.close(fd)
    if status != want:
        fail("exit status %s, want %s" % (status, want), out)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
