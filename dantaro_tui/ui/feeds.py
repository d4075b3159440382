"""The app's feed hub, as widgets and screens find it."""

from __future__ import annotations

from dantaro_tui.feed.hub import FeedHub, default_hub


def app_hub(node: object) -> FeedHub:
    """The hub of the running app (``DantaroApp.hub``), else the process default (a widget
    built outside an app, e.g. in a unit test)."""
    try:
        hub = getattr(getattr(node, "app", None), "hub", None)
    except Exception:  # no active app
        hub = None
    return hub if isinstance(hub, FeedHub) else default_hub()
