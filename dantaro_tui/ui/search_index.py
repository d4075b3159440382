"""Market search for the command palette: the ranking rules, and an index that keeps a
keystroke cheap with every venue's list loaded.

A market's search keys (code, base, Korean name and its initial consonants, English name
and its words) are normalised once, when its list is first searched after it loads, not
once per keystroke. A query then collects the markets an exact or prefix rule can rank
high (dictionary lookups and a binary search in sorted keys); when enough of them score
above anything the remaining rules can give, the other markets are never looked at. Only
a query with few such hits (``coin``, ``코인``) scans every market's keys.

The ranking (``market_score``) is the palette's documented order, see ``commands.py``.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

from dantaro_tui.model import Market

QUOTE_BONUS = {"KRW": 0.03, "BTC": 0.02, "USDT": 0.01}
# The best score a market can get from a rule the index does not look up (a word of the
# English name, or the query anywhere in a name or code): a candidate scoring above it
# cannot be passed by a market the index skipped.
_UNINDEXED_BEST = 0.6 + max(QUOTE_BONUS.values())
_WORDS = re.compile(r"[\s\-_.()]+")

# The 19 initial consonants (choseong) in Unicode order: syllable (code - 0xAC00) // 588.
CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_CHOSEONG_SET = frozenset(CHOSEONG)


@lru_cache(maxsize=8192)
def choseong(text: str) -> str:
    """The initial consonant of every Hangul syllable (``비트코인`` -> ``ㅂㅌㅋㅇ``); other
    characters are kept as they are (spaces dropped)."""
    out = []
    for ch in text:
        code = ord(ch)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            out.append(CHOSEONG[(code - _HANGUL_FIRST) // 588])
        elif not ch.isspace():
            out.append(ch)
    return "".join(out)


def is_choseong_query(query: str) -> bool:
    """True for a query of initial consonants only (``ㅂㅌ``), spaces allowed."""
    letters = [ch for ch in query if not ch.isspace()]
    return bool(letters) and all(ch in _CHOSEONG_SET for ch in letters)


@dataclass(frozen=True, slots=True)
class Keys:
    """One market's search keys, normalised as the queries are."""

    market: Market
    code: str  # upper case
    base: str  # upper case
    ko: str
    initials: str  # of the Korean name
    en: str  # casefolded
    en_words: tuple[str, ...]
    compact_code: str  # "KRWBTC"
    base_quote: str  # "BTCKRW"
    bonus: float


@lru_cache(maxsize=32768)
def keys_of(market: Market) -> Keys:
    code = market.symbol.upper()
    base = market.base.upper()
    quote = market.quote.upper()
    ko = market.korean_name
    en = market.english_name.casefold()
    return Keys(
        market=market,
        code=code,
        base=base,
        ko=ko,
        initials=choseong(ko) if ko else "",
        en=en,
        en_words=tuple(_WORDS.split(en)) if en else (),
        compact_code=code.replace("-", ""),
        base_quote=base + quote,
        bonus=QUOTE_BONUS.get(quote, 0.0),
    )


@dataclass(frozen=True, slots=True)
class Query:
    """A query normalised once for every market it is compared with."""

    raw: str  # stripped
    upper: str
    folded: str
    initials: str  # the query without spaces when it is initial consonants only, else ""
    compact: str

    @classmethod
    def of(cls, query: str) -> Query:
        q = query.strip()
        qu = q.upper()
        return cls(
            raw=q,
            upper=qu,
            folded=q.casefold(),
            initials=q.replace(" ", "") if is_choseong_query(q) else "",
            compact=qu.replace("-", "").replace("/", "").replace(" ", ""),
        )


def score(k: Keys, query: Query) -> float:
    """0 when the market does not match, else a score in (0, 1]; the first rule that
    matches decides, in the order the palette documents."""
    q, qu, ql = query.raw, query.upper, query.folded
    if not q:
        return 0.0
    ko, en, bonus = k.ko, k.en, k.bonus
    if qu == k.code:
        return 1.0
    if qu == k.base:
        return 0.9 + bonus
    if (ko and q == ko) or (en and ql == en):
        return 0.85 + bonus
    best = 0.0
    if k.base.startswith(qu) or k.code.startswith(qu):
        # a shorter remainder is a closer match: "BT" is nearer BTT than BTCB
        best = max(best, 0.7 + bonus - min(0.05, 0.005 * (len(k.base) - len(qu))))
    if ko and ko.startswith(q):
        best = max(best, 0.7 + bonus - min(0.05, 0.005 * (len(ko) - len(q))))
    if en and en.startswith(ql):
        best = max(best, 0.68 + bonus - min(0.05, 0.002 * (len(en) - len(ql))))
    if best:
        return best
    if en and any(word.startswith(ql) for word in k.en_words):
        return 0.6 + bonus
    if ko and q in ko:
        return 0.5 + bonus
    wanted = query.initials
    if ko and wanted:
        initials = k.initials
        if initials == wanted:
            return 0.8 + bonus
        if initials.startswith(wanted):
            return 0.65 + bonus - min(0.05, 0.005 * (len(initials) - len(wanted)))
        if wanted in initials:
            return 0.4 + bonus
        return 0.0
    if qu in k.code or (en and ql in en):
        return 0.45 + bonus
    compact = query.compact
    if compact and compact in (k.compact_code, k.base_quote):
        return 0.95 + bonus  # "krwbtc", "BTC/KRW", "btckrw"
    return 0.0


