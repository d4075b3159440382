"""The compact account pane of the cockpit: the account's total in KRW, its open orders and
its last fill, on one line under the scanner. Hidden until asked for (``w``): only then does
it open the private streams. The account screen (``$``) has the detail.

Without keys it says "no keys" and how to add them; a key the exchange refuses is said in
the exchange's words; the demo's paper account says it is one.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from dantaro_tui.credentials import env_names
from dantaro_tui.ui.account_book import AccountBook, FillRow, Source, resolve
from dantaro_tui.ui.feeds import app_hub
from dantaro_tui.venues import venue_name

PAINT_AFTER = 0.01  # an account event is painted this soon (a burst: one paint)
REPAINT = 1.0  # price moves repaint the total on this cadence


def _amount(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.8f}".rstrip("0").rstrip(".") or "0"


def fill_words(fill: FillRow | None) -> str:
    if fill is None:
        return "none yet"
    clock = time.strftime("%H:%M:%S", time.localtime(fill.ms / 1000)) if fill.ms else "-"
    return f"{clock} {fill.side} {_amount(fill.volume)} {fill.market} @ {_amount(fill.price)}"


class AccountPane(Static):
    """One line of account; ``toggle()`` shows or hides it (and starts it the first time)."""

    DEFAULT_CSS = """
    AccountPane {
        display: none;
        height: auto;
        max-height: 4;
        padding: 0 1;
        border: round $foreground 25%;
        border-title-color: $foreground 85%;
    }
    AccountPane.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.border_title = "Account"
        self.source: Source | None = None
        self.book: AccountBook | None = None
        self.text = ""  # what is shown, as plain text
        self._paint_timer: Timer | None = None

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")

    def toggle(self) -> bool:
        """Show or hide the pane; True when it is now shown."""
        shown = not self.shown
        self.set_class(shown, "-shown")
        if shown and self.source is None:
            self._start()
        return shown

    def _start(self) -> None:
        self.source = source = resolve(self.app)
        name = venue_name(source.exchange)
        if source.credentials is None:
            access, secret = env_names(source.exchange)
            if source.problem.startswith("No API keys"):
                words = f"no keys for {name}: set {access} and {secret} ($ says how)"
            else:
                words = f"no usable keys for {name}: {source.problem}"
            self._show(words)
            return
        self.border_title = (
            f"Account — {name} {source.label or source.credentials.masked_access_key}"
        )
        self._show("loading the account…")
        self.book = AccountBook(source.credentials, app_hub(self), self._changed, "account-pane")
        self.set_interval(REPAINT, self.paint)
        self.run_worker(self.book.start(), group="account-pane", exit_on_error=False)

    async def on_unmount(self) -> None:
        if self.book is not None:
            await self.book.close()

    def _changed(self, now: bool) -> None:
        if now:
            self.paint()
        elif self._paint_timer is None:
            self._paint_timer = self.set_timer(PAINT_AFTER, self.paint)

    def paint(self) -> None:
        self._paint_timer = None
        book = self.book
        if book is None or not book.loaded:
            if book is not None and book.note:
                self._show(book.note)
            return
        total, unpriced = book.total_value()
        missing = f" ({unpriced} unpriced)" if unpriced else ""
        last = book.fills[0] if book.fills else None
        label = self.source.label if self.source is not None else ""
        words = (
            f"{label + '   ' if label else ''}Total {total:,.0f} KRW{missing}   "
            f"Open orders {len(book.orders)}   Last fill {fill_words(last)}"
        )
        if book.note:
            words += f"\n{book.note}"
        self._show(words)

    def _show(self, words: str) -> None:
        self.text = words
        self.update(Text(words))  # exchange text is never read as markup
