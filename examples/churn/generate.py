"""Seeded churn data: `python generate.py --version 1` (or 2, which drifts).

Customers have a tenure, a monthly spend, support calls, a plan and a segment; whether
they churned follows a logistic model of those, so a classifier can learn it. Version 2
is the market after a cheaper competitor arrived: spend shifts upwards and support calls
are more common (a drift the gates detect), and high spenders now leave far more often,
so a model trained on version 1 misses churners that a retrained one finds.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from pathlib import Path


def generate(path: Path, version: int, rows: int = 6000) -> None:
    rng = random.Random(1000 + version)
    shift = 0.0 if version == 1 else 12.0
    calls_rate = 1.2 if version == 1 else 1.8
    spend_effect = 0.012 if version == 1 else 0.04
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["customer_id", "tenure_months", "monthly_spend", "support_calls", "plan", "segment", "churned"])
        for i in range(rows):
            tenure = rng.randint(1, 72)
            spend = round(max(5.0, rng.gauss(60 + shift, 18)), 2)
            calls = min(10, int(rng.expovariate(1 / calls_rate)))
            plan = rng.choice(["basic", "standard", "premium"])
            segment = rng.choice(["consumer", "smb", "enterprise"])
            logit = -1.2 + 0.45 * calls - 0.04 * tenure + spend_effect * (spend - 60) + (0.5 if plan == "basic" else 0.0)
            churned = int(rng.random() < 1 / (1 + math.exp(-logit)))
            out.writerow([i, tenure, spend, calls, plan, segment, churned])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--version", type=int, choices=[1, 2], default=1)
    parser.add_argument("--out", default="data/customers.csv")
    args = parser.parse_args()
    generate(Path(args.out), args.version)