def market_score(market: Market, query: str) -> float:
    """0 when ``market`` does not match ``query``, else a score in (0, 1]."""
    return score(keys_of(market), Query.of(query))


class _Sorted:
    """Keys in sorted order, for every key that starts with a prefix."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        ordered = sorted(pairs)
        self.keys = [key for key, _ in ordered]
        self.ids = [i for _, i in ordered]

    def starting(self, prefix: str) -> Iterator[int]:
        keys, ids = self.keys, self.ids
        i = bisect_left(keys, prefix)
        while i < len(keys) and keys[i].startswith(prefix):
            yield ids[i]
            i += 1


class MarketIndex:
    """One market list's keys with lookups by exact key and by prefix."""

    def __init__(self, markets: Iterable[Market]) -> None:
        self.keys = [keys_of(m) for m in markets]
        self._exact: dict[str, list[int]] = {}
        for i, k in enumerate(self.keys):
            for key in {k.code, k.base, k.compact_code, k.base_quote, k.ko, k.en} - {""}:
                self._exact.setdefault(key, []).append(i)
        self._codes = _Sorted(
            (key, i) for i, k in enumerate(self.keys) for key in {k.code, k.base} if key
        )
        self._names = _Sorted(
            (key, i) for i, k in enumerate(self.keys) for key in {k.ko, k.en} if key
        )
        self._initials = _Sorted((k.initials, i) for i, k in enumerate(self.keys) if k.initials)
        # Every market's searchable text on one line, so that finding the markets a
        # substring occurs in is a few ``str.find`` calls rather than a loop over markets.
        lines = [f"{k.code}\t{k.en}\t{k.ko}\t{k.initials}" for k in self.keys]
        self._text = "\n".join(lines)
        self._starts = [0, *accumulate(len(line) + 1 for line in lines)][:-1]

    def __len__(self) -> int:
        return len(self.keys)

    def candidates(self, query: Query) -> set[int]:
        """Every market an exact or prefix rule matches (others score at most
        ``_UNINDEXED_BEST``)."""
        found: set[int] = set()
        for key in {query.raw, query.upper, query.folded, query.compact}:
            found.update(self._exact.get(key, ()))
        found.update(self._codes.starting(query.upper))
        found.update(self._names.starting(query.raw))
        found.update(self._names.starting(query.folded))
        if query.initials:
            found.update(self._initials.starting(query.initials))
        return found

    def containing(self, query: Query) -> set[int]:
        """Every market whose code, names or initials contain the query: a superset of
        what the word and substring rules match."""
        found: set[int] = set()
        text, starts = self._text, self._starts
        for needle in {query.raw, query.upper, query.folded, query.initials} - {""}:
            at = text.find(needle)
            while at != -1:
                i = bisect_right(starts, at) - 1
                found.add(i)
                if i + 1 >= len(starts):
                    break
                at = text.find(needle, starts[i + 1])  # one hit per market is enough
        return found


# (score, position of the list, position in it) -> best first, ties by code then list order
_Ranked = tuple[float, int, int]


def _scored(indexes: Sequence[MarketIndex], ids: Sequence[set[int]], qry: Query) -> list[_Ranked]:
    ranked: list[_Ranked] = []
    for pos, (index, wanted) in enumerate(zip(indexes, ids, strict=True)):
        keys = index.keys
        for i in wanted:
            s = score(keys[i], qry)
            if s > 0:
                ranked.append((s, pos, i))

    def order(r: _Ranked) -> tuple[float, str, int, int]:
        return (-r[0], indexes[r[1]].keys[r[2]].market.symbol, r[1], r[2])

    ranked.sort(key=order)
    return ranked


def search_indexes(
    indexes: Sequence[MarketIndex], query: str, limit: int = 50
) -> list[tuple[float, Market]]:
    """The best ``limit`` matches over several lists, best first, with their scores (ties:
    by code, then in the order of the lists)."""
    qry = Query.of(query)
    if not qry.raw or limit <= 0:
        return []

    certain = [index.candidates(qry) for index in indexes]
    ranked = _scored(indexes, certain, qry)
    if len(ranked) < limit or ranked[limit - 1][0] <= _UNINDEXED_BEST:
        # Too few certain hits: a market only a word or substring rule matches may rank.
        found = [c | index.containing(qry) for c, index in zip(certain, indexes, strict=True)]
        ranked = _scored(indexes, found, qry)
    return [(s, indexes[pos].keys[i].market) for s, pos, i in ranked[:limit]]


def search_markets(markets: Iterable[Market], query: str, limit: int = 50) -> list[Market]:
    """The matching markets, best first (ties: KRW first, then by code)."""
    return [m for _, m in search_indexes([MarketIndex(markets)], query, limit)]


class IndexCache:
    """The index of each market list, built the first time the list is searched and kept
    while the app holds that same list (a reloaded list is a new mapping)."""

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._cache: OrderedDict[int, tuple[Mapping[str, Market], int, MarketIndex]] = OrderedDict()

    def index(self, markets: Mapping[str, Market]) -> MarketIndex:
        key = id(markets)
        hit = self._cache.get(key)
        # The mapping is kept in the entry, so its id cannot be reused while cached; a
        # change of size means it was edited in place.
        if hit is not None and hit[0] is markets and hit[1] == len(markets):
            self._cache.move_to_end(key)
            return hit[2]
        index = MarketIndex(markets.values())
        self._cache[key] = (markets, len(markets), index)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return index
