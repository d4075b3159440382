"""What every live pane shares: its own feed client, a symbol it can swap, an optional
link group, and repaints on a timer rather than per message (design.md rule 5).

Also the small helpers the market panes share: visibility (hidden panes don't paint) and
the theme variables the panes' CSS uses. Numbers are formatted by ``dantaro_tui.ui.format``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, TypedDict

from rich.style import Style
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Market, MarketEvent
from dantaro_tui.ui.feeds import app_hub
from dantaro_tui.ui.host import MarketLookup
from dantaro_tui.venues import join_ref, split_ref, venue_name

log = logging.getLogger(__name__)

# Link groups as trading terminals colour them; None = not linked.
LINK_COLOURS = {"red": "#e0524d", "green": "#3fb950", "blue": "#4c8dff", "yellow": "#d6a828"}

# Theme variables the market panes' DEFAULT_CSS refers to. The dantaro themes define them
# (the Korean theme flips rising/falling to red/blue); an App must also return them from
# ``get_theme_variable_defaults()`` so that any other theme still parses:
#     def get_theme_variable_defaults(self) -> dict[str, str]:
#         return {**super().get_theme_variable_defaults(), **PANE_THEME_DEFAULTS}
PANE_THEME_DEFAULTS = {"price-up": "#3fb950", "price-down": "#f85149", "price-flat": "#8b949e"}


class SymbolChanged(Message):
    """A pane asks its link group (or the app) to show ``symbol``."""

    def __init__(self, symbol: str, link_group: str | None, source: Widget) -> None:
        super().__init__()
        self.symbol = symbol
        self.link_group = link_group
        self.source = source


def screen_shown(screen: Screen[Any]) -> bool:
    """True when ``screen`` is on top, or only under a modal (palette, dialog) that it
    shows through: worth painting."""
    try:
        app = screen.app
        top = app.screen
    except Exception:  # no app, or no screen yet
        return False
    if top is screen:
        return True  # the common case, per pane and tick: no copy of the stack
    if not top.is_modal:
        return False
    stack = app.screen_stack
    return len(stack) > 1 and stack[-2] is screen


def pane_visible(widget: Widget) -> bool:
    """True when ``widget`` is on the shown screen and not inside a hidden tab/container.

    A pane behind a modal (palette, dialog) still counts as visible: it shows through.
    """
    if not widget.display or not widget.is_mounted:
        return False
    try:
        screen = widget.screen
    except Exception:
        return False
    return screen_shown(screen) and widget.is_on_screen


def retire_client(client: WebSocketClient, keep: set[asyncio.Task[None]]) -> None:
    """Let a pane's old-venue ``client`` go in the background, out of reach of a cancelled
    subscribe worker (its late events fail the pane's venue test); ``keep`` holds the task
    until it is done."""
    task = asyncio.create_task(client.cleanup())
    keep.add(task)
    task.add_done_callback(keep.discard)


class PaneOptions(TypedDict, total=False):
    """The keyword arguments of ``LivePane.__init__``, for a subclass to pass through."""

    exchange: str
    link_group: str | None
    client: WebSocketClient | None
    name: str | None
    id: str | None
    classes: str | None


class LivePane(Widget):
    """Base for panes fed by their own ``WebSocketClient``.

    Subclasses implement ``subscribe(client, symbol)`` (async: the subscribe_* calls) and
    ``clear_state()``; feed callbacks only store state and call ``mark_dirty()``; ``paint()``
    runs at most ``REFRESH_HZ`` times a second, only when something changed, and only while
    the pane is visible (a hidden pane stays dirty and paints when shown again).

    A Line-API pane combines it with ``ScrollView``: ``class Tape(LivePane, ScrollView)``
    (type selectors then match ``Tape``/``LivePane``, not ``ScrollView``: set ``overflow``
    in the pane's own DEFAULT_CSS). Don't call ``super().on_mount()`` from a subclass'
    ``on_mount``: Textual already calls the handler of every class in the MRO.

    ``client`` may be passed in (tests, or sharing); by default the pane owns a new one.
    A subclass with options of its own takes the rest as ``**options: Unpack[PaneOptions]``.
    """

    REFRESH_HZ: float = 10.0
    # The pane's name in its border title, followed by the venue (a chart titles itself).
    TITLE: str = ""

    def __init__(
        self,
        symbol: str,
        *,
        exchange: str = "upbit",
        link_group: str | None = None,
        client: WebSocketClient | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        # ``symbol`` may name another venue (``binance:BTCUSDT``); a bare code is on the
        # home venue. ``self.symbol`` is always the venue's own code.
        self.home = exchange
        self._bad_ref = ""
        try:
            self.exchange, self.symbol = split_ref(symbol, exchange)
        except ValueError as exc:
            self.exchange, self.symbol = exchange, symbol.strip()
            self._bad_ref = str(exc)  # said when the pane subscribes
        self.link_group = link_group
        self._client_name = id or type(self).__name__.lower()
        if client is None:
            client = self._new_client(self.exchange)
        self.client = client
        self._retiring: set[asyncio.Task[None]] = set()
        self._dirty = False
        self._timer: Timer | None = None
        self._base: Style | None = None

    @property
    def ref(self) -> str:
        """The shown market as the trader writes it (bare on the home venue)."""
        return join_ref(self.exchange, self.symbol, self.home)

    @property
    def venue(self) -> str:
        """The venue's display name (``Binance``)."""
        return venue_name(self.exchange)

    def shows(self, ev: MarketEvent) -> bool:
        """Feed callbacks keep only the shown market: the same code on another venue
        (``KRW-BTC`` on Upbit and on Bithumb) is another market."""
        return ev.symbol == self.symbol and ev.exchange == self.exchange

    def _market_info(self) -> Market | None:
        """What the venue's market list says of the shown market (None: not known yet)."""
        app = self.app if self.is_attached else None
        if isinstance(app, MarketLookup):
            with contextlib.suppress(Exception):
                return app.market(self.symbol, self.exchange)
        return None

    def market_tick(self) -> float:
        """The shown market's price step as its venue states it; 0.0 = not known (then
        Upbit's table, or significant digits)."""
        market = self._market_info()
        return market.tick if market is not None else 0.0

    def _new_client(self, exchange: str) -> WebSocketClient:
        return WebSocketClient(self._client_name, exchange=exchange, hub=app_hub(self))

    async def on_mount(self) -> None:
        self._timer = self.set_interval(1 / self.REFRESH_HZ, self._tick)
        self._show_venue()
        self._start_subscribe(self._subscribe(self.symbol))

    def _show_venue(self) -> None:
        if self.TITLE:
            self.border_title = f"{self.TITLE} · {self.venue}"

    async def on_unmount(self) -> None:
        await self.client.cleanup()

    def mark_dirty(self) -> None:
        self._dirty = True

    def _tick(self) -> None:
        if self._dirty and pane_visible(self):
            self._dirty = False
            self.paint()

    def paint(self) -> None:
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None

    def _base_style(self) -> Style:
        """``rich_style`` walks the DOM on every call: keep it until styles change."""
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def clear_state(self) -> None:
        """Forget everything shown for the previous symbol."""

    async def subscribe(self, client: WebSocketClient, symbol: str) -> None:
        raise NotImplementedError

    def _start_subscribe(self, work: Awaitable[None]) -> None:
        self.run_worker(work, exclusive=True, group="subscribe", exit_on_error=False)

    async def _subscribe(self, symbol: str) -> None:
        if self._bad_ref:
            self.notify(self._bad_ref, title="Unknown market", severity="warning")
            return
        try:
            await self.subscribe(self.client, symbol)
        except Exception as exc:  # a bad symbol must not take the whole terminal down
            log.exception("%s: subscribing %s failed", self.client.name, symbol)
            self.notify(f"{symbol}: {exc}", title="Subscription failed", severity="error")

    def request_symbol(self, symbol: str) -> None:
        """The user picked ``symbol`` in this pane: switch alone, or ask the link group.

        A linked pane does not switch itself here: the app's link handler switches every
        member (this one included) in one step.
        """
        if self.link_group is None:
            self.set_symbol(symbol)
        else:
            self.post_message(SymbolChanged(symbol, self.link_group, self))

    def set_symbol(self, symbol: str) -> None:
        """Show ``symbol`` (a bare code on the home venue, or ``venue:CODE``) from now on;
        never a row of the old market after this returns."""
        try:
            exchange, code = split_ref(symbol, self.home)
        except ValueError as exc:
            self.notify(str(exc), title="Unknown market", severity="warning")
            return
        if exchange == self.exchange and code == self.symbol and not self._bad_ref:
            return
        self._bad_ref = ""
        if exchange != self.exchange:
            # Another venue: a client of its own; the old one lets go in the background
            # (its late events fail ``shows``), out of reach of a cancelled worker.
            old, self.client = self.client, self._new_client(exchange)
            self.exchange = exchange
            retire_client(old, self._retiring)
        self.symbol = code
        self._show_venue()
        self.clear_state()
        self.paint()
        if self.is_mounted:  # before mount, on_mount subscribes the new symbol
            self._start_subscribe(self._resubscribe(code))

    async def _resubscribe(self, symbol: str) -> None:
        try:
            if self.client.subscriptions:
                await self.client.resubscribe([symbol])
            else:
                await self.subscribe(self.client, symbol)
        except Exception as exc:
            log.exception("%s: resubscribing %s failed", self.client.name, symbol)
            self.notify(f"{symbol}: {exc}", title="Subscription failed", severity="error")
