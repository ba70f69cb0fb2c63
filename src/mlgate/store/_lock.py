"""The repository lock: many writers of objects at once, or one garbage collector."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator

from mlgate._errors import LockTimeout
from mlgate._fs import translate_os_errors


@contextlib.contextmanager
def repo_lock(state_dir: str, *, exclusive: bool, timeout: float = 60.0) -> Iterator[None]:
    """Hold ``state_dir``/lock shared (add, checkout, fetch) or exclusive (gc).

    Raises:
        LockTimeout: it was not granted within ``timeout`` seconds.
    """
    with translate_os_errors(f"opening the lock in {state_dir}"):
        os.makedirs(state_dir, exist_ok=True)
        fd = os.open(os.path.join(state_dir, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(
                        f"another mlgate process has held {state_dir}/lock for {timeout:.0f} s "
                        "(a gc, or an add/checkout while gc waits); wait for it to finish "
                        "or stop it"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
