"""What a widget or screen may find on the app that hosts it, as typed protocols.

Widgets run inside ``DantaroApp`` and inside small test hosts: instead of
a looked-up-by-name attribute they ask ``isinstance(app, HasAlertService)``,
so the attribute is named and typed in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from dantaro_tui.feed.hub import FeedHub
    from dantaro_tui.model import Market
    from dantaro_tui.services.alerts import AlertService


@runtime_checkable
class HasHub(Protocol):
    """An app with one feed hub every pane's client shares."""

    @property
    def hub(self) -> FeedHub: ...


@runtime_checkable
class HasAlertService(Protocol):
    """An app with the one alert service (markets, arbitrage, feeds)."""

    @property
    def alert_service(self) -> AlertService: ...


@runtime_checkable
class HasMarkets(Protocol):
    """An app that knows the exchange's market list (symbol -> market)."""

    @property
    def markets(self) -> Mapping[str, Market]: ...


@runtime_checkable
class HasVenueMarkets(Protocol):
    """An app that knows other venues' market lists too (loaded when first asked)."""

    @property
    def home_exchange(self) -> str: ...

    def venue_markets(self, exchange: str) -> Mapping[str, Market]: ...

    def loaded_venue_markets(self) -> Mapping[str, Mapping[str, Market]]: ...


@runtime_checkable
class MarketLookup(Protocol):
    """An app that can name a market (its Korean and English names, its warning)."""

    def market(self, symbol: str, exchange: str | None = None) -> Market | None: ...


@runtime_checkable
class MarketOpener(Protocol):
    """An app that can show a market in the focused pane (and its link group)."""

    def open_market(self, symbol: str) -> None: ...


@runtime_checkable
class ArbitrageOpener(Protocol):
    """An app with its own way to open the arbitrage screen."""

    def open_arbitrage(self) -> None: ...
