"""What a server replica serves: the stable version behind its alias, a canary during a
rollout, and the counters it reports. One immutable :class:`Routing` value is replaced
atomically, so a request sees either the old routing or the new one, never a mix, and
requests in flight finish on the version they started with."""

from __future__ import annotations

import random
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from mlgate.serve._protocol import Column, signature_columns

if TYPE_CHECKING:
    from mlgate.models import LoadedModel
    from mlgate.registry import ModelVersion, ReplicaStats

LATENCY_BUCKETS_MS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0)
"""Upper bounds of the latency histogram replicas report (the last bucket is open)."""

MAX_CLASSES = 50
"""Predicted classes counted per version; more are not a class distribution worth
comparing (an identifier, a regression rounded to integers), and counting stops."""


@dataclass(frozen=True)
class Deployment:
    """A loaded, smoke-tested version."""

    version: ModelVersion
    model: LoadedModel
    columns: list[Column] = field(default_factory=list)

    @classmethod
    def of(cls, version: ModelVersion, model: LoadedModel) -> Deployment:
        return cls(version, model, signature_columns(version.signature))


@dataclass(frozen=True)
class Routing:
    """Where requests go now.

    Attributes:
        weight: The canary's share of traffic (in shadow mode: the share mirrored).
    """

    stable: Deployment | None = None
    canary: Deployment | None = None
    rollout_id: int | None = None
    weight: float = 0.0
    shadow: bool = False

    def choose(self, key: str | None) -> tuple[Deployment | None, Deployment | None]:
        """(the version that answers, the version that shadows it or None). A request
        key makes the choice sticky: the same key always gets the same version."""
        if self.canary is None or self.weight <= 0.0:
            return self.stable, None
        draw = (zlib.crc32(key.encode()) % 10_000) / 10_000 if key else random.random()
        picked = draw < self.weight
        if self.shadow:
            return self.stable, self.canary if picked else None
        return (self.canary if picked else self.stable), None


def _count_classes(labels: np.ndarray) -> list[tuple[str, int]]:
    """(class, rows) for each predicted class, by its text; none for more than
    MAX_CLASSES classes."""
    counted: dict[str, int] = {}
    if len(labels) > 16:  # sorting in C; a few rows are cheaper to count in Python
        try:
            values, counts = np.unique(labels, return_counts=True)
        except TypeError:  # mixed types in an object array cannot be sorted
            pass
        else:
            counted = {str(v): int(c) for v, c in zip(values, counts, strict=True)}
    if not counted:
        for value in labels.tolist():
            key = str(value)
            counted[key] = counted.get(key, 0) + 1
    return list(counted.items()) if len(counted) <= MAX_CLASSES else []


class Counters:
    """Per-version request counts, errors, latency histogram and shadow comparisons,
    cumulative since the server started. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[int, list[float]] = {}
        self._hist: dict[int, list[int]] = {}
        self._classes: dict[int, dict[str, int]] = {}

    def record(
        self, version: int, seconds: float, error: bool, labels: np.ndarray | None = None
    ) -> None:
        """One request: its latency, whether it failed, and the classes it predicted."""
        bucket = int(np.searchsorted(LATENCY_BUCKETS_MS, seconds * 1000.0))
        counted: list[tuple[str, int]] = []
        if labels is not None and labels.ndim == 1:
            counted = _count_classes(labels)
        with self._lock:
            row = self._data.setdefault(version, [0, 0, 0, 0, 0.0])
            row[0] += 1
            row[1] += int(error)
            self._hist.setdefault(version, [0] * (len(LATENCY_BUCKETS_MS) + 1))[bucket] += 1
            if counted:
                classes = self._classes.setdefault(version, {})
                for label, count in counted:
                    if label in classes or len(classes) < MAX_CLASSES:
                        classes[label] = classes.get(label, 0) + count

    def compare(self, version: int, disagreements: int, compared: int, gap: float) -> None:
        with self._lock:
            row = self._data.setdefault(version, [0, 0, 0, 0, 0.0])
            row[2] += disagreements
            row[3] += compared
            row[4] += gap

    def snapshot(
        self, rollout_id: int, replica: str, versions: Sequence[int]
    ) -> list[ReplicaStats]:
        from mlgate.registry import ReplicaStats

        now = datetime.now(UTC).replace(tzinfo=None)
        with self._lock:
            return [
                ReplicaStats(
                    rollout_id,
                    replica,
                    v,
                    int(self._data.get(v, [0])[0]),
                    int(self._data.get(v, [0, 0])[1]),
                    tuple(self._hist.get(v, [0] * (len(LATENCY_BUCKETS_MS) + 1))),
                    int(self._data.get(v, [0, 0, 0])[2]),
                    int(self._data.get(v, [0, 0, 0, 0])[3]),
                    float(self._data.get(v, [0, 0, 0, 0, 0.0])[4]),
                    now,
                    tuple(sorted(self._classes.get(v, {}).items())),
                )
                for v in versions
            ]

    def reset(self) -> None:
        """Start counting afresh (a new rollout)."""
        with self._lock:
            self._data.clear()
            self._hist.clear()
            self._classes.clear()
