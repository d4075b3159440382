"""The account screen (Pilot): no keys said in words; with a paper account, balances valued
at live prices, an open order with its fill progress, and a fill that appears on its own."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Static

from dantaro_tui.feed.hub import FeedHub
from dantaro_tui.ui.screens.account import AccountScreen
from tests.private.helpers import Exchange, call, creds_of, until


class Host(App[None]):
    def __init__(self, hub: FeedHub, screen: AccountScreen) -> None:
        super().__init__()
        self._hub = hub
        self.account = screen

    @property
    def hub(self) -> FeedHub:
        return self._hub

    def on_mount(self) -> None:
        self.push_screen(self.account)


def cells(table: DataTable[object], column: int) -> list[str]:
    return [str(table.get_row_at(i)[column]) for i in range(table.row_count)]


async def test_without_keys_the_screen_says_how_to_add_them() -> None:
    screen = AccountScreen()
    async with Host(FeedHub(), screen).run_test() as pilot:
        await pilot.pause()
        note = str(screen.query_one("#account-note", Static).render())
        assert "No API keys" in note and "DANTARO_UPBIT_ACCESS_KEY" in note
        assert screen.query_one("#balances", DataTable).row_count == 0


async def test_balances_orders_and_fills_come_alive(ex: Exchange) -> None:
    creds = creds_of(ex.keys[0])
    screen = AccountScreen(creds)
    async with Host(ex.hub, screen).run_test(size=(160, 60)) as pilot:
        balances = screen.query_one("#balances", DataTable)
        # Priced by the live ticker (painted on the pane's cadence, so waited for).
        await until(lambda: balances.row_count == 2 and "no price yet" not in cells(balances, 5))
        assert cells(balances, 0) == ["KRW", "BTC"]
        value = screen.value_of("BTC")
        assert value is not None and value == 0.5 * screen.prices["BTC"]
        # A resting order shows with its fill progress.
        low = round(ex.book().bids[-1][0] * 0.5, -3)
        status, _ = await call(ex.rest, "POST", "/v1/orders", creds, {
            "market": "KRW-BTC", "side": "bid", "ord_type": "limit", "price": str(low),
            "volume": "0.01",
        })  # fmt: skip
        assert status == 201
        orders = screen.query_one("#orders", DataTable)
        await until(lambda: orders.row_count == 1)
        assert cells(orders, 0) == ["KRW-BTC"] and cells(orders, 5) == ["0% of 0.01"]
        # A market buy fills at once: a fill row, and the order list is back to one.
        status, _ = await call(ex.rest, "POST", "/v1/orders", creds, {
            "market": "KRW-BTC", "side": "bid", "ord_type": "price", "price": "50000",
        })  # fmt: skip
        assert status == 201
        fills = screen.query_one("#fills", DataTable)
        await until(lambda: fills.row_count >= 1 and orders.row_count == 1)
        assert cells(fills, 1)[0] == "KRW-BTC" and cells(fills, 6)[0] == "taker"
        await until(lambda: screen.fees_paid > 0)
        totals = str(screen.query_one("#account-totals", Static).render())
        assert "Fees paid" in totals and "Open orders 1" in totals
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, AccountScreen)
