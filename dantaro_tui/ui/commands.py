"""Command palette providers: markets by code, English name or Korean name.

Ranking (higher first), so that what a trader types lands on the market they mean:

1. the exact code (``KRW-BTC``), then the exact base (``btc`` -> ``KRW-BTC``), with the
   KRW market before the BTC and USDT ones;
2. exact English or Korean name (``bitcoin``, ``비트코인``);
3. a code, base or name that starts with the query (``bt``, ``Bit``, ``비트``);
4. a word of the English name that starts with the query (``cash`` -> Bitcoin Cash);
5. the query anywhere in a code or name (``코인`` finds every "…코인").

Korean is matched on whole syllables (no jamo decomposition): ``비트`` finds 비트코인,
비트코인캐시, 비트토렌트…. A code the list does not know (``KRW-NEWCOIN``) is still offered
last, so a market listed after startup can be opened; a bad code then says so in the chart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from dantaro_tui.config import DEFAULT_SYMBOLS
from dantaro_tui.model import Market

QUOTE_BONUS = {"KRW": 0.03, "BTC": 0.02, "USDT": 0.01}
_CODE = re.compile(r"^[A-Z0-9]{2,10}-[A-Z0-9]{1,20}$")


def market_score(market: Market, query: str) -> float:
    """0 when ``market`` does not match ``query``, else a score in (0, 1]."""
    q = query.strip()
    if not q:
        return 0.0
    qu = q.upper()
    ql = q.casefold()
    code = market.symbol.upper()
    base = market.base.upper()
    ko = market.korean_name
    en = market.english_name.casefold()
    bonus = QUOTE_BONUS.get(market.quote.upper(), 0.0)
    if qu == code:
        return 1.0
    if qu == base:
        return 0.9 + bonus
    if (ko and q == ko) or (en and ql == en):
        return 0.85 + bonus
    best = 0.0
    if base.startswith(qu) or code.startswith(qu):
        # a shorter remainder is a closer match: "BT" is nearer BTT than BTCB
        best = max(best, 0.7 + bonus - min(0.05, 0.005 * (len(base) - len(qu))))
    if ko and ko.startswith(q):
        best = max(best, 0.7 + bonus - min(0.05, 0.005 * (len(ko) - len(q))))
    if en and en.startswith(ql):
        best = max(best, 0.68 + bonus - min(0.05, 0.002 * (len(en) - len(ql))))
    if best:
        return best
    if en and any(word.startswith(ql) for word in re.split(r"[\s\-_.()]+", en)):
        return 0.6 + bonus
    if ko and q in ko:
        return 0.5 + bonus
    if qu in code or (en and ql in en):
        return 0.45 + bonus
    compact = qu.replace("-", "").replace("/", "").replace(" ", "")
    if compact and compact in (code.replace("-", ""), base + market.quote.upper()):
        return 0.95 + bonus  # "krwbtc", "BTC/KRW", "btckrw"
    return 0.0


def search_markets(markets: Iterable[Market], query: str, limit: int = 50) -> list[Market]:
    """The matching markets, best first (ties: KRW first, then by code)."""
    scored = [(market_score(m, query), m) for m in markets]
    scored = [(s, m) for s, m in scored if s > 0]
    scored.sort(key=lambda sm: (-sm[0], sm[1].symbol))
    return [m for _, m in scored[:limit]]


def looks_like_code(query: str) -> str | None:
    code = query.strip().upper()
    return code if _CODE.match(code) else None


def describe(market: Market) -> Text:
    text = Text()
    text.append(market.symbol, style=Style(bold=True))
    names = [n for n in (market.korean_name, market.english_name) if n]
    if names:
        text.append("  " + " · ".join(names))
    if market.warning:
        text.append("  ⚠ caution", style=Style(color="yellow"))
    return text


def _markets_of(app: Any) -> list[Market]:
    markets = getattr(app, "markets", None)
    if markets:
        return list(markets.values()) if isinstance(markets, dict) else list(markets)
    return [Market("upbit", s, s.split("-", 1)[1], s.split("-", 1)[0]) for s in DEFAULT_SYMBOLS]


def _opener(app: Any) -> Callable[[str], object]:
    opener = getattr(app, "open_market", None)
    if callable(opener):
        return opener
    return lambda symbol: app.notify(f"cannot open {symbol} here")


class MarketsProvider(Provider):
    """Markets by code, English and Korean name; choosing one opens it in the focused pane
    (and its link group)."""

    async def discover(self) -> Hits:
        markets = {m.symbol: m for m in _markets_of(self.app)}
        opener = _opener(self.app)
        for symbol in DEFAULT_SYMBOLS:
            market = markets.get(symbol)
            if market is None:
                continue
            yield DiscoveryHit(
                describe(market),
                partial(opener, symbol),
                text=symbol,
                help="Open in the focused pane",
            )

    async def search(self, query: str) -> Hits:
        markets = _markets_of(self.app)
        opener = _opener(self.app)
        found = search_markets(markets, query, limit=40)
        for market in found:
            yield Hit(
                market_score(market, query),
                describe(market),
                partial(opener, market.symbol),
                text=f"{market.symbol} {market.korean_name} {market.english_name}",
                help="Open in the focused pane (and its link group)",
            )
        code = looks_like_code(query)
        if code and all(m.symbol != code for m in found):
            yield Hit(
                0.05,
                Text(f"Open {code} (not in the market list)"),
                partial(opener, code),
                text=f"Open {code}",
                help="The exchange will say whether it exists",
            )
