"""Small reads the coin tables of the premium screens share."""

from __future__ import annotations

from typing import Any

from textual.widget import Widget
from textual.widgets import DataTable


def cursor_key(table: DataTable[Any]) -> str | None:
    """The row key under the cursor (the coin), None for an empty table."""
    if not table.row_count:
        return None
    try:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    except Exception:  # the cursor points past rows being replaced
        return None
    return None if key.value is None else str(key.value)


def theme_colour(widget: Widget, name: str) -> str:
    """The app theme's colour ``name`` ("" before the widget is mounted in an app)."""
    try:
        return widget.app.theme_variables.get(name, "")
    except Exception:
        return ""
