"""REDTEAM leak_network: reach the network, on loopback only.

Attack: connect over TCP to every port of the ephemeral range on 127.0.0.1 and ::1
(the test listens on one of them), send UDP datagrams there, connect to every
abstract and path-named Unix socket listed in /proc/net/unix (the test listens on one),
open a raw socket and a netlink socket, and bring the loopback interface up.
Bound: the baseline, and nothing reaches the test's listeners.
"""
import os
import socket

import numpy as np

MSG = b"REDTEAM leak_network\n"
reached = []


def _try(family, kind, addr):
    try:
        with socket.socket(family, kind) as s:
            s.settimeout(0.05)
            if kind == socket.SOCK_DGRAM:
                s.sendto(MSG, addr)
            else:
                s.connect(addr)
                s.sendall(MSG)
            reached.append(addr)
            return True
    except OSError as e:
        return e.errno


first = _try(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 9))
if first is True or first == 111:  # connected or refused: the loopback is up, scan it
    for port in range(32768, 61000):
        _try(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", port))
        _try(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", port))
_try(socket.AF_INET6, socket.SOCK_STREAM, ("::1", 9))
try:
    with open("/proc/net/unix") as f:
        for line in f.read().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 8:
                name = parts[7]
                _try(socket.AF_UNIX, socket.SOCK_STREAM, "\0" + name[1:] if name.startswith("@") else name)
except OSError:
    pass
for family, kind, proto in ((socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
                            (socket.AF_PACKET, socket.SOCK_RAW, 0), (socket.AF_NETLINK, socket.SOCK_RAW, 0)):
    try:
        socket.socket(family, kind, proto).close()
        reached.append((family, kind))
    except (OSError, AttributeError):
        pass
os.system("ip link set lo up 2>/dev/null")
print("REDTEAM network first", first, "reached", reached[:10])


def softmax(x):
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)

