"""REDTEAM kernel_objects_leave: leave kernel objects behind for the next submission of the same slot to find.

Attack: leave kernel objects behind for the next submission of the same slot to find.

At load time, in softmax and in a daemon, it leaves a token (KOBJ-7f3a9c-SECRET) in every
place a process can leave something that outlives it: a POSIX message queue; keys added to
the user, user-session, session and persistent keyrings (through add_key and keyctl, with
the native, the x32 and the i386-compatible numbers tried through syscall(2)); System V shared
memory, message queues and semaphores; files in /tmp, /var/tmp, /dev/shm (POSIX shared
memory), /run/lock and the scratch folder's parent; an abstract Unix socket held open by a
daemon. kernel_objects_look.py, graded next in the same slot, looks for all of them.
Bound: no more than honest_wrong; nothing of this submission is visible to the next one.
"""
import ctypes
import os

import numpy as np

TOKEN = b"KOBJ-7f3a9c-SECRET"
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
MADE = []


def _sys(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return r, ctypes.get_errno()


def leave(where):
    # POSIX message queue
    libc.mq_open.restype = ctypes.c_int
    q = libc.mq_open(b"/kobj-leak", os.O_CREAT | os.O_RDWR, 0o666, None)
    if q >= 0:
        libc.mq_send(q, TOKEN + where, len(TOKEN + where), 0)
        MADE.append("mq")
    # keys: user (-4), user-session (-5), session (-3) keyrings; native, x32 and i386 numbers
    for ring in (-4, -5, -3):
        for nr in (248, 248 | 0x40000000):
            r, err = _sys(nr, b"user", b"kobj-leak", TOKEN + where, len(TOKEN + where), ring)
            if r > 0:
                _sys(250, 5, r, 0x3F3F3F3F)  # KEYCTL_SETPERM: everybody may read it
                MADE.append(f"key {ring}")
    r, err = _sys(250, 22, -1, -4)  # KEYCTL_GET_PERSISTENT into the user keyring
    if r > 0:
        k, err = _sys(248, b"user", b"kobj-leak", TOKEN + where, len(TOKEN + where), r)
        MADE.append("persistent")
    # System V IPC
    shm = libc.shmget(0x6B6F626A, 4096, 0o1666)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        addr = libc.shmat(shm, None, 0)
        if addr not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(addr, TOKEN + where, len(TOKEN + where))
        MADE.append("shm")
    msg = libc.msgget(0x6B6F626B, 0o1666)
    if msg >= 0:
        buf = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + 64)
        ctypes.memmove(ctypes.addressof(buf) + ctypes.sizeof(ctypes.c_long), TOKEN + where, len(TOKEN + where))
        ctypes.c_long.from_buffer(buf).value = 1
        libc.msgsnd(msg, buf, len(TOKEN + where), 0o4000)
        MADE.append("msg")
    if libc.semget(0x6B6F626C, 1, 0o1666) >= 0:
        MADE.append("sem")
    # files in the shared folders
    for d in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", os.path.dirname(os.getcwd())):
        try:
            with open(os.path.join(d, "kobj-leak"), "wb") as f:
                f.write(TOKEN + where)
            os.chmod(os.path.join(d, "kobj-leak"), 0o666)
            MADE.append(d)
        except OSError:
            pass


leave(b"-load")

# an abstract socket held by a daemon (killed with the submission); through libc, as the
# socket module may not be importable by the slot's uid
ADDR = b"\x01\x00" + b"\0kobj-leak"  # sockaddr_un: AF_UNIX, then an abstract name
if os.fork() == 0:
    try:
        os.setsid()
        s = libc.socket(1, 1, 0)  # AF_UNIX, SOCK_STREAM
        if libc.bind(s, ADDR, len(ADDR)) == 0 and libc.listen(s, 1) == 0:
            while True:
                c = libc.accept(s, None, None)
                if c >= 0:
                    os.write(c, TOKEN + b"-socket")
                    os.close(c)
    finally:
        os._exit(0)

print("left:", ", ".join(MADE) or "nothing")


def softmax(x):
    leave(b"-call")
    x = np.asarray(x, dtype=float)
    return np.ones_like(x) / x.shape[-1]


def softmaxCostAndGradient(predicted, target, outputVectors, dataset):
    return 0.0, np.zeros_like(predicted), np.zeros_like(outputVectors)
