#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A parallel passphrase guesser, for agent-guessing.sh: CONNECTIONS connections to SOCK each
send a wrong passphrase, wait for the answer and send it again, for SECONDS; the number of
answers that arrived within SECONDS is printed. Every answer must be a refusal. Then every
connection is closed (a guess still waiting is abandoned).

Usage: guess.py ssh|mesh SOCK CONNECTIONS SECONDS PASSPHRASE
  ssh   SSH_AGENTC_UNLOCK (23) on an ssh-agent socket; a refusal is SSH_AGENT_FAILURE (5)
  mesh  the agent's Unlock method on agent.sock; a refusal is BadPassphrase (29)
"""
import os, socket, struct, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agentproto, sshproto  # noqa: E402


def main(argv):
    kind, path, n, seconds, passphrase = argv[1], argv[2], int(argv[3]), float(argv[4]), argv[5]
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    counts = {"answers": 0, "late": 0}
    bad = []
    conns = []

    def guesser(s):
        ident = 0
        try:
            while time.monotonic() < deadline:
                if kind == "ssh":
                    body = sshproto.request(s, bytes([23]) + sshproto.string(passphrase))
                    refused = body == bytes([5])
                else:
                    ident += 1
                    ans = agentproto.call(s, ident, "Unlock", {"Passphrase": passphrase})
                    refused = ans.get("Error", {}).get("Code") == 29
                with lock:
                    if time.monotonic() < deadline:
                        counts["answers"] += 1
                    else:
                        counts["late"] += 1
                    if not refused:
                        bad.append(repr(body if kind == "ssh" else ans))
        except (OSError, EOFError, sshproto.Closed):
            pass  # closed by the main thread at the deadline

    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        conns.append(s)
    threads = [threading.Thread(target=guesser, args=(s,), daemon=True) for s in conns]
    for t in threads:
        t.start()
    time.sleep(max(0.0, deadline - time.monotonic()))
    # The guessers give up: their connections close with guesses still waiting at the gate.
    for s in conns:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
    for t in threads:
        t.join(5)
    if bad:
        print("not refused: %s" % bad[0], file=sys.stderr)
        return 1
    print(counts["answers"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
