"""REDTEAM hidden_forged_ask: get the hidden inputs handed over before the public calls are made.

Attack: at load time, forge the harness's "hidden" event on the event pipe (found among the
open pipes of /proc/self/fd) so that the leader hands the hidden calls' inputs over early,
then in every public call read whatever arrived on every readable pipe and print its
fingerprints ("ARR <hex of the first 16 bytes>" of every 8-byte-aligned run it holds) and
the raw bytes' hex. Bound: no more than honest_wrong; no hidden input is shown (the leader
ignores an ask made before every public call is made).
"""
import json
import os
import stat
import struct

import numpy as np


def pipes():
    out = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if fd > 2 and stat.S_ISFIFO(os.fstat(fd).st_mode):
                out.append(fd)
        except OSError:
            pass
    return out


def forge():
    head = json.dumps({"ev": "hidden", "$blobs": []}).encode()
    for fd in pipes():
        try:
            os.write(fd, struct.pack(">IQ", len(head), 0) + head)
        except OSError:
            pass


def peek(where):
    for fd in pipes():
        try:
            os.set_blocking(fd, False)
            data = os.read(fd, 1 << 20)
        except OSError:
            continue
        if data:
            print(where, "got", len(data), "bytes", data[:4096].hex())


forge()


def softmax(x):
    peek("softmax")
    forge()
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    peek("cost")
    forge()
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
