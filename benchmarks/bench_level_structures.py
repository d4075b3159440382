"""Which structure should keep a Binance / Gate.io book? The recorded diff-depth deltas of
both sessions, applied after the recorded REST snapshots, through three candidates that do
the same work per delta: check every level (no NaN, negative or infinite value), apply it,
and, when a shown level changed, rebuild the top-30 view of that side and its total.

* ``LevelBook``: what the codecs use (two parallel lists per side, best level last,
  ``bisect``; the view's total kept by differences).
* ``SortedDict``: ``sortedcontainers.SortedDict`` price key -> ``Level``; the view read
  back through its sorted keys and summed (when sortedcontainers is installed: it is not
  a dependency of the app).
* ``dict + sort``: a plain dict per side, the top 30 found again (``heapq``) whenever a
  change reaches the shown levels; deeper changes cost a dict store only.

Each candidate's views are compared with ``LevelBook``'s after every delta before timing.
Rounds alternate between the candidates; the rate is the best round's.

Run from the repo root: ``python benchmarks/bench_level_structures.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import heapq
import importlib.util
import time
from collections.abc import Callable, Sequence
from typing import Any

import _common  # noqa: F401 - first: puts the repo root on sys.path
import orjson

from dantaro_tui.exchanges.books import LevelBook, levels_from_raw
from dantaro_tui.exchanges.sanity import INF
from dantaro_tui.model import Level
from tests.recorded import load

DEPTH = 30
Delta = tuple[str, list[Level], list[Level]]  # symbol, bid changes, ask changes
Views = tuple[tuple[Level, ...], tuple[Level, ...]]


def session(ws: str, rest: str, key: str, id_field: str) -> tuple[dict[str, Any], list[Delta]]:
    """(symbol -> snapshot body, the deltas the sync applies) of a recorded session: a
    delta whose last id the book already holds is dropped, as the codecs do."""
    snaps = {
        url.split(f"{key}=")[1].split("&")[0]: orjson.loads(body)
        for url, _, body in load(rest).rest
    }
    last = {sym: int(body[id_field]) for sym, body in snaps.items()}
    deltas: list[Delta] = []
    for _, frame in load(ws).received:
        msg = orjson.loads(frame)
        if not isinstance(msg, dict):
            continue
        d = msg.get("data") or msg.get("result")
        is_delta = msg.get("event") == "update" or "@depth" in str(msg.get("stream", ""))
        if not (isinstance(d, dict) and is_delta and d.get("s") in last and "U" in d):
            continue
        if int(d["u"]) <= last[d["s"]]:
            continue
        last[d["s"]] = int(d["u"])
        deltas.append((d["s"], levels_from_raw(d["b"]), levels_from_raw(d["a"])))
    return snaps, deltas


def check(levels: Sequence[Level]) -> None:
    for lv in levels:
        if not (0.0 < lv.price < INF and 0.0 <= lv.size < INF):
            raise ValueError("an impossible level")


class SortedSide:
    def __init__(self, levels: list[Level], asks: bool) -> None:
        from sortedcontainers import SortedDict

        self.sign = -1.0 if asks else 1.0  # best level last, as in LevelBook
        self.d = SortedDict({self.sign * lv.price: lv for lv in levels if lv.size})
        self.view: tuple[Level, ...] = ()
        self.total = 0.0
        self.rebuild()

    def rebuild(self) -> None:
        d = self.d
        self.view = tuple(map(d.__getitem__, d.islice(max(0, len(d) - DEPTH), reverse=True)))
        self.total = sum([lv.size for lv in self.view])

    def apply(self, changes: list[Level]) -> None:
        d = self.d
        worst = d.peekitem(-DEPTH)[0] if len(d) >= DEPTH else -INF
        shown = False
        for lv in changes:
            k = self.sign * lv.price
            if lv.size == 0.0:
                shown |= d.pop(k, None) is not None and k >= worst
            else:
                d[k] = lv
                shown |= k >= worst
        if shown:
            self.rebuild()


class DictSide(SortedSide):
    def __init__(self, levels: list[Level], asks: bool) -> None:
        self.sign = -1.0 if asks else 1.0
        self.plain = {self.sign * lv.price: lv for lv in levels if lv.size}
        self.worst = -INF
        super().__init__(levels, asks)

    def rebuild(self) -> None:
        plain = self.plain
        keys = heapq.nlargest(DEPTH, plain)
        self.view = tuple(map(plain.__getitem__, keys))
        self.total = sum([lv.size for lv in self.view])
        self.worst = keys[-1] if len(keys) == DEPTH else -INF

    def apply(self, changes: list[Level]) -> None:
        plain = self.plain
        worst = self.worst
        shown = False
        for lv in changes:
            k = self.sign * lv.price
            if lv.size == 0.0:
                shown |= plain.pop(k, None) is not None and k >= worst
            else:
                plain[k] = lv
                shown |= k >= worst
        if shown:
            self.rebuild()


def run_levelbook(snaps: dict[str, Any], deltas: list[Delta]) -> tuple[float, list[Views]]:
    books = {}
    for sym, body in snaps.items():
        books[sym] = book = LevelBook(DEPTH)
        book.snapshot(levels_from_raw(body["bids"]), levels_from_raw(body["asks"]))
    seen: list[Views] = []
    t0 = time.perf_counter()
    for sym, bids, asks in deltas:
        book = books[sym]
        book.update(bids, asks)
        seen.append((book.bids.view, book.asks.view))
    return time.perf_counter() - t0, seen


def runner(side: type[SortedSide]) -> Callable[..., tuple[float, list[Views]]]:
    def run(snaps: dict[str, Any], deltas: list[Delta]) -> tuple[float, list[Views]]:
        books = {
            sym: (
                side(levels_from_raw(body["bids"]), False),
                side(levels_from_raw(body["asks"]), True),
            )
            for sym, body in snaps.items()
        }
        seen: list[Views] = []
        t0 = time.perf_counter()
        for sym, bids, asks in deltas:
            b, a = books[sym]
            check(bids)
            check(asks)
            if bids:
                b.apply(bids)
            if asks:
                a.apply(asks)
            seen.append((b.view, a.view))
        return time.perf_counter() - t0, seen

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    runs = {
        "LevelBook (lists, bisect)": run_levelbook,
        "SortedDict": runner(SortedSide),
        "dict + sort on change": runner(DictSide),
    }
    if importlib.util.find_spec("sortedcontainers") is None:
        print("sortedcontainers is not installed: its candidate is left out")
        del runs["SortedDict"]
    for name, (ws, rest, key, id_field) in {
        "Binance": ("binance_ws.txt", "binance_depth_rest.txt", "symbol", "lastUpdateId"),
        "Gate.io": ("gateio_ws.txt", "gateio_depth_rest.txt", "currency_pair", "id"),
    }.items():
        snaps, deltas = session(ws, rest, key, id_field)
        want = run_levelbook(snaps, deltas)[1]
        for label, run in runs.items():
            if run(snaps, deltas)[1] != want:
                raise SystemExit(f"{name}: {label} shows other levels than LevelBook")
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.rounds):
            for label, run in runs.items():
                best[label] = min(best[label], run(snaps, deltas)[0])
        base = best["LevelBook (lists, bisect)"]
        print(f"\n{name}: {len(deltas)} recorded deltas on {len(snaps)} books, top {DEPTH}")
        for label, dt in best.items():
            print(
                f"  {label:26s} {dt / len(deltas) * 1e9:7,.0f} ns a delta"
                f"  ({dt / base:4.2f}x LevelBook's time)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
