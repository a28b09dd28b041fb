"""`mycelix indexer run --once` and `mycelix indexer rebuild` on the embedded chain, and the
one-line error a second indexer gets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from typer.testing import CliRunner

from mycelix.catalog import Catalog
from mycelix.cli.indexer_cmd import indexer_app
from mycelix.config import Settings
from mycelix.indexer import LeaderLock
from mycelix.sdk import connect

from .support import PPS, assert_credits_match_chain, dump, make_cast, salt_of

runner = CliRunner()
# The sub-app as `mycelix` mounts it (cli/main.py: app.add_typer(indexer_app, name="indexer")).
app = typer.Typer()
app.add_typer(indexer_app, name="indexer")


def test_run_once_rebuild_and_a_second_indexer(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with connect(settings, deploy=True) as (sdk, chain):
        cast = make_cast(sdk, chain)
        song = cast.song("cli")
        cast.artist.register_song(salt_of(song), PPS)
        cast.listener.stream(song)
        cast.listener.tip(song, Decimal("0.1"))
        head = chain.w3.eth.block_number

    ran = runner.invoke(app, ["indexer", "run", "--once", "--data-dir", str(tmp_path)])
    assert ran.exit_code == 0, ran.output
    assert f"indexed to block {head} of {head}" in ran.output

    catalog = Catalog(settings.catalog_url)
    try:
        before = dump(catalog)
        assert len(before["payments"]) == 2
        holder = LeaderLock(catalog.url)
        with holder:
            refused = runner.invoke(app, ["indexer", "run", "--once", "--data-dir", str(tmp_path)])
        assert refused.exit_code == 1
        assert "error: another indexer is running on this catalogue" in refused.output

        rebuilt = runner.invoke(app, ["indexer", "rebuild", "--data-dir", str(tmp_path)])
        assert rebuilt.exit_code == 0, rebuilt.output
        assert "rebuilt the catalogue from the chain" in rebuilt.output
        assert dump(catalog) == before
        with connect(settings) as (sdk, _chain):
            assert_credits_match_chain(catalog, sdk, [])
    finally:
        catalog.dispose()
