"""Recording figures: recorder throughput, headless replay throughput, bytes per frame on
disk, and the recorder's memory over a long run.

    python benchmarks/bench_record.py [--frames 300000] [--soak-minutes 10] [--sim]

1. record: a loopback server in another process writes Upbit frames (the real recorded
   frames with their numbers varied, so compression is not flattered) to the socket as fast
   as it takes them; the same path as ``dantaro-tui record`` (Connection -> codec ->
   WebSocketClient, plus the Recorder's tap) receives and writes them. Prints sustained
   frames/s (first frame received -> last frame fsynced on disk) and frames lost (goal:
   >= 50,000 frames/s, 0 lost), against the client alone without the recorder (baseline).
2. replay: ``replay --speed max --headless`` of that recording (goal: >= 100,000 frames/s).
3. bytes per frame on disk, at full speed and at a calm 200 frames/s; with ``--sim`` also
   recording every KRW market of the simulator (run in its own process at a high
   intensity: it generates frames as fast as it can) for frames/s and bytes per frame of
   its more realistic data.
4. memory: RSS of a process recording 20,000 frames/s after 1 minute and after
   ``--soak-minutes`` (goal: flat).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

import _common  # first: puts the repo root on sys.path
import orjson

try:
    import psutil
except ImportError:  # an extra, not a dependency of the app
    raise SystemExit(
        'bench_record.py needs psutil (memory figures): pip install -e ".[bench]"'
    ) from None

from dantaro_tui import WebSocketClient
from dantaro_tui.feed.tap import TapRecord
from dantaro_tui.recording.format import Recording, read_manifest
from dantaro_tui.recording.recorder import Recorder
from dantaro_tui.recording.replay import replay_headless

_PRICES = (b'"tp":', b'"ap":', b'"bp":', b'"pcp":', b'"cp":')
_NUMBER = re.compile(
    rb'("(?:tms|ttms|sid|tp|tv|ap|bp|as|bs|tas|tbs|cp|pcp)":)(-?[\d.]+(?:E-?\d+)?)'
)


def varied_frames(count: int, seed: int = 1) -> list[bytes]:
    """Real recorded Upbit trade/book frames with timestamps, ids, prices and sizes varied
    (every price of a frame by the same factor, so its book stays in order: the codec
    refuses a book that is not)."""
    rng = random.Random(seed)
    templates = [
        f if isinstance(f, bytes) else f.encode() for f in _common.recorded_frames("upbit_ws.txt")
    ]
    templates = [f for f in templates if b'"ty":"trade"' in f or b'"ty":"orderbook"' in f]
    clock = 1_795_000_000_000
    sid = 1_795_000_000_000_000
    factor = 1.0

    def vary(m: re.Match[bytes]) -> bytes:
        nonlocal clock, sid
        key, value = m[1], m[2]
        if key in (b'"tms":', b'"ttms":'):
            clock += rng.randint(0, 3)
            return key + str(clock).encode()
        if key == b'"sid":':
            sid += rng.randint(1, 9)
            return key + str(sid).encode()
        number = float(value)
        if key not in _PRICES:
            jitter = number * (1 + rng.uniform(-0.002, 0.002))
        else:  # sub-1 prices (BTC markets) keep theirs: rounding could merge two levels
            jitter = number * factor if number >= 1 else number
        decimals = len(value.split(b".")[1]) if b"." in value and b"E" not in value else 8
        return key + f"{jitter:.{min(decimals, 8)}f}".encode()

    out = []
    for i in range(count):
        factor = 1 + rng.uniform(-0.002, 0.002)
        out.append(_NUMBER.sub(vary, templates[i % len(templates)]))
    return out


def blob(total: int) -> bytes:
    return b"".join(_common.ws_frame(f) for f in varied_frames(total))


def codes() -> list[str]:
    return sorted({orjson.loads(f)["cd"] for f in varied_frames(500)})


async def receive(url: str, total: int, out: Path | None) -> tuple[float, float, int]:
    """(frames/s received, frames/s received+written, frames on disk)."""
    recorder = Recorder(out).start() if out is not None else None
    client = WebSocketClient("bench-record", url=url)
    t0, t_recv = await _common.receive_events(client, codes(), total, timeout=300)
    await client.cleanup()
    on_disk = 0
    if recorder is not None:
        recorder.close()
        on_disk = recorder.stats.frames
    t_written = time.perf_counter()
    return (total - 1) / (t_recv - t0), (total - 1) / (t_written - t0), on_disk


def bytes_per_frame(folder: Path) -> float:
    manifest = read_manifest(folder)
    assert manifest is not None
    frames = sum(c.frames for c in manifest.chunks)
    return sum(c.bytes for c in manifest.chunks) / max(frames, 1)


def calm_bytes_per_frame(work: Path, rate: int = 200, seconds: float = 4.0) -> float:
    folder = work / "calm"
    frames = varied_frames(int(rate * seconds), seed=2)
    with Recorder(folder) as rec:
        rec.tap(TapRecord("connect", time.time_ns(), "upbit", "ws://x", "upbit-1"))
        step = 1 / rate
        t0 = time.perf_counter()
        for i, f in enumerate(frames):
            delay = t0 + i * step - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            rec.tap(TapRecord("recv", time.time_ns(), "upbit", "ws://x", "upbit-1", f))
    return bytes_per_frame(folder)


async def record_sim(work: Path, seconds: float, intensity: float) -> tuple[float, float, int]:
    """Record every KRW market of the simulator (in its own process, at ``intensity``) for
    ``seconds``: (frames/s written, bytes per frame, disconnects)."""
    import subprocess
    import sys

    from dantaro_tui.recording.cli import fetch_markets

    sim = subprocess.Popen(
        [sys.executable, "-m", "dantaro_tui", "sim", "--intensity", str(intensity)],
        stdout=subprocess.PIPE,
        cwd=_common.ROOT,
    )
    try:
        assert sim.stdout is not None
        urls = orjson.loads(sim.stdout.readline())["upbit"]
        markets, url, body = await fetch_markets("upbit", urls["rest"], ["KRW"])
        folder = work / "sim"
        rec = Recorder(folder).start()
        rec.record_rest("upbit", url, body)
        client = WebSocketClient("bench-sim", url=urls["ws"])
        await asyncio.gather(
            *(
                client.subscribe(ch, markets, lambda _e: None)
                for ch in ("ticker", "trade", "orderbook")
            )
        )
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        await client.cleanup()
        rec.close()
        elapsed = time.perf_counter() - t0
    finally:
        sim.terminate()
        sim.wait(10)
    return rec.stats.frames / elapsed, bytes_per_frame(folder), rec.stats.disconnects - 1


def rss_mb() -> float:
    return psutil.Process(os.getpid()).memory_info().rss / 1e6


def soak(work: Path, minutes: float, rate: int) -> tuple[float, list[float]]:
    """RSS (MB) before, and at the end of every minute, of recording ``rate`` frames/s."""
    frames = varied_frames(5000, seed=3)
    folder = work / "soak"
    gc.collect()
    before = rss_mb()
    samples: list[float] = []
    with Recorder(folder, rotate_bytes=50 * 1024 * 1024) as rec:
        rec.tap(TapRecord("connect", time.time_ns(), "upbit", "ws://x", "upbit-1"))
        tick = 0.01
        per_tick = max(1, int(rate * tick))
        t0 = time.perf_counter()
        i = 0
        n = 0
        while True:
            now = time.perf_counter()
            elapsed = now - t0
            if elapsed >= minutes * 60:
                break
            if elapsed >= 60 * (len(samples) + 1):
                samples.append(rss_mb())
            for _ in range(per_tick):
                rec.tap(TapRecord("recv", time.time_ns(), "upbit", "ws://x", "upbit-1",
                                  frames[i]))  # fmt: skip
                i = (i + 1) % len(frames)
            n += 1
            delay = t0 + n * tick - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        samples.append(rss_mb())
    shutil.rmtree(folder, ignore_errors=True)
    return before, samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--soak-minutes", type=float, default=10.0, help="0 = skip")
    parser.add_argument("--soak-rate", type=int, default=20_000)
    parser.add_argument("--sim", action="store_true", help="also record the simulator")
    parser.add_argument("--sim-seconds", type=float, default=15.0)
    parser.add_argument("--sim-intensity", type=float, default=300.0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-record-"))
    try:
        proc, url = _common.run_blob_server(blob, args.frames, timeout=120)
        try:
            base, rec_rates, written_rates, lost = [], [], [], []
            for r in range(args.rounds):
                base.append(asyncio.run(receive(url, args.frames, None))[0])
                folder = work / f"rec{r}"
                got, written, on_disk = asyncio.run(receive(url, args.frames, folder))
                rec_rates.append(got)
                written_rates.append(written)
                lost.append(args.frames - on_disk)
        finally:
            proc.kill()
        folder = work / f"rec{args.rounds - 1}"
        on_disk = sum(1 for r in Recording(folder).records() if r.type == "recv")
        print(f"frames per run                         {args.frames:>12,}")
        print(f"client alone (baseline)                {max(base):>12,.0f} frames/s")
        print(f"client + recorder, received            {max(rec_rates):>12,.0f} frames/s")
        print(
            f"client + recorder, written + fsynced   {max(written_rates):>12,.0f} frames/s"
            "  (goal >= 50,000)"
        )
        print(f"ratio recorder / baseline              {max(rec_rates) / max(base):>12.2f}")
        print(f"frames lost (every round)              {lost!s:>12}  (read back: {on_disk:,})")

        rates = []
        for _ in range(3):
            summary = replay_headless(folder)
            rates.append(summary.frames / summary.wall_seconds)
        print(f"replay --speed max --headless          {max(rates):>12,.0f} frames/s"
              "  (goal >= 100,000)")  # fmt: skip
        print(f"bytes per frame on disk, full speed    {bytes_per_frame(folder):>12,.1f}")
        print(f"bytes per frame on disk, 200 frames/s  {calm_bytes_per_frame(work):>12,.1f}")
        raw = sum(len(f) for f in varied_frames(2000)) / 2000
        print(f"raw frame size (average)               {raw:>12,.1f}")
        if args.sim:
            rate, bpf, drops = asyncio.run(record_sim(work, args.sim_seconds, args.sim_intensity))
            print(
                f"simulator (all KRW markets, intensity {args.sim_intensity:g}, own process): "
                f"{rate:,.0f} frames/s written, {bpf:,.1f} bytes/frame, {drops} drops"
            )
        if args.soak_minutes > 0:
            before, samples = soak(work, args.soak_minutes, args.soak_rate)
            one, end = samples[0], samples[-1]
            print(
                f"recorder RSS at {args.soak_rate:,} frames/s: start {before:,.0f} MB, "
                f"1 min {one:,.0f} MB, {args.soak_minutes:g} min {end:,.0f} MB "
                f"(after 1 min: {end - one:+,.1f} MB)"
            )
            print("  RSS each minute (MB): " + " ".join(f"{v:,.0f}" for v in samples))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
