"""Exchange codecs, one module per exchange, looked up by name."""

from __future__ import annotations

import importlib

from dantaro_tui.exchanges.base import ExchangeCodec

_CODECS = {
    "upbit": "dantaro_tui.exchanges.upbit:UpbitCodec",
    "okx": "dantaro_tui.exchanges.okx:OkxCodec",
    "gateio": "dantaro_tui.exchanges.gateio:GateioCodec",
    "binance": "dantaro_tui.exchanges.binance:BinanceCodec",
    "coinone": "dantaro_tui.exchanges.coinone:CoinoneCodec",
    "bithumb": "dantaro_tui.exchanges.bithumb:BithumbCodec",
}


def codec_class(exchange: str) -> type[ExchangeCodec]:
    try:
        target = _CODECS[exchange.lower()]
    except KeyError:
        known = ", ".join(sorted(_CODECS))
        raise ValueError(f"unknown exchange {exchange!r} (known: {known})") from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)


def exchanges() -> list[str]:
    return sorted(_CODECS)
