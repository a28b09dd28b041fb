"""`mycelix backup` and `mycelix restore`: flags to settings, then `mycelix.backup`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from mycelix.backup import (
    BackupError,
    create_backup,
    default_backup_dir,
    prune,
    restore_backup,
    verify_backup,
)
from mycelix.backup.encrypt import is_encrypted
from mycelix.cli.common import (
    DataDir,
    RpcUrl,
    console,
    err,
    friendly_errors,
    setting_option,
    settings_from,
)

PASSPHRASE_ENV = "MYCELIX_BACKUP_PASSPHRASE"

BackupDir = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="Backup directory (env MYCELIX_BACKUP_DIR; default: DATA_DIR-backups).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


class _Bars:
    """Progress on stderr (stdout stays clean for --json): one bar per stage."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def stage(self, description: str, total: int | None = None) -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, completed=task.total or 1, total=task.total or 1)
        self._task = self._progress.add_task(description, total=total)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


@contextmanager
def _bars() -> Iterator[_Bars]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        # Cron and systemd logs get the result lines, not bar redraws.
        disable=not err.is_terminal,
    ) as progress:
        yield _Bars(progress)


@contextmanager
def _errors() -> Iterator[None]:
    """The package's errors, and the file system's, as one line and exit 1."""
    with friendly_errors():
        try:
            yield
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise BackupError(f"{exc.strerror or exc}{where}") from exc


def _passphrase(confirm: bool) -> str:
    if value := os.environ.get(PASSPHRASE_ENV):
        return value
    value = typer.prompt(
        "Backup passphrase", hide_input=True, confirmation_prompt=confirm, err=True
    )
    if not value:
        raise BackupError("the passphrase is empty")
    return str(value)


def _emit(as_json: bool, data: dict[str, Any]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


def backup(
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    directory: BackupDir = None,
    encrypt: Annotated[
        bool | None,
        typer.Option(
            "--encrypt/--no-encrypt",
            help=f"Encrypt with a passphrase from {PASSPHRASE_ENV} or a prompt "
            f"(default: on when {PASSPHRASE_ENV} is set).",
            show_default=False,
        ),
    ] = None,
    keep: Annotated[
        int | None,
        typer.Option("--keep", min=1, help="Then delete all but the newest N archives."),
    ] = None,
    max_age: Annotated[
        float | None,
        typer.Option(
            "--max-age",
            min=0,
            help="Then delete archives older than DAYS (with "
            "--keep: keep an archive if either rule keeps it).",
            metavar="DAYS",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Archive this node (catalogue, content, chain) while it runs.

    Catalogue, the content it names, embedded chain and deployment, consistent.
    Then retention, if asked. See docs/operations.md."""
    settings = settings_from(data_dir, rpc_url)
    with _errors():
        target = directory or default_backup_dir(settings)
        wanted = encrypt if encrypt is not None else bool(os.environ.get(PASSPHRASE_ENV))
        passphrase = _passphrase(confirm=True) if wanted else None
        with _bars() as bars:
            result = create_backup(settings, target, passphrase=passphrase, report=bars)
        summary = result.summary()
        failed: dict[Path, str] = {}
        if keep is not None or max_age is not None:
            age = timedelta(days=max_age) if max_age is not None else None
            pruned = prune(result.archive.parent, keep=keep, max_age=age)
            summary["pruned"] = [str(p) for p in pruned.deleted]
            summary["prune_failed"] = {str(p): why for p, why in pruned.failed.items()}
            failed = pruned.failed
    _emit(as_json, summary)
    if not as_json:
        _print_backup(summary)
    for path, why in failed.items():
        err.print(f"[red]error:[/red] could not delete {path}: {why}", soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _print_backup(summary: dict[str, Any]) -> None:
    catalog, chain, content = summary["catalog"], summary["chain"], summary["content"]
    lock = "encrypted" if summary["encrypted"] else "not encrypted"
    console.print(f"[green]backup written[/green] {summary['archive']}", soft_wrap=True)
    console.print(f"  {summary['bytes']:,} bytes, {lock}, {summary['seconds']:.1f}s")
    console.print(
        f"  catalogue ({catalog['dialect']}): {catalog['rows'].get('songs', 0):,} songs, "
        f"indexed to block {catalog['checkpoints'].get('indexer', '-')}"
    )
    if chain is not None:
        console.print(f"  chain: head block {chain['head_number']}")
    console.print(f"  content: {content['objects']:,} objects, {content['bytes']:,} bytes")
    if content["missing"]:
        err.print(
            f"[yellow]warning:[/yellow] {len(content['missing'])} object(s) the catalogue "
            f"names are not in the content store, e.g. {content['missing'][0]}",
            soft_wrap=True,
        )
    if content["damaged"]:
        err.print(
            f"[yellow]warning:[/yellow] {len(content['damaged'])} stored object(s) do not match "
            f"their CID, e.g. {content['damaged'][0]}",
            soft_wrap=True,
        )
    for path in summary.get("pruned", []):
        console.print(f"  pruned {path}", soft_wrap=True)


def restore(
    archive: Annotated[Path, typer.Argument(help="The archive to restore.")],
    data_dir: DataDir = None,
    rpc_url: RpcUrl = None,
    database_url: Annotated[
        str | None,
        setting_option(
            "database_url",
            help="Restore the catalogue into this PostgreSQL database (a password here "
            "lands in shell history: prefer the environment or ~/.pgpass)",
        ),
    ] = None,
    verify_only: Annotated[
        bool, typer.Option("--verify-only", help="Check the whole archive, change nothing.")
    ] = False,
    discard_previous: Annotated[
        bool,
        typer.Option(
            "--discard-previous", help="Delete the replaced data instead of keeping it aside."
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Json = False,
) -> None:
    """Verify an archive whole, then swap it in as this node's data.

    The current data stays until the new data is complete and checked.
    It is then kept aside (or deleted, with --discard-previous).
    Refuses a running node, a damaged archive and a wrong passphrase."""
    settings = settings_from(data_dir, rpc_url, database_url=database_url)
    with _errors():
        if not archive.is_file():
            raise BackupError(f"no archive at {archive}")
        passphrase = _passphrase(confirm=False) if is_encrypted(archive) else None
        if verify_only:
            with _bars() as bars:
                manifest = verify_backup(archive, passphrase, bars)
            summary = {"archive": str(archive), "verified": True, **manifest.info}
            _emit(as_json, summary)
            if not as_json:
                console.print(f"[green]archive verified[/green] {archive}", soft_wrap=True)
            return
        if not yes and (settings.data_dir.exists() or settings.database_url):
            typer.confirm(
                f"Replace the data in {settings.data_dir} with {archive.name}? The current "
                "data is kept aside",
                abort=True,
                err=True,
            )
        with _bars() as bars:
            result = restore_backup(
                settings,
                archive,
                passphrase=passphrase,
                keep_previous=not discard_previous,
                report=bars,
            )
    summary = result.summary()
    _emit(as_json, summary)
    if not as_json:
        console.print(f"[green]restored[/green] {archive} into {result.data_dir}", soft_wrap=True)
        if result.database:
            console.print(f"  catalogue database: {result.database}")
        chain, catalog = summary["chain"], summary["catalog"]
        if chain is not None:
            checkpoint = catalog["checkpoints"].get("indexer", 0)
            console.print(
                f"  chain head block {chain['head_number']}; the indexer resumes after block "
                f"{checkpoint} on the next start"
            )
        for previous in (result.previous_data_dir, result.previous_database):
            if previous:
                console.print(f"  previous data kept at {previous}", soft_wrap=True)
