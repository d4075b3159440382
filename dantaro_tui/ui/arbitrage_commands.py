"""Command palette: "Kimchi premium / arbitrage" opens the arbitrage screen.

Found by ``kimchi``, ``arbitrage``, ``premium``, ``spread`` and the Korean words traders use
(``김프``, ``김치 프리미엄``, ``차익거래``), also by their initial consonants (``ㄱㅍ``).
Register it with the app's other providers::

    COMMANDS = {*App.COMMANDS, MarketsProvider, ArbitrageCommands}

If the app has an ``open_arbitrage()`` method (to pass its fees, thresholds or coins), the
command calls it; otherwise it pushes a default :class:`ArbitrageScreen`. The screen module
(and pandas with it) is imported only when the command runs.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from dantaro_tui.ui.commands import choseong, is_choseong_query
from dantaro_tui.ui.host import ArbitrageOpener

TITLE = "Kimchi premium / arbitrage"
HELP = (
    "Upbit KRW vs Binance (or OKX, Gate.io) USDT in KRW: premium, net spread after fees, "
    "sizes, VWAP, alerts"
)
ALIASES = (
    "kimchi",
    "kimchi premium",
    "arbitrage",
    "premium",
    "spread",
    "arb",
    "김프",
    "김치",
    "김치 프리미엄",
    "차익거래",
)


def alias_score(query: str) -> float:
    """1.0 for an exact alias, 0.8 for the start of one (two letters or more), else 0."""
    q = query.strip().casefold()
    if not q:
        return 0.0
    if q in ALIASES:
        return 1.0
    if len(q) >= 2 and any(a.startswith(q) for a in ALIASES):
        return 0.8
    if is_choseong_query(q):  # ㄱㅍ (김프), ㅊㅇㄱㄹ (차익거래)
        wanted = q.replace(" ", "")
        initials = [choseong(a) for a in ALIASES if is_choseong_query(choseong(a))]
        if wanted in initials:
            return 1.0
        if len(wanted) >= 2 and any(i.startswith(wanted) for i in initials):
            return 0.8
    return 0.0


def open_arbitrage(app: Any) -> None:
    """Show the arbitrage screen (the app's own way when it has one)."""
    if isinstance(app, ArbitrageOpener):
        app.open_arbitrage()
        return
    from dantaro_tui.ui.screens.arbitrage import ArbitrageScreen

    if isinstance(app.screen, ArbitrageScreen):
        return
    app.push_screen(ArbitrageScreen())


class ArbitrageCommands(Provider):
    """Opens the kimchi premium / arbitrage screen."""

    async def discover(self) -> Hits:
        yield DiscoveryHit(TITLE, self._open, text=TITLE, help=HELP)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        fuzzy = matcher.match(TITLE)
        score = max(fuzzy, alias_score(query))
        if score <= 0:
            return
        display = matcher.highlight(TITLE) if fuzzy > 0 else Text(TITLE)
        yield Hit(score, display, self._open, text=TITLE, help=HELP)

    def _open(self) -> None:
        open_arbitrage(self.app)
