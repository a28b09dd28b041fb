"""`mycelix upload`: a song from a local file into this node, as the signing artist.

The same path as the API: `uploads.service.receive` validates and stores the audio and cover
(too large, empty or not audio is refused with nothing stored), `songs.service.describe`
describes the song under the id the router gives this artist for the audio's content hash,
and `--register` registers that id on chain (salt = the content hash) and sets its splits.

Alongside a running server: the catalogue is SQLite in WAL mode (or PostgreSQL), so this
command writes next to a serving process, waiting for its write lock rather than failing.
The embedded chain is one process's at a time; while `mycelix serve` holds it, this command
stops with the chain-lock error before storing anything (point both at a JSON-RPC node, or
upload through the API).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from mycelix.catalog.repositories import SongRepository
from mycelix.catalog.repositories.common import AlreadyExists
from mycelix.chain.errors import InvalidInput, MycelixError
from mycelix.cli.common import DataDir, RpcUrl, err, settings_from
from mycelix.cli.wallet import JsonFlag, command_errors, report, tx_hash
from mycelix.platform import Platform
from mycelix.sdk.types import Role, Split, address, content_salt, song_id_for
from mycelix.songs.service import describe
from mycelix.storage import DEFAULT_COVER_LIMIT
from mycelix.storage.formats import Kind
from mycelix.storage.media import probe_media
from mycelix.strategies import registry
from mycelix.uploads.service import receive

MiB = 1024 * 1024
CHUNK = 1024 * 1024


def parse_split(text: str) -> Split:
    """`ADDR:BPS:ROLE` (ROLE a name such as producer, or its number) as a `Split`."""
    parts = text.split(":")
    if len(parts) != 3:
        raise InvalidInput(f"--split {text!r}: expected ADDR:BPS:ROLE, e.g. 0xAb…:2500:producer")
    who, bps, role = parts
    if not bps.isdigit():
        raise InvalidInput(f"--split {text!r}: BPS must be whole basis points (10000 = 100 %)")
    try:
        parsed = Role(int(role)) if role.isdigit() else Role[role.upper()]
    except (KeyError, ValueError):
        names = ", ".join(r.name.lower() for r in Role)
        raise InvalidInput(f"--split {text!r}: unknown role {role!r}; one of {names}") from None
    return Split(address(who), int(bps), parsed)


async def _chunks(path: Path, progress: Progress | None) -> AsyncIterator[bytes]:
    """The file in chunks, advancing a progress bar as the store hashes and copies them."""
    task = progress.add_task(path.name, total=path.stat().st_size) if progress else None
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            if progress is not None and task is not None:
                progress.advance(task, len(chunk))
            yield chunk


def _progress(enabled: bool) -> Progress | None:
    if not enabled:
        return None
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,  # stdout stays clean for `--json`
        transient=True,
    )


def _readable(path: Path, kind: str, limit: int) -> None:
    """Refuse a missing or oversized file before opening anything."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    size = path.stat().st_size
    if size > limit:
        raise InvalidInput(
            f"{path}: {size / MiB:.1f} MiB is larger than the {kind} limit of {limit // MiB} MiB"
        )


