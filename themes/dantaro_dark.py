"""dantaro-dark: the default. Dark background, rising green, falling red."""

from textual.theme import Theme

THEME = Theme(
    name="dantaro-dark",
    dark=True,
    primary="#4C8DFF",
    secondary="#8B949E",
    accent="#D6A828",
    foreground="#D8DEE9",
    background="#0D1117",
    surface="#161B22",
    panel="#1F2630",
    success="#3FB950",
    warning="#D29922",
    error="#F85149",
    variables={
        "price-up": "#3FB950",
        "price-down": "#F85149",
        "price-flat": "#8B949E",
        "chart-grid": "#30363D",
        "badge-demo": "#D6A828",
        "badge-live": "#3FB950",
        "badge-replay": "#A371F7",
    },
)
