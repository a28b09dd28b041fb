"""A backup taken while the node runs and writes: the chain mines blocks (songs registered,
streams paid), the indexer writes them into the catalogue, uploads land in the content
store — and every archive taken meanwhile restores to a consistent node: the catalogue never
ahead of the chain, every object it names present, and the indexer catching up from its
checkpoint to exactly the chain it was restored with."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import select

from mycelix.backup import create_backup, restore_backup
from mycelix.catalog.models import Song, Upload
from mycelix.config import Settings
from mycelix.platform import Platform
from mycelix.sdk import salt_for, song_id_for
from mycelix.storage import LocalContentStore
from tests.indexer.support import PPS, make_cast

from .support import describe, index


class Writer(threading.Thread):
    """What a busy node does, in a loop: register and stream a song (two blocks), index,
    upload and describe a song."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(daemon=True)
        self.platform = platform
        self.cast = make_cast(platform.sdk, platform.chain, fund=False)
        self.stop = threading.Event()
        self.registered: dict[str, int] = {}  # song id -> block it was registered in
        self.writes: list[float] = []  # when each write finished
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                salt = salt_for(f"live {n}")
                receipt = self.cast.artist.register_song(salt, PPS)
                song = song_id_for(self.cast.artist.address, salt)
                self.registered["0x" + song.hex()] = receipt["blockNumber"]
                self.writes.append(time.monotonic())
                self.cast.listener.faucet(1)
                self.writes.append(time.monotonic())
                index(self.platform)
                self.writes.append(time.monotonic())
                describe(self.platform, 1)
                self.writes.append(time.monotonic())
        except BaseException as exc:
            self.error = exc


def test_backups_taken_during_writes_restore_consistently(node: Settings, tmp_path: Path) -> None:
    platform = Platform.open(node, deploy=False)
    writer = Writer(platform)
    archives, windows = [], []
    writer.start()
    try:
        while len(writer.writes) < 8 and writer.error is None:
            time.sleep(0.05)
        for _ in range(3):
            started = time.monotonic()
            archives.append(create_backup(node, tmp_path / "backups").archive)
            windows.append((started, time.monotonic()))
    finally:
        writer.stop.set()
        writer.join(timeout=120)
        platform.close()
    assert writer.error is None, writer.error
    overlapping = [any(a <= w <= b for w in writer.writes) for a, b in windows]
    assert any(overlapping), "no write happened while a backup ran"

    for i, archive in enumerate(archives):
        target = Settings(data_dir=tmp_path / f"restored-{i}" / "data")
        info = restore_backup(target, archive).info
        head = info["chain"]["head_number"]
        checkpoint = info["catalog"]["checkpoints"]["indexer"]
        assert checkpoint <= head  # the catalogue is never ahead of its chain

        restored = Platform.open(target, deploy=False)
        try:
            store = LocalContentStore(target.content_dir)
            with restored.catalog.read() as session:
                named = set(session.scalars(select(Upload.cid)))
                named |= {c for c in session.scalars(select(Song.audio_cid)) if c}
            assert named and all(store.verify(cid) for cid in named)
            assert restored.chain.w3.eth.block_number == head
            # The indexer resumes at the checkpoint and catches up to the restored chain.
            assert index(restored) == head
            with restored.catalog.read() as session:
                on_chain = set(
                    session.scalars(
                        select(Song.song_id).where(Song.registration_block.is_not(None))
                    )
                )
        finally:
            restored.close()
        expected = {song for song, block in writer.registered.items() if block <= head}
        assert expected and expected <= on_chain
        assert not {song for song, block in writer.registered.items() if block > head} & on_chain
