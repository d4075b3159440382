"""dantaro-light: for bright rooms. Rising green, falling red, dark text on white."""

from textual.theme import Theme

THEME = Theme(
    name="dantaro-light",
    dark=False,
    primary="#0969DA",
    secondary="#57606A",
    accent="#9A6700",
    foreground="#1F2328",
    background="#F6F8FA",
    surface="#FFFFFF",
    panel="#EAEEF2",
    success="#1A7F37",
    warning="#9A6700",
    error="#CF222E",
    variables={
        "price-up": "#1A7F37",
        "price-down": "#CF222E",
        "price-flat": "#57606A",
        "chart-grid": "#D0D7DE",
        "badge-demo": "#BF8700",
        "badge-live": "#1A7F37",
        "badge-replay": "#8250DF",
    },
)
