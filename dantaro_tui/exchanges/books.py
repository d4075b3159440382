"""Exchange-neutral L2 order books for snapshot + delta feeds.

``L2Book`` (OKX) keeps the exact wire strings its checksum needs; ``LevelBook`` (Binance,
Gate.io) keeps the ``Level`` objects the decoder made and is built for speed. Both refuse a
level no real book has with ``BadLevel``.

L2Book
------

Each side keeps a dict ``sort key -> (price string, size string, size float)`` plus a
list of the sort keys kept in order with ``bisect``. The sort key is the price for asks
and the negated price for bids, so both lists are "best first" ascending. Reading the top
N levels is a slice; inserting or deleting a level is a binary search plus one short
``memmove`` (a 400-level side is 3.2 KB of pointers).

Measured in ``benchmarks/bench_okx_books.py`` against a plain dict sorted on every read
and against ``sortedcontainers.SortedDict``: when every update is followed by a read of
the top levels (checksum + emitted view) the bisect-maintained list wins.

The original wire strings are kept beside the floats because some exchanges (OKX) define
their checksum over the exact strings they sent. Applying a batch of levels is atomic: all
strings are converted first, so a malformed level raises ``ValueError`` before the book is
touched. A level no real book has (a price that is not a finite number above zero, a size
that is negative or not finite: ``float()`` reads "NaN", "Infinity" and "1e400") raises
``BadLevel``, a ``ValueError`` that says which level.

LevelBook
---------

Binance and Gate.io need no wire strings, and their decoders read every level straight
into a ``Level`` in C (``msgspec``): the book stores those objects as they are, so a level
becomes part of an emitted event without being built again. Each side is two parallel
lists (sort keys, ``Level`` objects) sorted ascending with the BEST LEVEL LAST: the bids by
price, the asks by negated price. Measured on the recorded Binance session, 89 % of the
changes land within 32 levels of the best, so best-last makes an insert or delete move a
few pointers instead of the whole side (at the front, a 1,000-level side costs six times
as much). A change above the worst shown level is searched for among the shown
levels only (five compares instead of ten on a 1,000-level side). Reading the top N is one
reversed slice. ``benchmarks/bench_level_structures.py`` replays the recorded deltas through
this and through ``sortedcontainers.SortedDict`` and a dict re-sorted on change: those take
4x and 7-12x as long, the view being rebuilt from them. The book keeps the view its codec
shows (the best ``depth`` levels of each side and their total size) and rebuilds a side's
view only when a delta changed it; a delta deeper than what is shown costs no new view
(see ``LevelSide._apply`` for how the total is kept without summing it on every change).

An update is atomic: every level is checked (``BadLevel``) before the book is touched.
Duplicate prices in a snapshot keep the last one, as ``L2Book`` does.

The books are helpers of the codecs (sans-I/O), so they live beside them in ``exchanges/``.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from itertools import islice
from operator import lt

from dantaro_tui.exchanges.sanity import INF, level_problem
from dantaro_tui.model import Level

RawLevel = Sequence[str]  # [price, size, ...]: extra fields (order counts) are ignored
_Parsed = tuple[float, str, str, float]  # (sort key, price str, size str, size)


class BadLevel(ValueError):
    """A level no real book has; the text names it: "a bid at -1 whose price is not above
    zero"."""


