"""dantaro-contrast: high contrast. Pure black, bright saturated colours, no subtle greys."""

from textual.theme import Theme

THEME = Theme(
    name="dantaro-contrast",
    dark=True,
    primary="#FFFF00",
    secondary="#FFFFFF",
    accent="#00FFFF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    success="#00FF00",
    warning="#FFFF00",
    error="#FF3030",
    luminosity_spread=0.3,
    text_alpha=1.0,
    variables={
        "price-up": "#00FF00",
        "price-down": "#FF3030",
        "price-flat": "#FFFFFF",
        "chart-grid": "#5A5A5A",
        "badge-demo": "#FFFF00",
        "badge-live": "#00FF00",
        "badge-replay": "#FF00FF",
        "border": "#FFFFFF",
        "border-blurred": "#7F7F7F",
    },
)
