"""`mycelix upload` run as a new user would: deploy, set the artist's key, upload a file. The
song lands in the content store and the catalogue under the router's id for the artist and
the content hash; `--register` puts it on chain with its splits. A refused file leaves no
file, upload row or song behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mycelix.catalog import Catalog
from mycelix.catalog.models import Song, Upload
from mycelix.chain.connect import open_chain
from mycelix.config import Settings
from mycelix.sdk import Role, Split, Tier, content_salt, song_id_for
from tests.cli.node import ARTIST, LISTENER, PRODUCER, deployed, one_error_line, run, sdk
from tests.support.media import image_bytes, wav_bytes

ARTIST_KEY, LISTENER_KEY = 1, 2


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return deployed(tmp_path_factory.mktemp("cli-upload"))


def stored_files(data_dir: Path) -> set[Path]:
    content = data_dir / "content"
    return {p for p in content.rglob("*") if p.is_file()} if content.exists() else set()


def rows(data_dir: Path) -> tuple[int, int]:
    catalog = Catalog(Settings(data_dir=data_dir).catalog_url)
    try:
        with catalog.read() as session:
            songs = session.scalar(select(func.count()).select_from(Song)) or 0
            uploads = session.scalar(select(func.count()).select_from(Upload)) or 0
            return songs, uploads
    finally:
        catalog.dispose()


def test_upload_describes_the_song_for_the_signing_artist(data_dir: Path, tmp_path: Path) -> None:
    audio = tmp_path / "first light.wav"
    audio.write_bytes(wav_bytes(seconds=2.0, seed=1))
    cover = tmp_path / "cover.png"
    cover.write_bytes(image_bytes("png", 64, 64))
    result = run(
        data_dir,
        "upload",
        str(audio),
        "--title",
        "First Light",
        "--genre",
        "Ambient",
        "--cover",
        str(cover),
        "--json",
        key=ARTIST_KEY,
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["artist"] == ARTIST.address
    expected = song_id_for(ARTIST.address, content_salt(data["audio_cid"]))
    assert data["song_id"] == "0x" + expected.hex()
    catalog = Catalog(Settings(data_dir=data_dir).catalog_url)
    try:
        with catalog.read() as session:
            song = session.get(Song, data["song_id"])
            assert song is not None
            assert (song.title, song.genre) == ("First Light", "ambient")
            assert song.cover_cid == data["cover_cid"]
            assert song.duration_ms == 2000 and song.waveform
    finally:
        catalog.dispose()
    with sdk(data_dir) as client:
        assert client.song_artist(data["song_id"]) is None  # not registered without --register


def test_upload_register_puts_the_song_on_chain_with_its_splits(
    data_dir: Path, tmp_path: Path
) -> None:
    audio = tmp_path / "patrons.wav"
    audio.write_bytes(wav_bytes(seconds=1.0, seed=2))
    result = run(
        data_dir,
        "upload",
        str(audio),
        "--title",
        "For Patrons",
        "--strategy",
        "patronage-v1",
        "--register",
        "--split",
        f"{ARTIST.address}:7500:artist",
        "--split",
        f"{PRODUCER.address}:2500:producer",
        key=ARTIST_KEY,
    )
    assert result.exit_code == 0, result.output
    assert "registered on chain: tx 0x" in result.output
    assert "splits set for 2 recipients" in result.output
    song = result.output.split()[1]
    with sdk(data_dir, ARTIST_KEY) as artist:
        assert artist.song_artist(song) == ARTIST.address
        assert artist.song_strategy(song) == "patronage-v1"
        assert artist.splits(song) == [
            Split(ARTIST.address, 7500, Role.ARTIST),
            Split(PRODUCER.address, 2500, Role.PRODUCER),
        ]
        artist.configure_patronage([Tier("fan", 10**18)])
        artist.as_account(LISTENER).faucet(10**19)
    # A listener subscribes by artist alone: the node's catalogue names the patronage song.
    subscribed = run(data_dir, "subscribe", ARTIST.address, "fan", key=LISTENER_KEY)
    assert subscribed.exit_code == 0, subscribed.output
    with sdk(data_dir) as client:
        assert client.patron(ARTIST.address, LISTENER.address).active


def test_upload_refuses_a_file_that_is_not_audio(data_dir: Path, tmp_path: Path) -> None:
    before = (stored_files(data_dir), rows(data_dir))
    text = tmp_path / "notes.mp3"
    text.write_text("these are lyrics, not audio\n" * 100)
    result = run(data_dir, "upload", str(text), "--title", "Notes", "--register", key=ARTIST_KEY)
    assert result.exit_code == 1
    one_error_line(result, "notes.mp3")
    assert (stored_files(data_dir), rows(data_dir)) == before


def test_upload_refuses_a_file_above_the_limit(data_dir: Path, tmp_path: Path) -> None:
    before = (stored_files(data_dir), rows(data_dir))
    big = tmp_path / "long.wav"
    big.write_bytes(wav_bytes(seconds=8.0))  # ~1.4 MiB
    result = run(
        data_dir, "upload", str(big), "--title", "Long", key=ARTIST_KEY, MYCELIX_MAX_UPLOAD_MB="1"
    )
    assert result.exit_code == 1
    one_error_line(result, "is larger than the audio limit of 1 MiB")
    assert (stored_files(data_dir), rows(data_dir)) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--split", "0xabc:10000:artist", "--register"], "not an Ethereum address"),
        (["--split", f"{PRODUCER.address}:10000:drummer", "--register"], "unknown role 'drummer'"),
        (["--split", f"{PRODUCER.address}:10000:producer"], "it needs --register"),
        (["--strategy", "free-for-all"], "unknown strategy 'free-for-all'"),
    ],
)
def test_upload_refuses_bad_options_before_storing(
    data_dir: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    before = (stored_files(data_dir), rows(data_dir))
    audio = tmp_path / "song.wav"
    audio.write_bytes(wav_bytes(seconds=1.0, seed=9))
    result = run(data_dir, "upload", str(audio), "--title", "Song", *args, key=ARTIST_KEY)
    assert result.exit_code == 1
    one_error_line(result, message)
    assert (stored_files(data_dir), rows(data_dir)) == before


def test_upload_refuses_while_another_process_holds_the_embedded_chain(
    data_dir: Path, tmp_path: Path
) -> None:
    before = (stored_files(data_dir), rows(data_dir))
    audio = tmp_path / "song.wav"
    audio.write_bytes(wav_bytes(seconds=1.0, seed=3))
    with open_chain(Settings(data_dir=data_dir)):  # as `mycelix serve` would
        result = run(data_dir, "upload", str(audio), "--title", "Song", key=ARTIST_KEY)
    assert result.exit_code == 1
    one_error_line(result, "is already open")
    assert (stored_files(data_dir), rows(data_dir)) == before


def test_upload_again_with_register_puts_the_described_song_on_chain(
    data_dir: Path, tmp_path: Path
) -> None:
    audio = tmp_path / "later.wav"
    audio.write_bytes(wav_bytes(seconds=1.0, seed=4))
    first = run(data_dir, "upload", str(audio), "--title", "Later", "--json", key=ARTIST_KEY)
    assert first.exit_code == 0, first.output
    song = json.loads(first.output)["song_id"]
    before = (stored_files(data_dir), rows(data_dir))
    again = run(data_dir, "upload", str(audio), "--title", "Later", key=ARTIST_KEY)
    assert again.exit_code == 1
    one_error_line(again, f"already in the catalogue as this artist's song {song}")
    assert (stored_files(data_dir), rows(data_dir)) == before
    registered = run(
        data_dir, "upload", str(audio), "--title", "Later", "--register", key=ARTIST_KEY
    )
    assert registered.exit_code == 0, registered.output
    assert (stored_files(data_dir), rows(data_dir)) == before
    with sdk(data_dir) as client:
        assert client.song_artist(song) == ARTIST.address


def test_upload_works_alongside_a_running_node_on_a_json_rpc_chain(tmp_path: Path) -> None:
    """With a JSON-RPC node nothing is one process's: the catalogue (SQLite in WAL mode)
    takes this command's writes while a serving process has it open, and sees them."""
    from mycelix.platform import Platform
    from tests.require import require_anvil
    from tests.support.anvil import run_anvil

    require_anvil()
    audio = tmp_path / "beside.wav"
    audio.write_bytes(wav_bytes(seconds=1.0, seed=5))
    with run_anvil() as url:
        serving = Platform.open(Settings(data_dir=tmp_path, rpc_url=url))  # deploys, as serve
        try:
            with serving.catalog.read() as session:  # a reader mid-request
                session.scalar(select(func.count()).select_from(Song))
                result = run(
                    tmp_path,
                    "upload",
                    str(audio),
                    "--title",
                    "Beside",
                    "--register",
                    "--json",
                    "--rpc-url",
                    url,
                    key=ARTIST_KEY,
                )
            assert result.exit_code == 0, result.output
            song = json.loads(result.output)["song_id"]
            with serving.catalog.read() as session:
                found = session.get(Song, song)
                assert found is not None and found.title == "Beside"
            assert serving.sdk.song_artist(song) == ARTIST.address
        finally:
            serving.close()


def test_upload_refuses_a_cover_that_is_not_an_image_before_storing_the_audio(
    data_dir: Path, tmp_path: Path
) -> None:
    before = (stored_files(data_dir), rows(data_dir))
    audio = tmp_path / "song.wav"
    audio.write_bytes(wav_bytes(seconds=1.0, seed=6))
    cover = tmp_path / "cover.png"
    cover.write_bytes(wav_bytes(seconds=0.1))
    result = run(
        data_dir, "upload", str(audio), "--title", "Song", "--cover", str(cover), key=ARTIST_KEY
    )
    assert result.exit_code == 1
    one_error_line(result, "cover.png")
    assert (stored_files(data_dir), rows(data_dir)) == before
