"""``h``: every feed client's health in detail, refreshed once a second."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from dantaro_tui.feed.health import HealthSnapshot
from dantaro_tui.ui.feeds import app_hub
from dantaro_tui.ui.widgets.status import (
    GLYPH,
    Mode,
    StatusBar,
    age_text,
    fmt_latency,
    fmt_rate,
    live_health,
)

log = logging.getLogger(__name__)

COLUMNS = (
    ("client", "Client"),
    ("exchange", "Exchange"),
    ("state", "State"),
    ("rate", "Msgs/30s"),
    ("total", "Total"),
    ("latency", "Latency"),
    ("age", "Last message"),
    ("reconnects", "Reconnects"),
    ("errors", "Errors"),
    ("waited", "Rate-limit wait"),
)

STATE_STYLE = {
    "connected": "$success",
    "connecting": "$warning",
    "waiting": "$warning",
    "reconnecting": "$warning",
    "stale": "$warning",
    "idle": "$text-muted",
    "closed": "$error",
}

EXPLAIN = (
    "State: connected = every subscription confirmed by the exchange and market data "
    "flowing; waiting = asked for, not yet answered with data; reconnecting = the link "
    "dropped and is being restored; stale = no market data for 10 s; idle = nothing "
    "subscribed.  Clients are the panes; the rows named after an exchange (upbit#1) are the "
    "sockets they share.  Latency = exchange time stamp to arrival here (smoothed)."
)


class HealthScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,h", "close", "Back"),
    ]

    DEFAULT_CSS = """
    HealthScreen { layout: vertical; }
    HealthScreen > #health-title { height: 1; padding: 0 1; text-style: bold; }
    HealthScreen > DataTable { height: 1fr; }
    HealthScreen > #health-errors { height: auto; max-height: 12; padding: 0 1;
        border-top: solid $panel-lighten-2; }
    HealthScreen > #health-explain { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(
        self,
        mode: Mode = "live",
        source: Callable[[], list[HealthSnapshot]] | None = None,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.source = source or self._hub_health
        self.frozen = False
        self.sockets = 0  # socket rows at the end of the table

    def _hub_health(self) -> list[HealthSnapshot]:
        # Owners first (what each pane receives), then the shared sockets they use.
        hub = app_hub(self)
        sockets = hub.connection_health()
        self.sockets = len(sockets)
        return [*live_health(hub), *sockets]

    def compose(self) -> ComposeResult:
        yield Static("Feed health", id="health-title")
        table: DataTable[str | Text] = DataTable(id="health-table", cursor_type="row")
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="health-errors")
        yield Static(EXPLAIN, id="health-explain")
        yield StatusBar(self.mode, id="health-status")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_table()
        self.set_interval(1.0, self.refresh_table)

    def refresh_table(self) -> None:
        if self.frozen:
            return
        try:
            snaps = self.source()
        except Exception as exc:  # a bug here must not hide the feeds' state silently
            log.exception("reading feed health failed")
            text = f"Feed health could not be read ({type(exc).__name__}: {exc})."
            self.query_one("#health-errors", Static).update(Text(text))
            return
        table = self.query_one("#health-table", DataTable)
        now = time.time()
        cursor = table.cursor_row
        table.clear()
        for s in snaps:
            colour = STATE_STYLE.get(s.state, "")
            style = self.app.theme_variables.get(colour.lstrip("$"), "") if colour else ""
            table.add_row(
                Text(s.name),
                s.exchange,
                Text(f"{GLYPH.get(s.state, '?')} {s.state}", style=style),
                f"{s.msgs_30s:,} ({fmt_rate(s.msgs_30s)})",
                f"{s.messages:,}",
                fmt_latency(s.latency_ms),
                age_text(s, now),
                str(s.reconnects),
                str(s.errors),
                f"{s.rate_limit_wait:.2f}s",
                key=s.name,
            )
        if snaps:
            table.move_cursor(row=min(max(cursor, 0), len(snaps) - 1))
        errors = [f"{s.name}: {s.last_error}" for s in snaps if s.last_error]
        # What a feed waits for, and clock trouble, in words (a ban's end, a skewed clock).
        notes = [f"{s.name}: {s.note}" for s in snaps if s.note]
        text = "\n".join(notes + errors) if notes or errors else "No errors."
        owners = len(snaps) - self.sockets
        shared = f" sharing {self.sockets} socket{'s' if self.sockets != 1 else ''}"
        title = f"Feed health — {owners} clients{shared if self.sockets else ''}, " + (
            "simulated exchange (DEMO)" if self.mode == "demo" else f"{self.mode} data"
        )
        self.query_one("#health-title", Static).update(title)
        self.query_one("#health-errors", Static).update(Text(text))  # never markup

    def action_close(self) -> None:
        self.dismiss(None)
