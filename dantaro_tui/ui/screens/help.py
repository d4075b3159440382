"""``?``: every key binding of the app, its screens and the cockpit's panes, in one list.

Generated from the ``BINDINGS`` of each class, so it cannot drift from what the keys do:
``help_sections(app)`` names every screen (the cockpit, its panes when focused, kimchi,
health, alerts, this help) and a pane's section leaves out the keys the cockpit takes
first (its priority bindings: ``s`` is always "search", ``k`` always "kimchi").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# Textual's own keys that a trader uses here (they are not in our BINDINGS).
TEXTUAL_KEYS: tuple[tuple[str, str], ...] = (
    ("ctrl+p", "Command palette: markets, screens, actions, themes"),
    ("tab shift+tab", "Focus the next / previous pane (charts, book, tape, scanner)"),
    ("mouse", "Click a pane to focus it; click a scanner row to select it"),
    ("ctrl+q", "Quit"),
)


def own_bindings(owner: type[Any] | Any) -> list[Binding]:
    """The bindings ``owner`` (a class or an instance) declares in this project, including
    those it inherits from other dantaro classes; Textual's base classes are left out."""
    cls = owner if isinstance(owner, type) else type(owner)
    seen: dict[tuple[str, str], Binding] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("dantaro_tui"):
            continue
        raw: Iterable[BindingType] = klass.__dict__.get("BINDINGS", [])
        for binding in Binding.make_bindings(raw):
            if binding.system:
                continue
            seen[(binding.key, binding.action)] = binding
    return list(seen.values())


Section = tuple[str, Any] | tuple[str, Any, frozenset[str]]


def priority_keys(owner: type[Any] | Any) -> frozenset[str]:
    """Keys ``owner`` binds with priority: no focused pane below it ever sees them."""
    return frozenset(b.key for b in own_bindings(owner) if b.priority)


def help_sections(app: Any) -> list[Section]:
    """Every screen of the app and the cockpit's panes, each with the keys hidden from it."""
    from dantaro_tui.ui.screens.alerts import AlertsScreen
    from dantaro_tui.ui.screens.arbitrage import ArbitrageScreen
    from dantaro_tui.ui.screens.health import HealthScreen
    from dantaro_tui.ui.screens.main import CockpitScreen
    from dantaro_tui.ui.screens.premium_matrix import PremiumMatrixScreen

    app_actions = {(b.key, f"app.{b.action}") for b in own_bindings(app)}
    cockpit_hidden = frozenset(
        b.key for b in own_bindings(CockpitScreen) if (b.key, b.action) in app_actions
    )
    sections: list[Section] = [
        ("Everywhere", app),
        ("Cockpit (charts, book, tape, scanner)", CockpitScreen, cockpit_hidden),
    ]
    cockpit = next((s for s in app.screen_stack if isinstance(s, CockpitScreen)), None)
    taken = priority_keys(CockpitScreen) | priority_keys(app)
    seen: set[type] = set()
    for widget in cockpit.query("*") if cockpit is not None else ():
        kind = type(widget)
        if kind not in seen and kind.__module__.startswith("dantaro_tui.ui.widgets"):
            seen.add(kind)
            if own_bindings(kind):
                sections.append((f"{kind.__name__} (when focused)", kind, taken))
    sections += [
        ("Kimchi premium / arbitrage screen (k)", ArbitrageScreen),
        ("Premium matrix screen (K)", PremiumMatrixScreen),
        ("Health screen (h)", HealthScreen),
        ("Alerts screen (a)", AlertsScreen),
        ("This help (?)", HelpScreen),
    ]
    return sections


def binding_rows(
    sections: Iterable[Section], key_display: Any = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(section title, [(keys, description), ...]), ...]: keys of one action are merged;
    a section's third item names keys left out (another binding takes them first)."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for title, owner, *rest in sections:
        hidden: frozenset[str] = rest[0] if rest else frozenset()
        merged: dict[str, list[str]] = {}
        order: list[str] = []
        for b in own_bindings(owner):
            if b.key in hidden:
                continue
            text = b.description or b.action
            if b.tooltip:
                text = f"{text}: {b.tooltip}" if b.description else b.tooltip
            key = b.key_display or (key_display(b) if key_display else b.key)
            if text not in merged:
                merged[text] = []
                order.append(text)
            if key not in merged[text]:
                merged[text].append(key)
        rows = [(" ".join(merged[t]), t) for t in order]
        if rows:
            out.append((title, rows))
    return out


class HelpScreen(ModalScreen[None]):
    """Every binding, grouped by where it works; Escape, ``?`` or ``q`` closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
    }
    HelpScreen > VerticalScroll {
        width: 108;
        max-width: 100%;
        height: 90%;
        border: round $primary;
        border-title-align: center;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        body = VerticalScroll(Static(self._text(), id="help-text"))
        body.border_title = "Keys  (Esc closes)"
        yield body

    def _text(self) -> Text:
        key_style = Style(bold=True, color=self.app.theme_variables.get("primary"))
        head = Style(bold=True, underline=True)
        text = Text()
        rows = binding_rows(self.sections, self.app.get_key_display)
        rows.append(("Everywhere (Textual)", list(TEXTUAL_KEYS)))
        for i, (title, items) in enumerate(rows):
            if i:
                text.append("\n")
            text.append(f"{title}\n", style=head)
            for keys, desc in items:
                text.append(f"  {keys:<18}", style=key_style)
                text.append(f" {desc}\n")
        return text

    def action_close(self) -> None:
        self.dismiss(None)
