"""Shared CLI plumbing: settings from flags, one readable error line and a non-zero exit.

A flag that sets a setting is declared with `setting_option`, so its parameter carries the
setting's name (what `settings_from` passes on) and its help names the variable; the docs
test reads these back from the commands. `--config FILE` is the root command's option
(`mycelix --config FILE COMMAND`), so every command reads the same file.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from mycelix.chain.embedded import EmbeddedChainError
from mycelix.chain.errors import MycelixError
from mycelix.config import Settings, SettingsError, env_name

console = Console()
err = Console(stderr=True)

# `--config` of the running invocation, set by the root callback (Typer vendors its own
# click, so click's current context is not reachable from here).
config_file: ContextVar[Path | None] = ContextVar("mycelix_config_file", default=None)


def setting_option(name: str, *flags: str, help: str | None = None, **kwargs: Any) -> Any:
    """A Typer option for the setting `name` (flag `--name-with-dashes` unless given);
    None when absent, so the environment, the file or the default decide."""
    description = help or Settings.model_fields[name].description or ""
    return typer.Option(
        *(flags or (f"--{name.replace('_', '-')}",)),
        # Parentheses: Rich would take "[env: ...]" for markup and drop it.
        help=f"{description} (env: {env_name(name)})",
        show_default=False,
        **kwargs,
    )


DataDir = Annotated[Path | None, setting_option("data_dir")]
RpcUrl = Annotated[str | None, setting_option("rpc_url")]
ConfigFile = Annotated[Path | None, setting_option("config", metavar="FILE")]


def settings_from(data_dir: Path | None, rpc_url: str | None, **extra: Any) -> Settings:
    """Settings from flags (None: not given) over environment over config file over
    defaults. A bad value prints one line and exits 2, like a bad flag."""
    flags = {"config": config_file.get(), "data_dir": data_dir, "rpc_url": rpc_url, **extra}
    try:
        return Settings.from_env(None, **flags)
    except SettingsError as exc:
        # Escaped: a value or path may hold "[...]", which Rich would take for markup.
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True, highlight=False)
        raise typer.Exit(2) from None


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn the package's own errors into one red line and exit code 1."""
    try:
        yield
    except (MycelixError, EmbeddedChainError) as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(1) from exc


def loopback_if_any(host: str) -> str:
    """The address to reach a server listening on `host` from this machine."""
    try:
        return "127.0.0.1" if ipaddress.ip_address(host.strip("[]")).is_unspecified else host
    except ValueError:
        return host


@contextmanager
def catalog_session(settings: Settings) -> Iterator[Any]:
    """A read-only session on the node's catalogue, or one error line and exit 1 when there
    is none yet (connecting would create an empty SQLite file and hide the mistake)."""
    from sqlalchemy.exc import SQLAlchemyError

    from mycelix.catalog import Catalog
    from mycelix.catalog.db import normalize_url

    url = normalize_url(settings.catalog_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        err.print(
            f"[red]error:[/red] no catalogue at {escape(str(url.database))} "
            "(run `mycelix init`, or pass the --data-dir of your node)",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(1)
    catalog = Catalog(url)
    try:
        with catalog.read() as session:
            yield session
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err.print(
            f"[red]error:[/red] catalogue {escape(url.render_as_string(hide_password=True))}: "
            f"{escape(first)}",
            soft_wrap=True,
            highlight=False,
        )
        raise typer.Exit(1) from None
    finally:
        catalog.dispose()


def flow(units: int) -> str:
    """Token units as FLOW, exact, without trailing zeros."""
    from mycelix.chain.units import from_wei

    text = f"{from_wei(units):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
