"""Alerts per minute on the default demo: the AlertService against the simulator.

    python benchmarks/bench_alerts.py [--seconds 480] [--seed 1]

Runs the built-in simulator (as ``dantaro-tui --demo`` does) and the app's AlertService on
every KRW market through one hub, in real time, and prints alerts per minute after the
first minute, by kind. The scanner's previous rules (a fixed 5x "24 h pace" spike score and
every +-5 % crossing, ``AlertEngine``) see the same tickers in the same run, as the baseline.
The new rules compare each market with its own last minutes: they say nothing while a
market has less than ``min_baseline_minutes`` (3) of history, which is counted in the
figure, not left out. An alert marked ``*`` came during (or up to 2 min after) one of the
simulator's own pumps/dumps: the events worth telling a trader about.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter, deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dantaro_tui.analytics.alerts import Alert, AlertEngine
from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.feed.rest_venues import RestClient
from dantaro_tui.model import Ticker
from dantaro_tui.services.alerts import AlertService
from dantaro_tui.sim.server import SimServer

DAY_MS = 86_400_000


class OldSpikeTracker:
    """The scanner's spike score before the AlertService: the last minute vs the 24 h pace."""

    __slots__ = ("_last_acc", "_last_t", "_samples", "_start_t", "_sum", "min_span_ms", "window_ms")

    def __init__(self, window_s: float = 60.0, min_span_s: float = 15.0) -> None:
        self.window_ms = int(window_s * 1000)
        self.min_span_ms = int(min_span_s * 1000)
        self._samples: deque[tuple[int, float]] = deque()
        self._sum = 0.0
        self._last_acc = 0.0
        self._last_t: int | None = None
        self._start_t = 0

    def reset(self) -> None:
        self._samples.clear()
        self._sum = 0.0
        self._last_t = None

    def update(self, t_ms: int, acc_24h: float) -> None:
        last_t = self._last_t
        if last_t is None or t_ms - last_t > self.window_ms or t_ms < last_t - self.window_ms:
            self.reset()
            self._start_t = t_ms
        elif t_ms >= last_t:
            delta = acc_24h - self._last_acc
            if delta:
                self._samples.append((t_ms, delta))
                self._sum += delta
        else:  # slightly out of order: count the change, keep the newer clock
            delta = acc_24h - self._last_acc
            self._samples.append((last_t, delta))
            self._sum += delta
            t_ms = last_t
        self._last_t = t_ms
        self._last_acc = acc_24h

    def _prune(self, now_ms: int) -> None:
        cutoff = now_ms - self.window_ms
        samples = self._samples
        while samples and samples[0][0] <= cutoff:
            self._sum -= samples.popleft()[1]
        if not samples:
            self._sum = 0.0  # no float drift left behind

    def score(self, now_ms: int, acc_24h: float) -> float:
        if self._last_t is None:
            return 0.0
        self._prune(now_ms)
        if now_ms - self._last_t >= self.window_ms:
            return 0.0  # nothing traded within the window
        span = min(self.window_ms, now_ms - self._start_t)
        if span < self.min_span_ms or acc_24h <= 0.0:
            return 0.0
        expected = acc_24h * span / DAY_MS
        return max(0.0, 1.0 + self._sum / expected)


async def main(seconds: float, seed: int) -> None:
    sim = SimServer(host="127.0.0.1", port=0, seed=seed, kimchi_premium=3.0, intensity=1.0)
    await sim.start()
    hub = FeedHub()
    for exchange, urls in sim.endpoints.items():
        hub.set_endpoint(exchange, ws=urls.get("ws"), rest=urls.get("rest"))
    rest = RestClient("upbit", hub=hub)
    markets = await rest.markets()
    service = AlertService(hub)
    new: list[tuple[float, Alert]] = []
    start = time.monotonic()
    service.listen(lambda a: new.append((time.monotonic() - start, a)))

    old_engine = AlertEngine()
    old_trackers: dict[str, OldSpikeTracker] = {}
    old: list[tuple[float, Alert]] = []

    def old_rules(t: Ticker) -> None:  # what ScannerView did before the service
        tracker = old_trackers.setdefault(t.symbol, OldSpikeTracker())
        tracker.update(t.timestamp, t.acc_trade_price_24h)
        spike = round(tracker.score(t.timestamp, t.acc_trade_price_24h), 1)
        for a in old_engine.check(t.symbol, t.timestamp, t.change_rate, spike):
            old.append((time.monotonic() - start, a))

    krw = sorted(m.symbol for m in markets if m.quote == "KRW")
    old_client = WebSocketClient("old-scanner", hub=hub)
    await old_client.subscribe_ticker(krw, old_rules)
    await service.watch(markets)
    print(f"{len(service.markets)} KRW markets watched for {seconds:.0f} s ...", flush=True)
    next_report = 60.0
    pumps: dict[str, list[float]] = {}  # base -> [start, last seen] of the simulator's pumps
    while (elapsed := time.monotonic() - start) < seconds:
        await asyncio.sleep(1.0)
        for base, asset in sim.market.assets.items():
            if asset.pump is not None:
                seen = pumps.setdefault(base, [elapsed, elapsed])
                seen[1] = elapsed
        if elapsed >= next_report:
            n_new = sum(1 for t, _ in new if next_report - 60 <= t < next_report)
            n_old = sum(1 for t, _ in old if next_report - 60 <= t < next_report)
            print(f"  minute {next_report / 60:.0f}: {n_new} alerts (previous rules {n_old})")
            next_report += 60.0
    span = (time.monotonic() - start - 60.0) / 60.0
    after_new = [a for t, a in new if t >= 60.0]
    after_old = [a for t, a in old if t >= 60.0]
    first_old = sum(1 for t, _ in old if t < 30.0)
    print(f"previous rules: {first_old} alerts in the first 30 s")
    print(
        f"previous rules: {len(after_old) / span:.1f} alerts/min after the first minute "
        f"{dict(Counter(a.kind for a in after_old))}"
    )
    print(
        f"AlertService:   {len(after_new) / span:.1f} alerts/min after the first minute "
        f"{dict(Counter(a.kind for a in after_new))}"
    )

    def real(alert: Alert) -> bool:  # during a simulated pump/dump, or up to 2 min after it
        seen = pumps.get(alert.market.split("-", 1)[-1])
        t = next(t for t, a in new + old if a is alert)
        return seen is not None and seen[0] - 5.0 <= t <= seen[1] + 120.0

    print(
        f"simulated pumps/dumps: {len(pumps)} ({', '.join(sorted(pumps))}); alerts that "
        f"coincide with one: AlertService {sum(map(real, after_new))}/{len(after_new)}, "
        f"previous rules {sum(map(real, after_old))}/{len(after_old)}"
    )
    for _, a in new:
        print("   ", "*" if real(a) else " ", a.format())
    await old_client.cleanup()
    await service.close()
    await rest.close()
    await hub.close()
    await sim.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=480.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.seed))
