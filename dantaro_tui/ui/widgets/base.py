"""What every live pane shares: its own feed client, a symbol it can swap, an optional
link group, and repaints on a timer rather than per message (design.md rule 5)."""

from __future__ import annotations

from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget

from dantaro_tui.feed.client import WebSocketClient

# Link groups as trading terminals colour them; None = not linked.
LINK_COLOURS = {"red": "#e0524d", "green": "#3fb950", "blue": "#4c8dff", "yellow": "#d6a828"}


class SymbolChanged(Message):
    """A pane asks its link group (or the app) to show ``symbol``."""

    def __init__(self, symbol: str, link_group: str | None, source: Widget) -> None:
        super().__init__()
        self.symbol = symbol
        self.link_group = link_group
        self.source = source


class LivePane(Widget):
    """Base for panes fed by their own ``WebSocketClient``.

    Subclasses implement ``subscribe(client, symbol)`` (async: the subscribe_* calls) and
    ``clear_state()``; feed callbacks only store state and call ``mark_dirty()``; ``paint()``
    runs at most ``REFRESH_HZ`` times a second, and only when something changed.
    """

    REFRESH_HZ: float = 10.0

    def __init__(
        self,
        symbol: str,
        *,
        exchange: str = "upbit",
        link_group: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.symbol = symbol
        self.exchange = exchange
        self.link_group = link_group
        self.client = WebSocketClient(id or type(self).__name__.lower(), exchange=exchange)
        self._dirty = False
        self._timer: Timer | None = None

    async def on_mount(self) -> None:
        self._timer = self.set_interval(1 / self.REFRESH_HZ, self._tick)
        self.run_worker(self._subscribe(self.symbol), exclusive=True, group="subscribe")

    async def on_unmount(self) -> None:
        await self.client.cleanup()

    def mark_dirty(self) -> None:
        self._dirty = True

    def _tick(self) -> None:
        if self._dirty and self.display:
            self._dirty = False
            self.paint()

    def paint(self) -> None:
        self.refresh()

    def clear_state(self) -> None:
        """Forget everything shown for the previous symbol."""

    async def subscribe(self, client: WebSocketClient, symbol: str) -> None:
        raise NotImplementedError

    async def _subscribe(self, symbol: str) -> None:
        await self.subscribe(self.client, symbol)

    def set_symbol(self, symbol: str) -> None:
        """Show ``symbol`` from now on; never a row of the old one after this returns."""
        if symbol == self.symbol:
            return
        self.symbol = symbol
        self.clear_state()
        self.paint()
        self.run_worker(self._resubscribe(symbol), exclusive=True, group="subscribe")

    async def _resubscribe(self, symbol: str) -> None:
        if self.client.subscriptions:
            await self.client.resubscribe([symbol])
        else:
            await self.subscribe(self.client, symbol)
