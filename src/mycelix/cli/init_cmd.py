"""`mycelix init`: a data directory, a commented config file and an empty catalogue."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from mycelix.cli.common import DataDir, console, err, friendly_errors, settings_from
from mycelix.config import CONFIG_FILENAME, example_config


def init(
    data_dir: DataDir = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing config file.")
    ] = False,
) -> None:
    """Create the data directory and a commented config file.

    Writes DATA_DIR/mycelix.toml listing every setting (commented out, at its default)
    and creates the catalogue database. An existing config file is kept unless --force
    is given."""
    settings = settings_from(data_dir, None)
    path = settings.data_dir / CONFIG_FILENAME
    # An untouched file from an earlier init (say one whose database was down) is no
    # one's settings: running init again just finishes the job.
    untouched = path.is_file() and path.read_text() == example_config()
    if path.exists() and not force and not untouched:
        err.print(
            f"[red]error:[/red] {escape(str(path))} exists; "
            "pass --force to overwrite it (its settings would be lost)",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(1)
    try:
        settings.content_dir.mkdir(parents=True, exist_ok=True)
        if not untouched:
            # Written beside and renamed, so an interrupted init never leaves half a file.
            partial = path.with_suffix(".toml.partial")
            partial.write_text(example_config())
            partial.replace(path)
    except OSError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True, highlight=False)
        raise typer.Exit(1) from None
    verb = "kept (unchanged)" if untouched else "wrote"
    console.print(f"{verb} {escape(str(path))}", highlight=False, soft_wrap=True)
    from sqlalchemy.exc import SQLAlchemyError

    from mycelix.catalog import migrate
    from mycelix.catalog.db import normalize_url

    shown = normalize_url(settings.catalog_url).render_as_string(hide_password=True)
    with friendly_errors():
        try:
            revision = migrate(settings.catalog_url)
        except SQLAlchemyError as exc:
            err.print(
                f"[red]error:[/red] catalogue {escape(shown)}: {escape(str(exc).splitlines()[0])}"
                " (fix database_url, then run init again)",
                soft_wrap=True,
                highlight=False,
            )
            raise typer.Exit(1) from None
    console.print(
        f"catalogue at migration {revision} ({escape(shown)})",
        highlight=False,
        soft_wrap=True,
    )
    dir_flag = "" if data_dir is None else f" --data-dir {escape(str(settings.data_dir))}"
    # Soft-wrapped: a path cut across lines could not be copied back into a shell.
    console.print(
        "next: edit the file to change a setting, then check the setup and start the API\n"
        "(serve deploys the contracts on first start):\n"
        f"  mycelix doctor{dir_flag}\n"
        f"  mycelix serve{dir_flag}",
        highlight=False,
        soft_wrap=True,
    )
