"""`mycelix.songs.reads.detail_json` writes the same bytes `SongDetail` serialises, for every
kind of song, on SQLite and on PostgreSQL; stubs and unknown ids are None."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eth_utils import keccak

from mycelix.catalog.repositories import ChainRef, NewSong, SongRepository, SplitSpec
from mycelix.platform import Platform
from mycelix.songs.reads import detail_json
from mycelix.songs.schemas import SongDetail, song_detail
from mycelix.strategies.ids import strategy_id

ARTIST = "0x" + "5a" * 20
PRODUCER = "0x" + "6b" * 20


def _id(text: str) -> str:
    return "0x" + keccak(text=f"reads {text}").hex()


def _song(name: str, **fields: Any) -> NewSong:
    strategy = fields.pop("strategy", "pay-per-stream-v1")
    return NewSong(
        song_id=_id(name),
        artist=ARTIST,
        title=f"Reads {name}",
        audio_cid="bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
        strategy_id=strategy_id(strategy),
        strategy_name=strategy,
        **fields,
    )


def test_detail_bytes_match_the_model(platform: Platform) -> None:
    moment = datetime(2025, 3, 4, 5, 6, 7, 891_000, tzinfo=UTC)
    songs = {
        "plain": _song("plain"),
        "full": _song(
            "full",
            genre="Jazz",
            duration_ms=187_123,
            cover_cid="bafkreidivzimqfqtoqxkrpge6bjyhlvxqs3rhe73owtmdulaxr5do5in7u",
            media_type="audio/wav",
            bitrate=1_411_200,
            sample_rate=44_100,
            waveform=[0, 1, 0.5, 0.1234, 1.0],
            created_at=moment,
        ),
        "gift": _song("gift", strategy="gift-economy-v1", created_at=moment.replace(microsecond=0)),
        "priced": _song("priced", patron_only=True),
    }
    with platform.catalog.write() as session:
        repo = SongRepository(session)
        for new in songs.values():
            repo.create(new)
        repo.set_splits(
            _id("full"),
            [SplitSpec(ARTIST, 7_000), SplitSpec(PRODUCER, 3_000, role=1)],
            block_number=12,
        )
        # Listed in position order, which is not the recipients' order.
        repo.set_splits(
            _id("gift"),
            [SplitSpec(PRODUCER, 2_500, role=1), SplitSpec(ARTIST, 7_500)],
            block_number=12,
        )
        repo.update(_id("priced"), stream_price=3 * 10**16)
        repo.register(
            _id("full"),
            artist=ARTIST,
            strategy_id=strategy_id("pay-per-stream-v1"),
            strategy_name="pay-per-stream-v1",
            ref=ChainRef(
                block_number=12,
                block_hash="0x" + "01" * 32,
                tx_hash="0x" + "02" * 32,
                log_index=0,
                block_time=moment,
            ),
        )
    for name in songs:
        with platform.catalog.read() as session:
            song = SongRepository(session).get(_id(name))
            assert song is not None
            expected = SongDetail.model_validate(song_detail(song)).model_dump_json().encode()
        assert detail_json(platform.catalog, _id(name)) == expected, name


def test_stubs_and_unknown_ids_have_no_detail(platform: Platform) -> None:
    with platform.catalog.write() as session:
        SongRepository(session).register(
            _id("stub"),
            artist=ARTIST,
            strategy_id=strategy_id("gift-economy-v1"),
            strategy_name="gift-economy-v1",
            ref=ChainRef(
                block_number=13,
                block_hash="0x" + "03" * 32,
                tx_hash="0x" + "04" * 32,
                log_index=1,
                block_time=datetime(2025, 1, 1, tzinfo=UTC),
            ),
        )
    assert detail_json(platform.catalog, _id("stub")) is None
    assert detail_json(platform.catalog, _id("nobody")) is None
