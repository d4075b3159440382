"""``a``: the alert log (pumps, dumps, volume spikes, connection problems), newest first."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from dantaro_tui.analytics.alerts import Alert

KIND_LABEL = {
    "pump": ("▲ PUMP", "price-up"),
    "dump": ("▼ DUMP", "price-down"),
    "volume_spike": ("◆ VOLUME", "warning"),
    "connection": ("⚡ FEED", "error"),
}


class AlertsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,a", "close", "Back"),
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
        source: Callable[[], Iterable[Alert]],
        *,
        on_clear: Callable[[], None] | None = None,
        on_open: Callable[[str], None] | None = None,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.on_clear = on_clear
        self.on_open = on_open
        self.tz = tz
        self._shown = -1

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

    def reload(self, force: bool = False) -> None:
        alerts = list(self.source())
        if len(alerts) == self._shown and not force:
            return
        self._shown = len(alerts)
        table = self.query_one("#alerts-table", DataTable)
        table.clear()
        for i, alert in enumerate(reversed(alerts)):
            label, colour = KIND_LABEL.get(alert.kind, (alert.kind, "foreground"))
            stamp = alert.time.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")
            table.add_row(
                stamp,
                Text(label, style=self.app.theme_variables.get(colour, "")),
                Text(alert.market or "—"),
                Text(alert.message),  # plain text: a message can quote an exchange
                key=str(i),
            )
        n = len(alerts)
        self.query_one("#alerts-title", Static).update(
            f"Alerts — {n} in the log" if n else "Alerts — none yet (thresholds: see config)"
        )

    def action_clear(self) -> None:
        if self.on_clear is not None:
            self.on_clear()
        self.reload(force=True)

    def action_open(self) -> None:
        table = self.query_one("#alerts-table", DataTable)
        if not table.row_count or self.on_open is None:
            return
        market = str(table.get_row_at(table.cursor_row)[2])
        if market and market != "—":
            self.dismiss(None)
            self.on_open(market)

    def action_close(self) -> None:
        self.dismiss(None)