class BookSide:
    """One side of a book, best level first."""

    __slots__ = ("_keys", "_levels", "_sign")

    def __init__(self, descending: bool) -> None:
        self._sign = -1.0 if descending else 1.0
        self._keys: list[float] = []  # sort keys, ascending = best first
        self._levels: dict[float, tuple[str, str, float]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def clear(self) -> None:
        self._keys.clear()
        self._levels.clear()

    def _parse(self, levels: Iterable[RawLevel]) -> list[_Parsed]:
        sign = self._sign
        out: list[_Parsed] = []
        for lv in levels:
            px = lv[0]
            sz = lv[1]
            price = float(px)
            size = float(sz)
            if not (0.0 < price < INF and 0.0 <= size < INF):  # also False for NaN
                side = "bid" if sign < 0.0 else "ask"
                raise BadLevel(level_problem(side, price, size) or f"a {side} {px!r} {sz!r}")
            out.append((sign * price, px, sz, size))
        return out

    def _apply(self, parsed: list[_Parsed]) -> None:
        keys = self._keys
        levels = self._levels
        for key, px, sz, size in parsed:
            if size == 0.0:
                if levels.pop(key, None) is not None:
                    del keys[bisect_left(keys, key)]
            else:
                if key not in levels:
                    insort(keys, key)
                levels[key] = (px, sz, size)

    def _replace(self, parsed: list[_Parsed]) -> None:
        levels = {key: (px, sz, size) for key, px, sz, size in parsed if size != 0.0}
        self._levels = levels
        self._keys = sorted(levels)

    def best(self) -> float | None:
        """Best price, or None when the side is empty."""
        return self._sign * self._keys[0] if self._keys else None

    def top(self, n: int) -> tuple[Level, ...]:
        """The best ``n`` levels as (price, size) floats, best first."""
        sign = self._sign
        levels = self._levels
        return tuple(Level(sign * k, levels[k][2]) for k in self._keys[:n])

    def top_raw(self, n: int) -> list[tuple[str, str]]:
        """The best ``n`` levels as the (price, size) strings the exchange sent."""
        levels = self._levels
        return [levels[k][:2] for k in self._keys[:n]]

    def size_at(self, price: float) -> float:
        """Size resting at ``price`` (0.0 when there is no level)."""
        entry = self._levels.get(self._sign * price)
        return entry[2] if entry is not None else 0.0

    def prices(self) -> list[float]:
        """All prices, best first."""
        sign = self._sign
        return [sign * k for k in self._keys]


class L2Book:
    """Bids (descending) and asks (ascending) with exact wire strings kept per level."""

    __slots__ = ("asks", "bids")

    def __init__(self) -> None:
        self.bids = BookSide(descending=True)
        self.asks = BookSide(descending=False)

    def __len__(self) -> int:
        return len(self.bids) + len(self.asks)

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()

    def snapshot(self, bids: Iterable[RawLevel], asks: Iterable[RawLevel]) -> None:
        """Replace the whole book. Levels of size 0 are skipped. Atomic on error."""
        pb = self.bids._parse(bids)
        pa = self.asks._parse(asks)
        self.bids._replace(pb)
        self.asks._replace(pa)

    def update(self, bids: Iterable[RawLevel], asks: Iterable[RawLevel]) -> None:
        """Apply deltas: size 0 deletes the level, an existing price gets the new size, a
        new price is inserted in order. Atomic on error (``ValueError``/``IndexError``/
        ``TypeError`` leave the book as it was)."""
        pb = self.bids._parse(bids)
        pa = self.asks._parse(asks)
        self.bids._apply(pb)
        self.asks._apply(pa)

    def top(self, n: int) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """(bids, asks), the best ``n`` of each side, best first."""
        return self.bids.top(n), self.asks.top(n)

    def best_bid(self) -> float | None:
        return self.bids.best()

    def best_ask(self) -> float | None:
        return self.asks.best()

    def crossed(self) -> bool:
        """True when the best bid is at or above the best ask (a broken book)."""
        bid = self.bids.best()
        ask = self.asks.best()
        return bid is not None and ask is not None and bid >= ask


# --------------------------------------------------------------------------- LevelBook

_DRIFT = 16  # changes added to a view's total one by one before it is summed again


def levels_from_raw(raw: Iterable[RawLevel]) -> list[Level]:
    """``Level`` objects from wire pairs ``[price string, size string, ...]``, for input
    the fast decoders refused. ``ValueError``/``TypeError``/``IndexError`` for a level that
    does not read as two numbers; the values are checked when the levels reach a book."""
    return [Level(float(lv[0]), float(lv[1])) for lv in raw]


def _refuse(side: str, levels: Iterable[Level]) -> None:
    """Raise ``BadLevel`` for the first impossible level of ``levels`` (if any)."""
    for lv in levels:
        p = lv.price
        s = lv.size
        if not (0.0 < p < INF and 0.0 <= s < INF):  # also False for NaN
            raise BadLevel(level_problem(side, p, s) or f"a {side} at {p!r} of size {s!r}")


def _check_many(side: str, levels: list[Level], prices: list[float], sizes: list[float]) -> None:
    """``_refuse`` for a whole snapshot, with the loop in C: a NaN makes the sum NaN, an
    infinity makes it infinite, so only a suspect list is walked level by level (sums of
    sane values near 1e308 can overflow: that walk then finds nothing and accepts)."""
    if not prices or (
        min(prices) > 0.0 and sum(prices) < INF and min(sizes) >= 0.0 and sum(sizes) < INF
    ):
        return
    _refuse(side, levels)


class LevelSide:
    """One side of a ``LevelBook``: keys and ``Level`` objects in ascending key order, best
    LAST, and the shown view: the best ``depth`` levels (``view``, best first) and their
    summed size (``total``)."""

    __slots__ = ("_asks", "_drift", "_peak", "depth", "keys", "levels", "total", "view")

    def __init__(self, descending: bool, depth: int = 30) -> None:
        self._asks = not descending  # asks are keyed by the negated price
        self.depth = depth
        self.keys: list[float] = []
        self.levels: list[Level] = []
        self.view: tuple[Level, ...] = ()
        self.total = 0.0
        self._drift = 0  # changes added to ``total`` one by one since it was last summed
        self._peak = 0.0  # the largest ``total`` since then

    def __len__(self) -> int:
        return len(self.keys)

    def clear(self) -> None:
        self.keys = []
        self.levels = []
        self._refresh()

    def best(self) -> float | None:
        """Best price, or None when the side is empty."""
        return self.levels[-1].price if self.levels else None

    def top(self, n: int) -> tuple[Level, ...]:
        """The best ``n`` levels, best first."""
        return tuple(self.levels[: -n - 1 : -1]) if n > 0 else ()

    def _refresh(self) -> None:
        """The view and its total, summed afresh."""
        view = self.view = self.top(self.depth)
        self.total = self._peak = sum([lv.size for lv in view])
        self._drift = 0

    def _load(self, levels: list[Level], prices: list[float], sizes: list[float]) -> None:
        """Replace the side with checked ``levels`` (any order; size 0 skipped)."""
        if sizes and min(sizes) == 0.0:
            levels = [lv for lv in levels if lv.size != 0.0]
            prices = [lv.price for lv in levels]
        keys = [-p for p in prices] if self._asks else prices[:]
        # The wire sends the best first: reversed, that is ascending, best last.
        keys.reverse()
        ordered = levels[::-1]
        if not all(map(lt, keys, islice(keys, 1, None))):  # unsorted or a repeated price
            by_key = dict(zip(keys[::-1], levels, strict=True))  # wire order: the last wins
            keys = sorted(by_key)
            ordered = [by_key[k] for k in keys]
        self.keys = keys
        self.levels = ordered
        self._refresh()

    def _apply(self, changes: Sequence[Level]) -> bool:
        """Apply checked deltas (size 0 deletes); True when the view changed.

        The view's total is not summed again for each change: a change within the view
        adds its difference (and the size of a level that enters or leaves the view as
        others move). Rounding then errs by at most a few units of the last place of the
        largest total met, so the total is summed afresh after ``_DRIFT`` such changes, and
        as soon as it falls below half of that largest total (where those units would
        start to show): it stays within about 1e-14 of the exact sum, never negative.

        ``top`` is the index of the worst shown level (negative while the side holds
        fewer than ``depth`` levels): a level at ``i >= top`` is shown. It and ``end``
        are kept by hand across the changes, cheaper than ``len()`` per level."""
        keys = self.keys
        levels = self.levels
        neg = self._asks
        end = len(keys)
        top = end - self.depth
        total = self.total
        peak = self._peak
        steps = 0  # changes within the view
        for lv in changes:
            size = lv.size
            k = -lv.price if neg else lv.price
            # Most changes land within the view: searching only there halves the compares.
            i = bisect_left(keys, k, top) if top > 0 and k > keys[top] else bisect_left(keys, k)
            if i < end and keys[i] == k:
                if i < top:  # below the view
                    if size == 0.0:
                        del keys[i]
                        del levels[i]
                        end -= 1
                        top -= 1
                    else:
                        levels[i] = lv
                    continue
                steps += 1
                if size == 0.0:
                    total -= levels[i].size
                    del keys[i]
                    del levels[i]
                    end -= 1
                    top -= 1
                    if top >= 0:  # the best level below the view comes into it
                        total += levels[top].size
                else:
                    total += size - levels[i].size
                    levels[i] = lv
            elif size != 0.0:
                keys.insert(i, k)
                levels.insert(i, lv)
                end += 1
                if i <= top:  # below the view
                    top += 1
                    continue
                steps += 1
                total += size
                if top >= 0:  # the worst level shown drops out
                    total -= levels[top].size
                top += 1
            else:
                continue  # deleting a level the book does not have
            if total > peak:
                peak = total
        if not steps:
            return False
        drift = self._drift + steps
        if drift > _DRIFT or not total + total >= peak:  # also re-sums a NaN
            self._refresh()
            return True
        self._drift = drift
        self._peak = peak
        self.total = total
        self.view = tuple(levels[: -self.depth - 1 : -1])
        return True


class LevelBook:
    """Bids and asks of ``Level`` objects (see the module doc); each side keeps the view a
    codec shows: ``bids.view``/``asks.view`` (the best ``depth`` levels, best first) and
    ``bids.total``/``asks.total`` (their summed sizes)."""

    __slots__ = ("asks", "bids", "depth")

    def __init__(self, depth: int = 30) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self.depth = depth
        self.bids = LevelSide(descending=True, depth=depth)
        self.asks = LevelSide(descending=False, depth=depth)

    def __len__(self) -> int:
        return len(self.bids) + len(self.asks)

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()

    def snapshot(self, bids: Sequence[Level], asks: Sequence[Level]) -> None:
        """Replace the whole book (levels in any order; size 0 skipped). Atomic."""
        bid_list = bids if type(bids) is list else list(bids)  # read, never changed
        ask_list = asks if type(asks) is list else list(asks)
        bid_prices = [lv.price for lv in bid_list]
        ask_prices = [lv.price for lv in ask_list]
        bid_sizes = [lv.size for lv in bid_list]
        ask_sizes = [lv.size for lv in ask_list]
        _check_many("bid", bid_list, bid_prices, bid_sizes)
        _check_many("ask", ask_list, ask_prices, ask_sizes)
        self.bids._load(bid_list, bid_prices, bid_sizes)
        self.asks._load(ask_list, ask_prices, ask_sizes)

    def update(self, bids: Sequence[Level], asks: Sequence[Level]) -> int:
        """Apply deltas: size 0 deletes the level, an existing price gets the new size, a
        new price is inserted in order. Atomic (``BadLevel`` before any change). Returns
        which sides' views changed: 1 the bids, 2 the asks, 3 both, 0 neither (the delta
        was deeper than the view)."""
        for lv in bids:
            if not (0.0 < lv.price < INF and 0.0 <= lv.size < INF):
                _refuse("bid", bids)
        for lv in asks:
            if not (0.0 < lv.price < INF and 0.0 <= lv.size < INF):
                _refuse("ask", asks)
        changed = 1 if bids and self.bids._apply(bids) else 0
        if asks and self.asks._apply(asks):
            changed |= 2
        return changed

    def top(self, n: int) -> tuple[tuple[Level, ...], tuple[Level, ...]]:
        """(bids, asks), the best ``n`` of each side, best first."""
        return self.bids.top(n), self.asks.top(n)

    def best_bid(self) -> float | None:
        return self.bids.best()

    def best_ask(self) -> float | None:
        return self.asks.best()

    def crossed(self) -> bool:
        """True when the best bid is at or above the best ask (a broken book)."""
        bid_keys = self.bids.keys
        ask_keys = self.asks.keys
        return bool(bid_keys) and bool(ask_keys) and bid_keys[-1] >= -ask_keys[-1]
