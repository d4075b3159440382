"""``a``: the alert log (pumps, dumps, volume spikes, arbitrage, feed problems).

Newest first by the time each alert happened (not by when it arrived). ``f`` cycles the
kind shown (all, price moves, volume spikes, arbitrage, feed), ``m`` shows only the market
under the cursor (again: every market), Enter opens that market in the cockpit, ``c``
clears the log. Opening the screen marks every alert read (the status bar's "⚑ N new").

``AlertPosted`` is the one message through which alerts reach the UI: the app's
AlertService posts it for every alert it logs (``DantaroApp._alert_posted``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from dantaro_tui.analytics.alerts import Alert
from dantaro_tui.services.alerts import AlertService

KIND_LABEL = {
    "pump": ("▲ PUMP", "price-up"),
    "dump": ("▼ DUMP", "price-down"),
    "volume_spike": ("◆ VOLUME", "warning"),
    "premium": ("₩ PREMIUM", "warning"),
    "discount": ("₩ DISCOUNT", "warning"),
    "arbitrage": ("⇄ ARB", "success"),
    "connection": ("⚡ FEED", "error"),
}
# (name shown, kinds): what ``f`` cycles through.
FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("every kind", None),
    ("pumps and dumps", frozenset({"pump", "dump"})),
    ("volume spikes", frozenset({"volume_spike"})),
    ("arbitrage", frozenset({"premium", "discount", "arbitrage"})),
    ("feed problems", frozenset({"connection"})),
)


class AlertPosted(Message):
    """An alert the AlertService has logged: the app decides whether it also toasts."""

    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert


class AlertsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,a", "close", "Back"),
        Binding("f", "cycle_kind", "Kind", tooltip="show one kind of alert (again: the next)"),
        Binding("m", "toggle_market", "This market", tooltip="only the market under the cursor"),
        Binding("c", "clear", "Clear log"),
        Binding("enter", "open", "Open market"),
    ]

    DEFAULT_CSS = """
    AlertsScreen { layout: vertical; }
    AlertsScreen > #alerts-title { height: 1; padding: 0 1; text-style: bold; }
    AlertsScreen > DataTable { height: 1fr; }
    """

    def __init__(
        self,
        service: AlertService,
        *,
        on_open: Callable[[str], None] | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.on_open = on_open
        self.tz = tz
        self.kind_filter = 0  # index into FILTERS
        self.market: str | None = None
        self._shown: list[Alert] | None = None

    @property
    def kinds(self) -> frozenset[str] | None:
        return FILTERS[self.kind_filter][1]

    def compose(self) -> ComposeResult:
        yield Static("Alerts", id="alerts-title")
        table: DataTable[str | Text] = DataTable(id="alerts-table", cursor_type="row")
        table.add_column("Time", key="time")
        table.add_column("Kind", key="kind")
        table.add_column("Market", key="market")
        table.add_column("What happened", key="message")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(1.0, self.reload)

    def shown(self) -> list[Alert]:
        """The rows on screen, top to bottom."""
        return list(self._shown or [])

    def reload(self, force: bool = False) -> None:
        self.service.mark_read()  # what arrives while the log is open is seen
        alerts = self.service.recent(self.kinds, self.market)
        if alerts == self._shown and not force:
            return
        self._shown = alerts
        table = self.query_one("#alerts-table", DataTable)
        table.clear()
        for i, alert in enumerate(alerts):
            label, colour = KIND_LABEL.get(alert.kind, (alert.kind, "foreground"))
            stamp = alert.time.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")
            table.add_row(
                stamp,
                Text(label, style=self.app.theme_variables.get(colour, "")),
                Text(alert.market or "—"),
                Text(alert.message),  # plain text: a message can quote an exchange
                key=str(i),
            )
        total = len(self.service.log)
        parts = [f"Alerts — {total} in the log" if total else "Alerts — none yet"]
        if self.kinds is not None or self.market is not None:
            parts.append(f"showing {len(alerts)}: {FILTERS[self.kind_filter][0]}")
            if self.market is not None:
                parts[-1] += f" of {self.market}"
        parts.append("f kind · m this market · enter open")
        self.query_one("#alerts-title", Static).update(" · ".join(parts))

    def _cursor_alert(self) -> Alert | None:
        table = self.query_one("#alerts-table", DataTable)
        shown = self._shown or []
        if not table.row_count or not 0 <= table.cursor_row < len(shown):
            return None
        return shown[table.cursor_row]

    def action_cycle_kind(self) -> None:
        self.kind_filter = (self.kind_filter + 1) % len(FILTERS)
        self.reload(force=True)

    def action_toggle_market(self) -> None:
        if self.market is not None:
            self.market = None
        else:
            alert = self._cursor_alert()
            if alert is None or not alert.market:
                self.notify("No market on this row", timeout=1.5)
                return
            self.market = alert.market
        self.reload(force=True)

    def action_clear(self) -> None:
        self.service.clear()
        self.reload(force=True)

    def action_open(self) -> None:
        alert = self._cursor_alert()
        if alert is None or not alert.market or self.on_open is None:
            return
        self.dismiss(None)
        self.on_open(alert.market)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (the table has the focus and takes the key): open its market."""
        event.stop()
        self.action_open()

    def action_close(self) -> None:
        self.service.mark_read()
        self.dismiss(None)
