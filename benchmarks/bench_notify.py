"""Alerts away from the terminal: trigger -> delivery, and alerts per minute on the demo.

    python benchmarks/bench_notify.py [--count 200] [--minutes 8] [--seed 1]

1. Latency: ``--count`` notices submitted to a Notifier one every 20 ms, delivered through
   Apprise's ``json://`` to an HTTP receiver on loopback (its own process, so its work
   does not share our loop); p50/p99 from the trigger to the receiver's arrival stamp.
   Baseline, same run, same receiver: a bare aiohttp POST of the same JSON (the floor any
   sender pays). Goal: p99 < 1 s.
2. Alerts per minute: the built-in simulator (as ``--demo``) with the default rules
   (volume spikes, pumps, dumps of every KRW market, each against its own activity; a feed
   down 30 s), through the same WatchService ``dantaro-tui watch`` runs, for ``--minutes``
   of real time. The rules need 3 minutes of a market's own history before they speak,
   so the rate is given over the whole run and after the first 4 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import percentile
from dantaro_tui.services.notify import Notifier
from dantaro_tui.services.notify_text import Notice
from dantaro_tui.services.watch_config import NotifySettings, WatchRule


def _receiver(port_q: mp.Queue, stamps: mp.Queue) -> None:  # type: ignore[type-arg]
    from aiohttp import web

    async def hook(request: web.Request) -> web.Response:
        arrived = time.monotonic()
        body = await request.json()
        stamps.put((body.get("title", ""), arrived))
        return web.Response(text="ok")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_q.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


async def latency(count: int) -> None:
    import aiohttp

    port_q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    stamps: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    proc = mp.Process(target=_receiver, args=(port_q, stamps), daemon=True)
    proc.start()
    port = port_q.get(timeout=30)
    url = f"http://127.0.0.1:{port}/hook"
    try:
        # Baseline: a bare POST of the same JSON, one every 20 ms.
        sent: dict[str, float] = {}
        async with aiohttp.ClientSession() as http:
            for i in range(count):
                title = f"bare {i}"
                sent[title] = time.monotonic()
                async with http.post(url, data=json.dumps({"title": title, "message": "x"})):
                    pass
                await asyncio.sleep(0.02)
        bare = _collect(stamps, sent, count)
        # The Notifier: submit returns at once; Apprise posts from its threads.
        notifier = Notifier(
            NotifySettings(language="en", urls=(f"json://127.0.0.1:{port}/hook",), cooldown_s=0),
        )
        await notifier.start()
        created: dict[str, float] = {}
        rule = WatchRule("bench", "price", max_per_hour=0)
        for i in range(count):
            n = Notice("bench", "price_above", f"KRW-B{i}", "비트코인", value=1.0, level=float(i))
            created[f"KRW-B{i}"] = n.created
            notifier.submit(n, rule)
            await asyncio.sleep(0.02)
        await notifier.close(drain_s=30)
        got = _collect(stamps, created, count)
    finally:
        proc.terminate()
    print(f"trigger -> delivery at the receiver, {count} alerts, one every 20 ms:")
    print(f"  bare aiohttp POST : p50 {_ms(bare, 50)}  p99 {_ms(bare, 99)}")
    print(f"  Notifier (Apprise): p50 {_ms(got, 50)}  p99 {_ms(got, 99)}")
    ratio = percentile(got, 50) / max(percentile(bare, 50), 1e-9)
    print(f"  ratio p50 Notifier / bare: {ratio:.1f}x; goal p99 < 1 s: "
          f"{'met' if percentile(got, 99) < 1.0 else 'NOT met'}")  # fmt: skip


def _collect(stamps: mp.Queue, sent: dict[str, float], count: int) -> list[float]:  # type: ignore[type-arg]
    """Seconds from each send to its arrival (a title is "bare N" or starts with the code)."""
    out = []
    for _ in range(count):
        title, arrived = stamps.get(timeout=60)
        key = title if title in sent else title.split()[0]
        out.append(arrived - sent[key])
    return out


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:7.1f} ms"


async def per_minute(minutes: float, seed: int) -> None:
    from dantaro_tui.feed.hub import FeedHub
    from dantaro_tui.feed.rest_venues import RestClient
    from dantaro_tui.services.alerts import AlertService
    from dantaro_tui.services.watch_config import default_rules
    from dantaro_tui.services.watch_rules import WatchService
    from dantaro_tui.sim.server import SimServer

    sim = SimServer(seed=seed, kimchi_premium=3.0)
    await sim.start()
    hub = FeedHub()
    for name, urls in sim.endpoints.items():
        hub.set_endpoint(name, ws=urls.get("ws"), rest=urls.get("rest"))
    rest = RestClient("upbit", hub=hub)
    markets = await rest.markets()
    await rest.close()
    notifier = Notifier(NotifySettings(language="en"), demo=True)
    times: list[tuple[float, str, str]] = []
    started = time.monotonic()

    def seen(notice: Notice, verdict: str) -> None:
        if verdict in ("queued", "shown"):
            times.append((time.monotonic() - started, notice.kind, notice.market))

    notifier.on_notice = seen
    alerts = AlertService(hub)
    watch = WatchService(hub, default_rules(), notifier, alert_service=alerts, demo=True)
    await alerts.watch(markets)
    await watch.start(markets)
    await asyncio.sleep(minutes * 60)
    await watch.close(0)
    await alerts.close()
    await hub.close()
    await sim.stop()
    total = len(times)
    late = [t for t in times if t[0] >= 240]
    health = notifier.health()
    print(f"default demo, default rules, {minutes:g} min of real time:")
    print(
        f"  the rules fired {watch.fired} ({watch.fired / minutes:.2f}/min); held back:"
        f" {health.cooldown} cooldown, {health.duplicate} duplicate, {health.capped} over"
        f" the hourly cap of {notifier.settings.max_per_hour} per rule"
    )
    print(f"  {total} alerts sent ({total / minutes:.2f}/min over the run)")
    if minutes > 4:
        print(f"  after the 4-minute warm-up: {len(late) / (minutes - 4):.2f}/min")
    print("  by kind: " + ", ".join(f"{k} {n}" for k, n in Counter(k for _, k, _ in times).items()))
    for t, kind, market in times[:12]:
        print(f"    {t / 60:5.1f} min  {kind:12s} {market}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-rate", action="store_true")
    args = parser.parse_args()
    if not args.skip_latency:
        asyncio.run(latency(args.count))
    if not args.skip_rate:
        asyncio.run(per_minute(args.minutes, args.seed))


if __name__ == "__main__":
    main()
