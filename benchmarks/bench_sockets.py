"""The default cockpit's sockets, and recorded frames per received frame.

The real app (``dantaro-tui --demo``: 4 charts, book, tape, scanner of every KRW market, the
simulator inside the app's event loop) runs headless until every pane has painted data and
the scanner is subscribed. Then, for ``--seconds``, a tap on the app's hub counts the
received frames it is handed (what the recorder would write) against the frames the hub's
connections received, and the tapped frames are checked for byte-identical duplicates.

Printed: sockets per (exchange, endpoint) (goal 1 each; before the hub: 7 to one Upbit
endpoint), the simulator's count of open connections, recorded / received (goal exactly
1.0) and duplicate frames (before the hub: 15 %).

    python benchmarks/bench_sockets.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import Counter
from pathlib import Path

from bench_tui import all_painted, fresh_config  # first: puts the repo root on sys.path

from dantaro_tui.feed.tap import TapRecord
from dantaro_tui.ui.app import DantaroApp
from dantaro_tui.ui.run import DemoSession


async def measure(seconds: float, tmp: Path) -> dict[str, object]:
    app = DantaroApp(fresh_config(tmp), mode="demo", session=DemoSession(seed=1), persist=False)
    async with app.run_test(size=(160, 48), headless=True) as pilot:
        t0 = time.perf_counter()
        while not all_painted(app) and time.perf_counter() - t0 < 30:
            await pilot.pause(0.05)
        painted = time.perf_counter() - t0
        await asyncio.sleep(3.0)  # the scanner subscribes once the market list is in
        hub = app.hub
        tapped: list[bytes | str] = []

        def tap(rec: TapRecord) -> None:
            if rec.kind == "recv" and rec.data is not None:
                tapped.append(rec.data)

        # Same moment for both counts: nothing runs between these two lines.
        received0 = sum(h.messages for h in hub.connection_health())
        hub.add_tap(tap)
        await asyncio.sleep(seconds)
        hub.remove_tap(tap)
        received = sum(h.messages for h in hub.connection_health()) - received0
        per_endpoint = Counter(
            f"{c.exchange} {c.endpoint or '(default)'}"
            for c in hub.connections()
            if c._ws is not None  # an open socket (what FeedHub.sockets() counts)
        )
        sim = getattr(app.session, "sim", None)
        result = {
            "painted": painted,
            "clients": len(hub.clients()),
            "sockets": hub.sockets(),
            "per_endpoint": dict(per_endpoint),
            "sim_connections": getattr(sim, "connections", None),
            "recorded": len(tapped),
            "received": received,
            "duplicates": len(tapped) - len(set(tapped)),
        }
        app.exit(0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    os.environ["DANTARO_CONFIG"] = str(tmp / "bench-config.toml")
    r = asyncio.run(measure(args.seconds, tmp))
    print(f"default cockpit (--demo, 160x48): data painted {r['painted']:.1f} s after mount; "
          f"{r['clients']} feed clients on the app's hub")  # fmt: skip
    print(f"sockets open: {r['sockets']}  (the simulator counts {r['sim_connections']})")
    for endpoint, n in sorted(r["per_endpoint"].items()):  # type: ignore[union-attr]
        print(f"  {endpoint:<24} {n} socket(s)  (goal 1; before the hub: 7 to one Upbit endpoint)")
    recorded, received = r["recorded"], r["received"]
    assert isinstance(recorded, int) and isinstance(received, int)
    ratio = recorded / received if received else float("nan")
    print(f"over {args.seconds:g} s: {recorded:,} frames tapped (recorded), {received:,} received "
          f"by the connections: recorded/received {ratio:.4f}  (goal exactly 1.0)")  # fmt: skip
    dup = r["duplicates"]
    assert isinstance(dup, int)
    print(f"byte-identical duplicates among the tapped frames: {dup:,} "
          f"({dup / max(recorded, 1):.2%}; before the hub: 15 %)")  # fmt: skip


if __name__ == "__main__":
    main()
