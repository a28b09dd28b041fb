"""Artists: one row per address that has songs, a profile, or a chain registration."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Artist, Song
from ..sqlfuncs import insert_ignoring
from ..types import normalize_address, utcnow
from .common import NotFound


class ArtistRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, address: str) -> Artist | None:
        return self.session.get(Artist, normalize_address(address))

    def ensure(self, address: str) -> Artist:
        """The artist row for `address`, created empty if missing. Safe against a
        concurrent writer creating the same row (INSERT ... ON CONFLICT DO NOTHING)."""
        address = normalize_address(address)
        artist = self.session.get(Artist, address)
        if artist is not None:
            return artist
        self.session.execute(
            insert_ignoring(self.session, Artist, "address").values(
                address=address, name="", name_key="", bio="", created_at=utcnow()
            )
        )
        artist = self.session.get(Artist, address)
        assert artist is not None
        return artist

    def update_profile(
        self, address: str, *, name: str | None = None, bio: str | None = None
    ) -> Artist:
        """Set the display name and/or bio (creating the artist if needed)."""
        artist = self.ensure(address)
        if name is not None:
            artist.name = name
        if bio is not None:
            artist.bio = bio
        self.session.flush()
        return artist

    def require(self, address: str) -> Artist:
        artist = self.get(address)
        if artist is None:
            raise NotFound(f"artist {normalize_address(address)} not found")
        return artist

    def song_count(self, address: str) -> int:
        """Described songs of the artist (stubs excluded)."""
        stmt = select(func.count()).where(
            Song.artist == normalize_address(address), Song.audio_cid.is_not(None)
        )
        return int(self.session.scalar(stmt) or 0)
