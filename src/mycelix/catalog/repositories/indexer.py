"""The indexer's own reads and writes (its router settings, block hashes and in-place song fields).

- The router settings a payment's distribution depends on (treasury, fee) as of the
  indexer's checkpoint, persisted so a restart knows them. The catalogue has no table for
  them, so they are kept as extra named rows of ``indexer_checkpoints`` (``<name>:treasury``
  and ``<name>:fee_bps``): ``block_number`` is the block of the event that set the value
  and ``block_hash`` holds the value, left-padded to 32 bytes. `ChainStateRepository.
  rollback_to` moves such a row down like any checkpoint (garbling its value) when the
  event was above the rollback block, so the indexer reads the rows *before* a rollback
  and re-reads the value from the chain at the common ancestor when it must.
- Songs' chain fields that change in place (artist, strategy, patron-only).
- Stub songs whose registration a reorg or a rebuild undid.

Like a repository, every function here takes the caller's session and only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, false, select, update
from sqlalchemy.orm import Session

from ..models import Auction, Credit, IndexedBlock, IndexerCheckpoint, Payment, Play, Song
from ..types import normalize_address, normalize_bytes32, utcnow
from .artists import ArtistRepository


@dataclass(frozen=True)
class Setting:
    value: str | int
    block_number: int


@dataclass
class RouterState:
    """Treasury and fee as the indexer has followed them (None: not seen yet)."""

    treasury: Setting | None = None
    fee_bps: Setting | None = None


def _treasury_key(name: str) -> str:
    return f"{name}:treasury"


def _fee_key(name: str) -> str:
    return f"{name}:fee_bps"


def state_names(name: str) -> tuple[str, ...]:
    """Every ``indexer_checkpoints`` row an indexer called `name` owns."""
    return (name, _treasury_key(name), _fee_key(name))


def load_router_state(session: Session, name: str) -> RouterState:
    state = RouterState()
    treasury = session.get(IndexerCheckpoint, _treasury_key(name))
    if treasury is not None:
        state.treasury = Setting("0x" + treasury.block_hash[-40:], treasury.block_number)
    fee = session.get(IndexerCheckpoint, _fee_key(name))
    if fee is not None:
        state.fee_bps = Setting(int(fee.block_hash, 16), fee.block_number)
    return state


def _put(session: Session, key: str, value: str, block_number: int) -> None:
    row = session.get(IndexerCheckpoint, key)
    if row is None:
        row = IndexerCheckpoint(name=key)
        session.add(row)
    row.block_number = block_number
    row.block_hash = value
    row.updated_at = utcnow()


def save_router_state(session: Session, name: str, state: RouterState) -> None:
    if state.treasury is not None:
        padded = "0x" + "00" * 12 + normalize_address(str(state.treasury.value))[2:]
        _put(session, _treasury_key(name), padded, state.treasury.block_number)
    if state.fee_bps is not None:
        encoded = f"0x{int(state.fee_bps.value):064x}"
        _put(session, _fee_key(name), encoded, state.fee_bps.block_number)
    session.flush()


def delete_state(session: Session, name: str) -> None:
    session.execute(delete(IndexerCheckpoint).where(IndexerCheckpoint.name.in_(state_names(name))))


def stored_blocks(session: Session, at_most: int) -> list[tuple[int, str]]:
    """Remembered (number, hash) pairs up to `at_most`, oldest first."""
    rows = session.execute(
        select(IndexedBlock.number, IndexedBlock.hash)
        .where(IndexedBlock.number <= at_most)
        .order_by(IndexedBlock.number)
    ).all()
    return [(int(number), str(block_hash)) for number, block_hash in rows]


def registered_song_ids(session: Session, *, at_most: int) -> list[str]:
    """Songs whose registration was indexed at or below block `at_most`."""
    stmt = (
        select(Song.song_id)
        .where(Song.registration_block.is_not(None), Song.registration_block <= at_most)
        .order_by(Song.song_id)
    )
    return list(session.scalars(stmt))


def set_song_fields(
    session: Session,
    song_id: str,
    *,
    artist: str | None,
    strategy_id: str | None,
    strategy_name: str | None,
    patron_only: bool,
    stream_price: int | None,
) -> bool:
    """Overwrite a song's chain fields with the chain's; False if the song is not in the
    catalogue or was not registered at that block (`artist` None: then it is left alone)."""
    song = session.get(Song, normalize_bytes32(song_id))
    if song is None or artist is None:
        return False
    ArtistRepository(session).ensure(artist)
    song.artist = artist
    song.strategy_id = strategy_id
    song.strategy_name = strategy_name
    song.patron_only = patron_only
    song.stream_price = stream_price
    session.flush()
    return True


def reset_patron_only(session: Session) -> None:
    """Rebuild: clear the chain's patron-only flags and stream prices; re-indexing sets them
    again."""
    session.execute(
        update(Song)
        .where(Song.registration_block.is_not(None))
        .values(patron_only=false(), stream_price=None)
        .execution_options(synchronize_session=False)
    )


def delete_orphan_stubs(session: Session) -> int:
    """Delete stub songs (never described: no audio) that are no longer registered and
    that no chain row or off-chain play references; they existed only because of a
    registration now undone. (Analytics events keep their rows: the foreign key sets
    their song to NULL.)"""
    referenced = [
        exists().where(model.song_id == Song.song_id) for model in (Play, Payment, Credit, Auction)
    ]
    result = session.execute(
        delete(Song)
        .where(
            and_(
                Song.registration_block.is_(None),
                Song.audio_cid.is_(None),
                *(~condition for condition in referenced),
            )
        )
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return int(getattr(result, "rowcount", 0) or 0)
