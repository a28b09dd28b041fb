"""A node with something in every part (an economy on the embedded chain, indexed; described
songs with audio, covers and peaks in the content store), and a fingerprint of everything a
restore must give back: catalogue rows, content files, chain state."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from mycelix.catalog import Catalog
from mycelix.catalog.models import Base
from mycelix.catalog.repositories import NewSong, SongRepository, UploadRepository
from mycelix.chain import artifacts
from mycelix.chain.connect import open_chain
from mycelix.chain.manifest import Manifest
from mycelix.config import Settings
from mycelix.indexer import Indexer
from mycelix.platform import Platform
from mycelix.sdk import salt_for, song_id_for
from mycelix.storage.peaks import save_peaks
from tests.indexer.support import make_cast

_described = itertools.count()


def populate(settings: Settings) -> None:
    """Deploy, run an economy on the chain, index it, describe songs with content."""
    from tests.indexer.support import economy

    platform = Platform.open(settings)
    try:
        economy(make_cast(platform.sdk, platform.chain))
        index(platform)
        describe(platform, 3)
    finally:
        platform.close()


def index(platform: Platform) -> int:
    """Index everything mined so far; returns the checkpoint."""
    with Indexer(platform.catalog, platform.chain.w3, platform.manifest) as indexer:
        indexer.acquire()
        indexer.run_once()
        return indexer.status().checkpoint


def describe(platform: Platform, count: int) -> list[str]:
    """Upload audio (with peaks) and a cover per song and describe the songs, as the upload
    flow does: content first, then its catalogue rows. Returns the audio CIDs."""
    artist = platform.chain.dev_accounts[1].address
    cids = []
    for _ in range(count):
        n = next(_described)
        audio = asyncio.run(platform.store.put(f"audio {n} ".encode() * (200 + n)))
        cover = asyncio.run(platform.store.put(f"cover {n}".encode() * 50))
        with platform.catalog.write() as session:
            uploads = UploadRepository(session)
            uploads.record(cid=audio.cid, kind="audio", size=audio.size, media_type="audio/mpeg")
            uploads.record(cid=cover.cid, kind="cover", size=cover.size, media_type="image/png")
            SongRepository(session).create(
                NewSong(
                    song_id=song_id_for(artist, salt_for(f"described {n}")),
                    artist=artist,
                    title=f"Described {n}",
                    audio_cid=audio.cid,
                    cover_cid=cover.cid,
                    media_type="audio/mpeg",
                )
            )
        save_peaks(platform.store.root, audio.cid, [0.25, 0.5, 1.0])
        cids.append(audio.cid)
    return cids


def copy_node(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


# ------------------------------------------------------------------------- fingerprints


def catalogue_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the Alembic revision), in a stable order."""
    catalog = Catalog(url)
    try:
        with catalog.read() as session:
            rows = {
                table.name: sorted((tuple(r) for r in session.execute(select(table))), key=repr)
                for table in Base.metadata.sorted_tables
            }
            rows["alembic_version"] = [
                tuple(r) for r in session.execute(text("SELECT version_num FROM alembic_version"))
            ]
            return rows
    finally:
        catalog.dispose()


def content_files(data_dir: Path) -> dict[str, str]:
    root = data_dir / "content"
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for sub in ("objects", "peaks")
        for p in sorted((root / sub).rglob("*"))
        if p.is_file()
    }


def chain_state(settings: Settings) -> dict[str, Any]:
    """Head block (number and hash), ETH and FLOW balances of every dev account."""
    with open_chain(settings) as chain:
        w3 = chain.w3
        manifest = Manifest.load(settings.manifest_path)
        token = w3.eth.contract(address=manifest.token, abi=artifacts.load("FlowToken").abi)
        head = w3.eth.get_block("latest")
        return {
            "head": (head["number"], bytes(head["hash"])),
            "eth": [w3.eth.get_balance(a.address) for a in chain.dev_accounts],
            "flow": [token.functions.balanceOf(a.address).call() for a in chain.dev_accounts],
        }


def fingerprint(settings: Settings) -> dict[str, Any]:
    return {
        "catalogue": catalogue_rows(settings.catalog_url),
        "content": content_files(settings.data_dir),
        "manifest": settings.manifest_path.read_text(),
        "chain": chain_state(settings),
    }


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
