"""`mycelix songs` and `mycelix stats` on a node made by `mycelix init`, and their errors."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mycelix.chain.units import ONE
from mycelix.cli.main import app

from .catalog_data import ARTIST, SINGER, TREASURY, seeded_node

runner = CliRunner()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    data_dir = tmp_path_factory.mktemp("node")
    return data_dir, seeded_node(data_dir)


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.output


def songs_json(data_dir: Path, *args: str) -> dict:
    code, output = run(data_dir, "songs", "list", "--json", *args)
    assert code == 0, output
    return json.loads(output)


def test_songs_list_filters_and_searches(node: tuple[Path, dict[str, str]]) -> None:
    data_dir, songs = node
    every = songs_json(data_dir)
    assert every["total"] == 3
    assert [s["title"] for s in every["songs"]] == ["Canopy", "Hyphae", "Spores at Dawn"]
    assert [s["title"] for s in songs_json(data_dir, "--genre", "techno")["songs"]] == ["Hyphae"]
    by_strategy = songs_json(data_dir, "--strategy", "pay-per-stream-v1")
    assert {s["title"] for s in by_strategy["songs"]} == {"Canopy", "Spores at Dawn"}
    # Search covers artist names as well as titles.
    by_name = songs_json(data_dir, "--query", "fungal")
    assert {s["song_id"] for s in by_name["songs"]} == {songs["spores"], songs["hyphae"]}
    first = songs_json(data_dir, "--sort", "plays", "--limit", "1")
    assert first["total"] == 3 and first["songs"][0]["plays"] == 2


def test_songs_list_table_fits_80_columns(node: tuple[Path, dict[str, str]]) -> None:
    data_dir, _ = node
    result = runner.invoke(
        app, ["songs", "list", "--data-dir", str(data_dir)], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    assert "Canopy" in result.output and "Fungal Choir" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_bare_songs_lists(
    node: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, _ = node
    monkeypatch.setenv("MYCELIX_DATA_DIR", str(data_dir))
    result = runner.invoke(app, ["songs"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 of 3 songs") and "Canopy" in result.output


def test_songs_show_takes_a_short_id(node: tuple[Path, dict[str, str]]) -> None:
    data_dir, songs = node
    code, output = run(data_dir, "songs", "show", songs["spores"][:12], "--json")
    assert code == 0, output
    song = json.loads(output)
    assert song["song_id"] == songs["spores"] and song["plays"] == 2
    assert song["artist_name"] == "Fungal Choir"
    code, output = run(data_dir, "songs", "show", songs["hyphae"])
    assert code == 0 and "Hyphae" in output and "gift-economy-v1" in output


def test_songs_errors_are_one_line(node: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    data_dir, _ = node
    code, output = run(data_dir, "songs", "show", "0x" + "ab" * 32)
    assert code == 1 and output.startswith("error: no song with id 0xabab")
    code, output = run(data_dir, "songs", "show", "spores")
    assert code == 2 and output.startswith("error: not a song id")
    code, output = run(data_dir, "songs", "list", "--sort", "loudest")
    assert code == 2 and "--sort must be one of newest, oldest, title, plays" in output
    code, output = run(tmp_path / "nowhere", "songs", "list")
    assert code == 1
    assert output.startswith("error: no catalogue at") and "run `mycelix init`" in output
    assert len(output.strip().splitlines()) == 1
    # Reading never creates a catalogue where there was none.
    assert not (tmp_path / "nowhere").exists()


def test_stats_of_the_platform(node: tuple[Path, dict[str, str]]) -> None:
    data_dir, _ = node
    code, output = run(data_dir, "stats", "--json")
    assert code == 0, output
    stats = json.loads(output)
    assert stats["artist"] is None and stats["earned"] is None
    assert (stats["songs"], stats["artists"], stats["plays"]) == (3, 2, 2)
    assert (stats["payments"], stats["listeners"]) == (3, 2)
    assert stats["revenue"] == str(7 * ONE)
    assert stats["fees"] == str(2 * ONE // 50)
    assert int(stats["credited"]) + int(stats["fees"]) == 7 * ONE
    strategies = {r["strategy_name"]: (r["payments"], r["amount"]) for r in stats["by_strategy"]}
    assert strategies == {
        "gift-economy-v1": (1, str(5 * ONE)),
        "pay-per-stream-v1": (2, str(2 * ONE)),
    }
    code, output = run(data_dir, "stats")
    assert code == 0 and "revenue by strategy" in output and "7" in output


def test_stats_of_one_artist(node: tuple[Path, dict[str, str]]) -> None:
    data_dir, _ = node
    code, output = run(data_dir, "stats", "--artist", ARTIST.lower(), "--json")
    assert code == 0, output
    mine = json.loads(output)
    assert mine["artist"] == ARTIST.lower() and mine["songs"] == 2
    assert mine["earned"] == str(7 * ONE - 2 * ONE // 50)
    code, output = run(data_dir, "stats", "--artist", SINGER, "--json")
    singer = json.loads(output)
    assert (singer["songs"], singer["plays"], singer["revenue"], singer["earned"]) == (
        1,
        0,
        "0",
        "0",
    )


def test_stats_errors_are_one_line(node: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    data_dir, _ = node
    code, output = run(data_dir, "stats", "--artist", "fungal")
    assert code == 2 and output.startswith("error: --artist fungal is not an address")
    code, output = run(data_dir, "stats", "--artist", TREASURY)
    assert code == 1 and output.strip() == f"error: no artist {TREASURY.lower()} in the catalogue"
    code, output = run(tmp_path, "stats")
    assert code == 1 and output.startswith("error: no catalogue at")


def test_an_unreachable_database_is_one_line_without_its_password(
    node: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, _ = node
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://operator:secret@127.0.0.1:{port}/x"  # pragma: allowlist secret
    monkeypatch.setenv("MYCELIX_DATABASE_URL", url)
    for command in (["stats"], ["songs", "list"]):
        code, output = run(data_dir, *command)
        assert code == 1
        assert output.startswith(
            f"error: catalogue postgresql+psycopg://operator:***@127.0.0.1:{port}"
        )
        assert "secret" not in output and len(output.strip().splitlines()) == 1
