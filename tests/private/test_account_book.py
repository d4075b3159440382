"""The account book against the paper account: a failed refresh is said, and the sentence
goes once the account reads again (no stale "cannot read" under a current picture)."""

from __future__ import annotations

from dantaro_tui.ui.account_book import AccountBook
from tests.private.helpers import Exchange, creds_of


async def test_a_failed_refresh_is_said_then_cleared_when_reading_again(ex: Exchange) -> None:
    book = AccountBook(creds_of(ex.keys[0]), ex.hub, lambda now: None)
    await book.start()
    try:
        assert book.loaded and book.note == ""
        rest = book._rest
        assert rest is not None
        good = rest.base_url
        rest.base_url = f"{good}/nowhere"  # the exchange answers 404: the refresh fails
        await book.load()
        assert book.note.startswith("Cannot read the account")
        rest.base_url = good
        await book.load()
        assert book.note == ""
        assert book.holdings["BTC"].total > 0  # the picture is the account's own again
    finally:
        await book.close()
