"""dantaro-tui: a terminal market monitor for crypto traders."""

from dantaro_tui.feed.client import WebSocketClient
from dantaro_tui.model import Candle, Level, Market, OrderBook, Status, Ticker, Trade

__all__ = ["Candle", "Level", "Market", "OrderBook", "Status", "Ticker", "Trade", "WebSocketClient"]
__version__ = "0.1.0"
