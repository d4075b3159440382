"""The app's feed hub, as widgets and screens find it."""

from __future__ import annotations

from textual.dom import DOMNode

from dantaro_tui.feed.hub import FeedHub, default_hub
from dantaro_tui.ui.host import HasHub


def app_hub(node: object) -> FeedHub:
    """The hub of the running app (``DantaroApp.hub``), else the process default (a widget
    built outside an app, e.g. in a unit test)."""
    hub: object = None
    try:
        app = node.app if isinstance(node, DOMNode) else None
        if isinstance(app, HasHub):
            hub = app.hub
    except Exception:  # no active app
        hub = None
    return hub if isinstance(hub, FeedHub) else default_hub()