def upload(
    audio: Annotated[Path, typer.Argument(metavar="AUDIO", help="MP3, FLAC, WAV, Ogg or M4A.")],
    title: Annotated[str, typer.Option(help="The song's title.", show_default=False)],
    cover: Annotated[
        Path | None,
        typer.Option(metavar="IMG", help="Cover image: PNG, JPEG or WebP.", show_default=False),
    ] = None,
    genre: Annotated[str, typer.Option(help="Genre, e.g. ambient.")] = "",
    strategy: Annotated[
        str, typer.Option(help=f"One of {', '.join(registry.names())}.")
    ] = registry.names()[0],
    register: Annotated[
        bool, typer.Option("--register", help="Also register the song on chain.")
    ] = False,
    split: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ADDR:BPS:ROLE",
            help="A collaborator's share (repeat; shares sum to 10000). Needs --register.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
) -> None:
    """Add a song from a local audio file, as the signing artist.

    The audio and cover pass the API's upload checks into this node's store.
    The song's id is the router's id for this artist and the audio's hash.
    With --register the song is registered on chain and its --split shares set.
    Signs with MYCELIX_PRIVATE_KEY, or MYCELIX_KEYSTORE and its password."""
    settings = settings_from(data_dir, rpc_url)
    with command_errors():
        if not title.strip():
            raise InvalidInput("--title must not be empty")
        if registry.find(strategy) is None:
            known = ", ".join(registry.names())
            raise InvalidInput(f"unknown strategy {strategy!r}; one of {known}")
        splits = [parse_split(s) for s in split or []]
        if splits and not register:
            raise InvalidInput("--split sets on-chain shares, so it needs --register")
        _readable(audio, "audio", settings.max_upload_mb * MiB)
        if cover is not None:
            _readable(cover, "cover", DEFAULT_COVER_LIMIT)
            # The cover is stored after the audio: checked now (ingest's own probe), a bad
            # one cannot leave the audio stored without its song.
            probe_media(cover, "cover", filename=cover.name)
        if not settings.manifest_path.exists():
            raise MycelixError(f"no deployment in {settings.data_dir} (run `mycelix deploy` first)")
        p = Platform.open(settings, deploy=False)
        try:
            data = asyncio.run(
                _upload(p, audio, cover, title, genre, strategy, register, _progress(not as_json))
            )
            if register:
                sdk = p.sdk
                data["register_tx"] = tx_hash(
                    sdk.register_song(content_salt(data["audio_cid"]), data["strategy"])
                )
                if splits:
                    data["splits_tx"] = tx_hash(sdk.configure_splits(data["song_id"], splits))
        finally:
            p.close()
    lines = [
        f"song {data['song_id']}",
        f"  {data['title']} by {data['artist']} ({data['strategy']})",
        f"  audio {data['audio_cid']}",
    ]
    if data.get("cover_cid"):
        lines.append(f"  cover {data['cover_cid']}")
    if register:
        lines.append(f"registered on chain: tx {data['register_tx']}")
        if "splits_tx" in data:
            lines.append(f"splits set for {len(splits)} recipients: tx {data['splits_tx']}")
    else:
        lines.append("not on chain yet (run again with --register, or register from a wallet)")
    report(as_json, data, lines)


async def _upload(
    p: Platform,
    audio: Path,
    cover: Path | None,
    title: str,
    genre: str,
    strategy: str,
    register: bool,
    progress: Progress | None,
) -> dict[str, Any]:
    artist = p.chain.signer.address
    limits: dict[Kind, int] = {
        "audio": p.settings.max_upload_mb * MiB,
        "cover": DEFAULT_COVER_LIMIT,
    }
    with progress or nullcontext():
        stored = await receive(
            p,
            _chunks(audio, progress),
            kind="audio",
            limit=limits["audio"],
            uploader=artist,
            filename=audio.name,
        )
        cover_cid = None
        if cover is not None:
            cover_cid = (
                await receive(
                    p,
                    _chunks(cover, progress),
                    kind="cover",
                    limit=limits["cover"],
                    uploader=artist,
                    filename=cover.name,
                )
            ).cid
    new = await describe(
        p,
        artist,
        title=title,
        genre=genre,
        audio_cid=stored.cid,
        cover_cid=cover_cid,
        strategy=strategy,
    )
    with p.catalog.write() as session:
        try:
            song = SongRepository(session).create(new)
        except AlreadyExists:
            # Its id is this artist's for these bytes: the same recording, described before.
            # Running again with --register is how one puts it on chain afterwards.
            sid = song_id_for(artist, content_salt(stored.cid))
            existing = SongRepository(session).get(sid)
            if not register or existing is None:
                raise AlreadyExists(
                    f"{audio.name} is already in the catalogue as this artist's song "
                    f"0x{sid.hex()} (add --register to put it on chain)"
                ) from None
            song = existing
        session.flush()
        return {
            "song_id": song.song_id,
            "artist": artist,
            "title": song.title,
            "genre": song.genre,
            "audio_cid": stored.cid,
            "cover_cid": song.cover_cid,
            "duration_ms": song.duration_ms,
            "deduplicated": stored.deduplicated,
            "strategy": song.strategy_name or strategy,
        }
