"""`mycelix songs list|show`: the catalogue from the command line."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from mycelix.cli.common import DataDir, catalog_session, console, err, settings_from

songs_app = typer.Typer(
    help="Browse the catalogue: list songs or show one.", invoke_without_command=True
)


@songs_app.callback()
def songs(ctx: typer.Context) -> None:
    """Browse the catalogue: list songs or show one.

    Without a subcommand: `songs list` with its defaults."""
    if ctx.invoked_subcommand is None:
        list_songs(
            query=None,
            genre=None,
            strategy=None,
            artist=None,
            sort="newest",
            limit=20,
            data_dir=None,
            as_json=False,
        )


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _song_json(song: Any, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "song_id": song.song_id,
        "title": song.title,
        "artist": song.artist,
        "artist_name": song.artist_profile.name,
        "genre": song.genre,
        "strategy": song.strategy_name,
        "plays": song.play_count,
        "duration_ms": song.duration_ms,
        "created_at": song.created_at.isoformat(),
    }
    if full:
        data |= {
            "audio_cid": song.audio_cid,
            "cover_cid": song.cover_cid,
            "media_type": song.media_type,
            "patron_only": song.patron_only,
            "stream_price": None if song.stream_price is None else str(song.stream_price),
            "registration_tx": song.registration_tx,
            "registration_block": song.registration_block,
            "splits": [
                {"recipient": s.recipient, "bps": s.bps, "role": s.role} for s in song.splits
            ],
        }
    return data


def _duration(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


@songs_app.command("list")
def list_songs(
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Search titles and artist names.")
    ] = None,
    genre: Annotated[str | None, typer.Option("--genre", help="Only this genre.")] = None,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy", help="Only this strategy (a registry name, as `mycelix songs` lists)."
        ),
    ] = None,
    artist: Annotated[
        str | None, typer.Option("--artist", help="Only this artist's address.")
    ] = None,
    sort: Annotated[str, typer.Option("--sort", help="newest, oldest, title or plays.")] = "newest",
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=200, help="At most this many songs.")
    ] = 20,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """List songs, newest first, with optional search and filters."""
    from mycelix.catalog.repositories import SongQuery, SongRepository, SongSort

    try:
        order = SongSort(sort)
    except ValueError:
        choices = ", ".join(s.value for s in SongSort)
        err.print(
            f"[red]error:[/red] --sort must be one of {choices}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None
    settings = settings_from(data_dir, None)
    spec = SongQuery(q=query, genre=genre, strategy=strategy, artist=artist, sort=order)
    with catalog_session(settings) as session:
        repo = SongRepository(session)
        try:
            page = repo.list(spec, limit=limit)
        except ValueError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        total = repo.count(spec)
        songs = [_song_json(s) for s in page.items]
    if as_json:
        sys.stdout.write(json.dumps({"total": total, "songs": songs}, indent=2) + "\n")
        return
    if not songs:
        console.print("no songs match" if total == 0 and _filtered(spec) else "no songs yet")
        return
    # Light borders: at 80 columns every character goes to titles and names.
    table = Table(
        title=f"{len(songs)} of {total} songs",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for column, options in (
        ("id", {"no_wrap": True}),
        ("title", {}),
        ("artist", {}),
        ("genre", {}),
        ("strategy", {"no_wrap": True}),
        ("plays", {"justify": "right"}),
    ):
        table.add_column(column, **options)
    for song in songs:
        table.add_row(
            song["song_id"][:10],
            escape(song["title"]),
            escape(song["artist_name"] or song["artist"][:10]),
            escape(song["genre"]),
            escape(song["strategy"] or ""),
            str(song["plays"]),
        )
    console.print(table)
    if total > len(songs):
        console.print(f"[dim]{total - len(songs)} more: raise --limit or narrow the search[/dim]")


def _filtered(spec: Any) -> bool:
    return any((spec.q, spec.genre, spec.strategy, spec.artist))


@songs_app.command("show")
def show_song(
    song_id: Annotated[
        str, typer.Argument(metavar="ID", help="The song id, or its first characters.")
    ],
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Show one song: description, strategy, plays, splits."""
    from mycelix.catalog.repositories import SongRepository

    settings = settings_from(data_dir, None)
    with catalog_session(settings) as session:
        try:
            found = SongRepository(session).by_prefix(song_id)
        except ValueError as exc:
            err.print(
                f"[red]error:[/red] {escape(str(exc))} (ids start with 0x)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(2) from None
        if len(found) != 1:
            reason = "no song" if not found else "more than one song"
            err.print(
                f"[red]error:[/red] {reason} with id {escape(song_id)}"
                + (" (give more characters)" if found else " (see `mycelix songs list`)"),
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1)
        song = _song_json(found[0], full=True)
    if as_json:
        sys.stdout.write(json.dumps(song, indent=2) + "\n")
        return
    table = Table(show_header=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in song.items():
        if key == "splits":
            value = "\n".join(f"{s['recipient']}  {s['bps'] / 100:g}%" for s in value) or "none"
        elif key == "duration_ms":
            key, value = "length", _duration(value)
        table.add_row(key.replace("_", " "), escape("" if value is None else str(value)))
    console.print(table)
