"""dantaro-korea: the Korean market convention, rising red and falling blue (as on Upbit)."""

from textual.theme import Theme

THEME = Theme(
    name="dantaro-korea",
    dark=True,
    primary="#3D7BF7",
    secondary="#8B949E",
    accent="#E8B339",
    foreground="#E6E8EB",
    background="#0F1320",
    surface="#171C2C",
    panel="#20273A",
    success="#36B37E",
    warning="#E8B339",
    error="#FF6B6B",
    variables={
        "price-up": "#F0524F",
        "price-down": "#3D8BFF",
        "price-flat": "#9AA0AA",
        "chart-grid": "#2C3448",
        "badge-demo": "#E8B339",
        "badge-live": "#36B37E",
        "badge-replay": "#A371F7",
    },
)
