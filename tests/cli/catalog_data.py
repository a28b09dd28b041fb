"""A node made by `mycelix init`, with songs, plays and payments written through the
catalogue's repositories as the indexer would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from mycelix.catalog import Catalog
from mycelix.catalog.repositories import (
    ArtistRepository,
    PaymentEvent,
    PaymentRepository,
    PlayRepository,
    Share,
)
from mycelix.chain.units import ONE
from mycelix.cli.main import app
from mycelix.config import Settings

from ..catalog.factories import GIFT, PPS, address, make_song, ref

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ARTIST = address("artist")
SINGER = address("singer")
LISTENER = address("listener")
PATRON = address("patron")
TREASURY = address("treasury")


def seeded_node(data_dir: Path) -> dict[str, str]:
    """Three songs by two artists; two paid streams (1 FLOW, 2% fee) and a 5 FLOW gift."""
    result = CliRunner().invoke(app, ["init", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    catalog = Catalog(Settings(data_dir=data_dir).catalog_url)
    try:
        with catalog.write() as db:
            ArtistRepository(db).update_profile(ARTIST, name="Fungal Choir")
            songs = {
                "spores": make_song(db, "Spores at Dawn", artist=ARTIST, genre="ambient"),
                "hyphae": make_song(
                    db, "Hyphae", artist=ARTIST, genre="techno", strategy="gift-economy-v1"
                ),
                "canopy": make_song(db, "Canopy", artist=SINGER, genre="folk"),
            }
            payments = PaymentRepository(db)
            plays = PlayRepository(db)
            for block, (payer, song, strategy, amount, fee) in enumerate(
                [
                    (LISTENER, "spores", PPS, ONE, ONE // 50),
                    (PATRON, "spores", PPS, ONE, ONE // 50),
                    (PATRON, "hyphae", GIFT, 5 * ONE, 0),
                ],
                start=1,
            ):
                event = PaymentEvent(
                    song_id=songs[song],
                    payer=payer,
                    strategy_id=strategy,
                    payment_type=0 if strategy == PPS else 2,
                    amount=amount,
                    fee=fee,
                    ref=ref(block, at=T0 + timedelta(minutes=block)),
                )
                payment = payments.record(event, [Share(ARTIST, amount - fee)], treasury=TREASURY)
                assert payment is not None
                if strategy == PPS:
                    plays.record(
                        songs[song],
                        played_at=event.ref.block_time,
                        listener=payer,
                        payment_id=payment.id,
                        block_number=block,
                    )
    finally:
        catalog.dispose()
    return songs
