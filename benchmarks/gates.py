"""Statistical gates on 1,000,000 evaluation rows: mlgate's paired bootstrap and DeLong,
and scipy.stats.bootstrap(paired=True) on the same job, side by side.

    .venv/bin/python benchmarks/gates.py            # about two minutes (scipy is the slow part)
    .venv/bin/python benchmarks/gates.py --quick

Each measurement runs in its own process, so its peak memory (max RSS) is its own. The
data is generated with a fixed seed: binary labels, two correlated models' scores, and
their labels at 0.5.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, arguments

WORKER = r"""
import json, resource, sys, time
import numpy as np

job, n, resamples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
y = rng.random(n) < 0.3
cand = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.6 * y)))
champ = 1 / (1 + np.exp(-(0.7 * np.log(cand / (1 - cand)) + rng.normal(size=n) * 0.8)))
cand_ok = (cand > 0.5) == y
champ_ok = (champ > 0.5) == y

from mlgate.evaluate import PairedAucStatistic, SumStatistic, bootstrap_test, delong_test

start = time.perf_counter()
if job == "accuracy":
    stat = SumStatistic(np.column_stack([cand_ok, champ_ok]).astype(float), lambda s, w: (s[:, 0] - s[:, 1]) / w)
    result = bootstrap_test(stat, -0.01, resamples=resamples, interval="bca")
elif job == "accuracy-percentile":
    stat = SumStatistic(np.column_stack([cand_ok, champ_ok]).astype(float), lambda s, w: (s[:, 0] - s[:, 1]) / w)
    result = bootstrap_test(stat, -0.01, resamples=resamples, interval="percentile")
elif job == "auc":
    result = bootstrap_test(PairedAucStatistic(y, cand, champ), -0.01, resamples=resamples, interval="bca")
elif job == "delong":
    result = delong_test(y, cand, champ, -0.01)
elif job == "scipy-accuracy":
    from scipy.stats import bootstrap
    res = bootstrap(
        (cand_ok.astype(float), champ_ok.astype(float)),
        lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis),
        paired=True, vectorized=True, n_resamples=resamples, batch=25,
        method="percentile", confidence_level=0.90, random_state=np.random.default_rng(1),
    )
    result = (float(res.confidence_interval.low), float(res.confidence_interval.high))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "result": str(result)}))
"""


def measure(job: str, n: int, resamples: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, job, str(n), str(resamples)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    args = arguments(__doc__)
    n, resamples = 1_000_000, 2000
    rounds = 1 if args.quick else 3
    jobs = {
        "accuracy": ("paired bootstrap, accuracy difference (BCa)", 5.0),
        "auc": ("paired bootstrap, ROC AUC difference (BCa)", 5.0),
        "delong": ("DeLong test, ROC AUC difference", 2.0),
        "accuracy-percentile": ("paired bootstrap, accuracy difference (percentile)", None),
    }
    results: dict[str, list[dict[str, float]]] = {job: [] for job in jobs}
    scipy_runs: list[dict[str, float]] = []
    for i in range(rounds):
        for job in jobs:
            results[job].append(measure(job, n, resamples))
        if i == 0:  # scipy takes a minute or more; once is enough for the ratio
            scipy_runs.append(measure("scipy-accuracy", n, resamples))

    print(f"\nmlgate gates on {n:,} rows, {resamples} resamples ({rounds} run(s) each)\n")
    print("| workload | median | peak memory | target | met |")
    print("|---|---|---|---|---|")
    table = []
    for job, (label, limit) in jobs.items():
        seconds = statistics.median(r["seconds"] for r in results[job])
        memory = max(r["max_rss_mb"] for r in results[job])
        met = "-" if limit is None else ("yes" if seconds < limit and memory < 2048 else "NO")
        target = "-" if limit is None else f"< {limit:g} s, < 2 GB"
        print(f"| {label} | {seconds:.2f} s | {memory:.0f} MB | {target} | {met} |")
        table.append({"job": job, "seconds": seconds, "max_rss_mb": memory})
    ours = statistics.median(r["seconds"] for r in results["accuracy-percentile"])
    theirs = statistics.median(r["seconds"] for r in scipy_runs)
    ratio = theirs / ours
    print(
        f"\nscipy.stats.bootstrap(paired=True), the same percentile job: {theirs:.2f} s, "
        f"{max(r['max_rss_mb'] for r in scipy_runs):.0f} MB; mlgate is {ratio:.0f}x faster "
        f"(target >= 10x: {'yes' if ratio >= 10 else 'NO'})"
    )
    print(
        f"interval check: scipy {scipy_runs[0]['result']} vs mlgate {results['accuracy-percentile'][0]['result']}"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"mlgate": table, "scipy_seconds": theirs, "ratio": ratio}, indent=2)
        )


if __name__ == "__main__":
    main()
