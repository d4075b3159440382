"""Helpers shared by the benchmark scripts (run them from the repo root)."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def recorded_frames(name: str) -> list[str | bytes]:
    from tests.recorded import load

    return [frame for _, frame in load(name).received]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[idx]


def summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 50):.1f}  p95 {percentile(values, 95):.1f}  "
        f"p99 {percentile(values, 99):.1f}  max {max(values):.1f}  "
        f"mean {statistics.mean(values):.1f}"
    )
