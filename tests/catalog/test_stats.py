"""`StatsRepository.figures`: the platform's and one artist's figures, exact for uint256
amounts, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.orm import Session

from mycelix.catalog.repositories import (
    PaymentEvent,
    PaymentRepository,
    PlayRepository,
    Share,
    StatsRepository,
)
from mycelix.catalog.types import MAX_UINT256

from .factories import GIFT, PPS, address, make_song, ref

ARTIST, SINGER, TREASURY, LISTENER, PATRON = (
    address(r) for r in ("artist", "singer", "treasury", "listener", "patron")
)


def pay(
    db: Session, song: str, payer: str, strategy: str, amount: int, fee: int, block: int
) -> int:
    event = PaymentEvent(song, payer, strategy, 0, amount, fee, ref(block))
    payment = PaymentRepository(db).record(event, [Share(ARTIST, amount - fee)], treasury=TREASURY)
    assert payment is not None
    return payment.id


def test_an_empty_catalogue_has_zero_figures(db: Session) -> None:
    figures = StatsRepository(db).figures()
    assert (figures.songs, figures.plays, figures.payments, figures.revenue) == (0, 0, 0, 0)
    assert figures.by_strategy == []


def test_platform_and_artist_figures(db: Session) -> None:
    stream = make_song(db, "Stream", artist=ARTIST)
    gift = make_song(db, "Gift", artist=ARTIST, strategy="gift-economy-v1")
    other = make_song(db, "Other", artist=SINGER)
    big = MAX_UINT256 // 4
    first = pay(db, stream, LISTENER, PPS, 100, 2, 1)
    pay(db, gift, PATRON, GIFT, big, 0, 2)
    PlayRepository(db).record(
        stream, played_at=ref(1).block_time, listener=LISTENER, payment_id=first, block_number=1
    )
    # An off-chain play by someone who never paid is a listener too.
    PlayRepository(db).record(other, played_at=ref(3).block_time, listener=SINGER)
    stats = StatsRepository(db)

    platform = stats.figures()
    assert (platform.songs, platform.artists, platform.plays) == (3, 2, 2)
    assert (platform.payments, platform.listeners) == (2, 3)
    assert platform.revenue == 100 + big and platform.fees == 2
    assert platform.credited == 98 + big
    assert platform.earned is None
    assert [(r.strategy_name, r.payments, r.amount) for r in platform.by_strategy] == [
        ("gift-economy-v1", 1, big),
        ("pay-per-stream-v1", 1, 100),
    ]

    mine = stats.figures(ARTIST.lower())
    assert (mine.songs, mine.plays, mine.payments, mine.listeners) == (2, 1, 2, 2)
    assert mine.earned == 98 + big and mine.revenue == 100 + big

    singer = stats.figures(SINGER)
    assert (singer.songs, singer.plays, singer.listeners, singer.payments) == (1, 1, 1, 0)
    assert (singer.revenue, singer.earned, singer.by_strategy) == (0, 0, [])
