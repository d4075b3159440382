"""The demo's paper account: a key pair made up at start, known to the simulator and to the
app, and to nothing else.

The pair is generated per run, registered with every simulated venue that keeps paper
accounts (Upbit and Bithumb: one account each), and handed to the app in memory
(``app.account_keys``): it is never written to the settings, never put in the environment
(so no child process inherits it), never printed. The simulator then places a few orders on
each account (a market buy that fills, limit orders near the touch that fill as the market
comes to them), so the account screen and pane have something to show; the cockpit itself
never places an order.
"""

from __future__ import annotations

from typing import Any

from dantaro_tui.credentials import Credentials, Secret
from dantaro_tui.sim.account import generate_key, paper_exchanges

PAPER_LABEL = "paper account (demo)"


def open_paper_account(sim: Any, app: Any) -> list[str]:
    """Give the running simulator ``sim`` a fresh paper account and ``app`` its keys; the
    venues it was opened on."""
    key = generate_key()
    held: dict[str, Credentials] = {}
    for paper in paper_exchanges(getattr(sim, "venues", ())):
        name = paper.venue.name
        paper.add(key)
        paper.place_demo_orders(key.access_key)
        held[name] = Credentials(name, key.access_key, Secret(key.secret_key), "the demo")
    if held:
        app.account_keys = {**getattr(app, "account_keys", {}), **held}
        app.account_label = PAPER_LABEL
    return sorted(held)
