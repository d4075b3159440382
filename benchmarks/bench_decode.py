"""How much does decoding Upbit frames into typed events cost over parsing the JSON alone?

Loads the recorded Upbit session (real binary frames: trades and 15-level order books),
repeats it to about 200,000 frames and times, in the same run and best of 5:

* bare ``orjson.loads`` of every frame (the floor: JSON to Python dicts, nothing else), and
* ``UpbitCodec().decode(frame, 0)``: parse, validate, normalize to ``Trade``/``OrderBook``.

Goal: decode costs at most 2x the bare parse. Run from the repository root:

    python benchmarks/bench_decode.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from dantaro_tui.exchanges.upbit import UpbitCodec  # noqa: E402
from tests.recorded import load  # noqa: E402

TARGET = 200_000
ROUNDS = 5
GOAL = 2.0


def best_of(fn: Callable[[Sequence[str | bytes]], object], frames: Sequence[str | bytes]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn(frames)
        best = min(best, time.perf_counter() - start)
    return best


def bare_orjson(frames: Sequence[str | bytes]) -> None:
    loads = orjson.loads
    for frame in frames:
        loads(frame)


def codec_decode(frames: Sequence[str | bytes]) -> None:
    decode = UpbitCodec().decode
    for frame in frames:
        decode(frame, 0)


def run(label: str, frames: Sequence[str | bytes]) -> float:
    base = best_of(bare_orjson, frames)
    ours = best_of(codec_decode, frames)
    n = len(frames)
    ratio = ours / base
    print(f"\n{label}: {n:,} frames, best of {ROUNDS}")
    print(f"  orjson.loads         {n / base:>12,.0f} frames/s   {base / n * 1e6:6.2f} us/frame")
    print(f"  UpbitCodec.decode    {n / ours:>12,.0f} frames/s   {ours / n * 1e6:6.2f} us/frame")
    print(f"  ratio decode/orjson  {ratio:12.2f}   (goal <= {GOAL:.1f})")
    return ratio


def main() -> int:
    recorded: list[bytes] = [
        f if isinstance(f, bytes) else f.encode() for _, f in load("upbit_ws.txt").received
    ]
    codec = UpbitCodec()
    errors = [e for f in recorded for e in codec.decode(f, 0) if type(e).__name__ == "Status"]
    if errors:
        print(f"the codec reported {len(errors)} errors on the recording: {errors[0]}")
        return 1
    trades = [f for f in recorded if f.startswith(b'{"ty":"trade"')]
    books = [f for f in recorded if f.startswith(b'{"ty":"orderbook"')]

    def repeat(frames: list[bytes]) -> list[bytes]:
        return (frames * (TARGET // len(frames) + 1))[:TARGET]

    size = sum(len(f) for f in recorded) / len(recorded)
    print(
        f"Upbit recorded session: {len(recorded)} frames ({len(trades)} trades, "
        f"{len(books)} order books), {size:.0f} bytes a frame on average"
    )
    ratio = run("recorded mix", repeat(recorded))
    run("trades only", repeat(trades))
    run("order books only", repeat(books))
    verdict = "meets" if ratio <= GOAL else "MISSES"
    print(f"\nrecorded mix: decode costs {ratio:.2f}x a bare orjson.loads: {verdict} the goal")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
