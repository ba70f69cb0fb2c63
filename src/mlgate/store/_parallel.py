"""Running I/O-bound work on a few threads, with progress reported from the caller's.

Filesystem and network calls release the GIL, so threads overlap their waits: on a
cold disk a small file costs far more in latency than in CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from mlgate.store._progress import Advance

T = TypeVar("T")
R = TypeVar("R")


def map_parallel(
    work: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    advance: Advance,
    weight: Callable[[T, R], int] = lambda _item, _result: 1,
) -> list[R]:
    """``[work(item) for item in items]`` on up to ``jobs`` threads, in order.

    ``advance`` is called from the calling thread only, with ``weight(item, result)``
    for each finished item. The first failure cancels what has not started and is
    re-raised; finished items stay done.
    """
    if not items:
        return []
    if jobs <= 1 or len(items) == 1:
        results: list[R] = []
        for item in items:
            result = work(item)
            advance(weight(item, result))
            results.append(result)
        return results
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        futures = [pool.submit(work, item) for item in items]
        index = {future: i for i, future in enumerate(futures)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                error = future.exception()
                if error is not None:
                    for rest in pending:
                        rest.cancel()
                    raise error
                advance(weight(items[index[future]], future.result()))
        return [future.result() for future in futures]
