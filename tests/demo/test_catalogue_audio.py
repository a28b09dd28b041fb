"""After `mycelix demo`, the catalogue is real: every demo song is listed with its duration,
waveform and cover, its audio streams over the Range endpoint and decodes, in at least two
formats, and each is registered on chain under its audio's content hash, as an upload is."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import soundfile
from PIL import Image
from typer.testing import CliRunner

from mycelix.api.runtime import Runtime
from mycelix.catalog.repositories import SongRepository
from mycelix.cli.main import app
from mycelix.config import Settings
from mycelix.demo import media
from mycelix.demo.cast import derived_account
from mycelix.demo.catalogue import SONGS
from mycelix.indexer import Indexer
from mycelix.platform import Platform
from mycelix.sdk.types import content_salt, song_id_for
from mycelix.strategies import registry
from tests.api.conftest import sign_in

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Runtime]]:
    data_dir = tmp_path_factory.mktemp("demo-audio")
    result = CliRunner().invoke(
        app, ["demo", "--data-dir", str(data_dir), "--weeks", "1", "--listeners", "3"]
    )
    assert result.exit_code == 0, result.output
    assert "conservation: OK" in result.output
    with (
        Runtime.open(
            Settings(data_dir=data_dir, public_origins=["http://testserver"]), indexer=False
        ) as runtime,
        TestClient(runtime.app) as client,
    ):
        yield client, runtime


def listing(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/songs", params={"limit": 100})
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_every_demo_song_is_listed_with_duration_and_waveform(
    served: tuple[TestClient, Runtime],
) -> None:
    client, _ = served
    songs = listing(client)
    assert sorted(s["title"] for s in songs) == sorted(spec.title for spec in SONGS)
    for song in songs:
        assert song["duration"] == pytest.approx(media.SECONDS, abs=0.05), song
        assert song["artist_name"]  # the act's name, not a bare address
        detail = client.get(f"/api/songs/{song['song_id']}").json()
        waveform = detail["waveform"]
        assert len(waveform) > 100 and max(waveform) > 0.1, song["title"]
    assert {s["strategy"] for s in songs} == set(registry.names())  # every strategy


ANYONE = "0x" + "00" * 20


def index(platform: Platform) -> None:
    """Index the chain up to its head (paid plays open the gate once indexed)."""
    indexer = platform.extras.get("indexer")
    if indexer is None:
        indexer = platform.extras["indexer"] = Indexer(
            platform.catalog, platform.chain.w3, platform.manifest, platform.metrics
        )
    indexer.run_once()


def test_every_song_streams_real_audio_over_range_requests(
    served: tuple[TestClient, Runtime],
) -> None:
    """Each song plays for a listener it is open to: anyone (gift, public patronage songs), a
    patron or slot holder from the simulated week, or, where plays go through the router, a
    listener who has just paid for one (free ones included: a freemium listener's first plays,
    pay what you want at a zero minimum); the gated ones refuse an anonymous request."""
    client, runtime = served
    platform = runtime.platform
    listeners = [derived_account(f"listener-{i}") for i in range(3)]
    media_types: set[str] = set()
    signals = []
    for song in listing(client):
        sid = song["song_id"]
        anonymous = client.get(song["audio_url"], headers={"Range": "bytes=0-1023"})
        if platform.sdk.is_authorized(sid, ANYONE):  # gift songs, patronage's public songs
            assert anonymous.status_code == 206, song["title"]
            auth: dict[str, str] = {}
        else:
            assert anonymous.status_code == 403, song["title"]
            entitled = next(
                (a for a in listeners if platform.sdk.is_authorized(sid, a.address)), None
            )
            if entitled is None:
                # Plays through the router open it (pay per stream, freemium, pay what you
                # want; a recorded free play too), the others are sold as access.
                paid_per_play = {s.name for s in registry.all_strategies() if not s.free_plays}
                assert song["strategy"] in paid_per_play, song["title"]
                entitled = listeners[0]
                platform.sdk.as_account(entitled).stream(sid)
                index(platform)
            auth = sign_in(client, entitled)
        head = client.get(song["audio_url"], headers={**auth, "Range": "bytes=0-1023"})
        assert head.status_code == 206, song["title"]
        assert len(head.content) == 1024
        whole = client.get(song["audio_url"], headers={**auth, "Range": "bytes=0-"})
        assert whole.status_code == 206
        assert whole.content[:1024] == head.content
        samples, rate = soundfile.read(io.BytesIO(whole.content), dtype="float32")
        assert rate == media.SAMPLE_RATE and samples.shape[1] == 2
        assert len(samples) / rate == pytest.approx(media.SECONDS, abs=0.05)
        assert abs(samples).max() > 0.3  # music, not silence
        media_types.add(whole.headers["content-type"].split(";")[0])
        signals.append(samples[: rate // 2, 0])
    assert {"audio/wav", "audio/flac", "audio/ogg"} <= media_types
    # Different pieces, not one piece played again.
    assert len({s.tobytes() for s in signals}) == len(signals)


def test_covers_decode_and_differ(served: tuple[TestClient, Runtime]) -> None:
    client, _ = served
    seen: set[bytes] = set()
    formats: set[str | None] = set()
    for song in listing(client):
        response = client.get(song["cover_url"])
        assert response.status_code == 200
        image = Image.open(io.BytesIO(response.content))
        image.load()
        assert image.size == (media.COVER_SIDE, media.COVER_SIDE)
        formats.add(image.format)
        seen.add(image.convert("RGB").tobytes())
    assert formats == {"PNG", "JPEG"}
    assert len(seen) == len(SONGS)


def test_songs_are_registered_by_their_content_hash(served: tuple[TestClient, Runtime]) -> None:
    client, runtime = served
    sdk = runtime.platform.sdk
    for song in listing(client):
        detail = client.get(f"/api/songs/{song['song_id']}").json()
        with runtime.platform.catalog.read() as session:
            audio_cid = SongRepository(session).require(song["song_id"]).audio_cid
        assert audio_cid is not None
        expected = song_id_for(song["artist"], content_salt(audio_cid))
        assert "0x" + expected.hex() == detail["song_id"]
        assert sdk.song_artist(expected) == song["artist"]


def test_the_recordings_are_deterministic_per_song() -> None:
    first = media.synthesise("Roots")
    assert (first == media.synthesise("Roots")).all()
    assert not (first == media.synthesise("Hidden Roots")).all()
    assert media.recording("Roots", 0).data == media.recording("Roots", 0).data
