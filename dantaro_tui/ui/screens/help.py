"""``?``: every key binding of the app, the cockpit and its panes, in one list."""

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
    ("tab / shift+tab", "Focus the next / previous pane"),
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


def binding_rows(
    sections: Iterable[tuple[str, type[Any] | Any]], key_display: Any = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(section title, [(keys, description), ...]), ...]: keys of one action are merged."""
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for title, owner in sections:
        merged: dict[str, list[str]] = {}
        order: list[str] = []
        for b in own_bindings(owner):
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

    def __init__(self, sections: list[tuple[str, type[Any] | Any]]) -> None:
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
