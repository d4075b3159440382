"""Link groups: colour-coded sets of widgets that always show the same symbol.

Membership is an attribute, not a registration: any widget with a ``link_group`` attribute
and a ``set_symbol(symbol)`` method belongs to the group it names (``LivePane`` has both;
``ScannerView`` follows by moving its cursor). A switch calls ``set_symbol`` on every
member synchronously, inside one message handler, so no frame can be painted in which one
member shows the new symbol and another the old one.

Wiring in the App (three lines)::

    self.links = LinkGroups(self)                                  # in __init__/on_mount

    @on(SymbolChanged)
    @on(ScannerView.MarketSelected)
    def _follow_link(self, message: SymbolChanged | ScannerView.MarketSelected) -> None:
        self.links.handle(message)

``handle`` switches the whole group of the message; a ``SymbolChanged`` without a group
switches only its ``source``; a ``MarketSelected`` without a group switches nothing (the
app decides, e.g. the focused chart).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from weakref import WeakKeyDictionary

from textual.app import App
from textual.dom import DOMNode
from textual.widget import Widget

from dantaro_tui.ui.widgets.base import LINK_COLOURS, SymbolChanged

LINK_GROUPS: tuple[str, ...] = tuple(LINK_COLOURS)
_markers: WeakKeyDictionary[Widget, str] = WeakKeyDictionary()


class LinkRequest(Protocol):
    symbol: str
    link_group: str | None


@runtime_checkable
class Linkable(Protocol):
    """A pane that can join a link group and take a symbol (``LivePane``, ``ScannerView``)."""

    link_group: str | None

    def set_symbol(self, symbol: str) -> None: ...


@runtime_checkable
class ShowsSymbol(Protocol):
    """A member that names the market it shows (``LivePane``; the scanner does not)."""

    symbol: str


def link_colour(group: str | None) -> str | None:
    return None if group is None else LINK_COLOURS.get(group)


# Text on the group's badge: near-black on the group colour reads on every theme (the
# badge brings its own background), and the letter and name carry the group without colour.
BADGE_TEXT = "#0d1117"


def link_letter(group: str | None) -> str:
    return "" if group is None else group[:1].upper()


def link_label(group: str | None) -> str:
    """Plain text naming the group: ``"R red"``; ``""`` for no group."""
    return "" if group is None or group not in LINK_COLOURS else f"{link_letter(group)} {group}"


def link_marker(group: str | None) -> str:
    """Content markup for a border title or subtitle: a badge with the group's letter in
    the group's colour, then its name (`` R  red``)."""
    colour = link_colour(group)
    if group is None or colour is None:
        return ""
    return f"[bold {BADGE_TEXT} on {colour}] {link_letter(group)} [/] {group}"


def is_member(widget: object, group: str) -> bool:
    return isinstance(widget, Linkable) and widget.link_group == group


def _roots(root: DOMNode) -> list[DOMNode]:
    if isinstance(root, App):
        return list(root.screen_stack)
    return [root]


def members(root: DOMNode, group: str) -> list[Widget]:
    """Every widget under ``root`` (every stacked screen when ``root`` is the App)."""
    found: list[Widget] = []
    for node in _roots(root):
        if is_member(node, group) and isinstance(node, Widget):
            found.append(node)
        found.extend(w for w in node.query("*") if is_member(w, group))
    return found


def switch(root: DOMNode, group: str, symbol: str) -> list[Widget]:
    """Make every member of ``group`` show ``symbol`` now; returns the members."""
    group_members = members(root, group)
    for widget in group_members:
        if isinstance(widget, Linkable):  # always: members are
            widget.set_symbol(symbol)
    return group_members


def join(widget: Widget, group: str | None) -> None:
    """Put ``widget`` in ``group`` (None = leave any group).

    Sets ``widget.link_group``, a CSS class ``-link-<group>`` for styling, and (unless the
    widget's border subtitle holds something else) a coloured marker as border subtitle.
    """
    if group is not None and group not in LINK_COLOURS:
        raise ValueError(f"unknown link group {group!r} (known: {', '.join(LINK_GROUPS)})")
    widget.link_group = group  # type: ignore[attr-defined]
    widget.remove_class(*(f"-link-{g}" for g in LINK_GROUPS))
    if group is not None:
        widget.add_class(f"-link-{group}")
    current = widget.border_subtitle or ""
    if current == "" or current == _markers.get(widget):
        widget.border_subtitle = link_marker(group)
        _markers[widget] = widget.border_subtitle or ""


def enter(root: DOMNode, widget: Widget, group: str | None) -> str | None:
    """``widget`` joins ``group`` and shows the group's market (what the other members show);
    returns that market, or None when the group had no other member (or ``group`` is None)."""
    join(widget, group)
    if group is None:
        return None
    others = [w for w in members(root, group) if w is not widget]
    # ``ref`` names the venue too (a pane on Binance): a joiner adopts the same market.
    symbols = [getattr(w, "ref", w.symbol) for w in others if isinstance(w, ShowsSymbol)]
    symbol = next((s for s in symbols if isinstance(s, str) and s), None)
    if symbol is not None and isinstance(widget, Linkable):
        widget.set_symbol(symbol)
    return symbol


def next_group(group: str | None) -> str | None:
    """The group after ``group`` in the cycle none -> red -> green -> blue -> yellow -> none."""
    cycle: list[str | None] = [None, *LINK_GROUPS]
    return cycle[(cycle.index(group) + 1) % len(cycle)] if group in cycle else None


class LinkGroups:
    """The app's handle on its link groups (see the module docstring)."""

    def __init__(self, root: DOMNode) -> None:
        self.root = root

    def members(self, group: str) -> list[Widget]:
        return members(self.root, group)

    def switch(self, group: str, symbol: str) -> list[Widget]:
        return switch(self.root, group, symbol)

    def join(self, widget: Widget, group: str | None) -> None:
        join(widget, group)

    def cycle(self, widget: Widget) -> str | None:
        """Move ``widget`` to the next group (a key binding: "link the focused pane"); it
        takes the group's market."""
        group = next_group(widget.link_group if isinstance(widget, Linkable) else None)
        enter(self.root, widget, group)
        return group

    def handle(self, message: LinkRequest) -> list[Widget]:
        """Follow a ``SymbolChanged`` or ``ScannerView.MarketSelected``: returns who switched."""
        group = message.link_group
        if group is not None:
            return self.switch(group, message.symbol)
        source = message.source if isinstance(message, SymbolChanged) else None
        if isinstance(source, Linkable):
            source.set_symbol(message.symbol)
            return [source]
        return []
