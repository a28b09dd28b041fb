"""Deploy and pay on the embedded chain in one process, stop it, start another on the same data
directory: blocks, balances, credits and events are all there, and payments go on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIRST = """
import json, sys
from decimal import Decimal
from pathlib import Path
from mycelix.config import Settings
from mycelix.sdk import connect, salt_for, song_id_for
with connect(Settings(data_dir=Path(sys.argv[1])), deploy=True) as (sdk, chain):
    artist, listener = (sdk.as_account(a) for a in chain.dev_accounts[1:3])
    artist.register_song(salt_for("restart"), "pay-per-stream-v1")
    song = song_id_for(artist.address, salt_for("restart"))
    listener.faucet(Decimal(10))
    listener.stream(song)
    chain.advance_time(3600)
    head = chain.w3.eth.get_block("latest")
    print(json.dumps({
        "block": head["number"], "hash": head["hash"].hex(), "time": head["timestamp"],
        "credits": artist.credits(), "balance": listener.flow_balance(),
        "events": [[e.name, e.tx_hash, e.log_index] for e in sdk.events()],
        "song": song.hex(), "router": sdk.manifest.router,
    }))
"""

SECOND = """
import json, sys
from pathlib import Path
from mycelix.config import Settings
from mycelix.sdk import connect
with connect(Settings(data_dir=Path(sys.argv[1]))) as (sdk, chain):
    artist, listener = (sdk.as_account(a) for a in chain.dev_accounts[1:3])
    state = json.loads(sys.argv[2])
    head = chain.w3.eth.get_block(state["block"])
    song = bytes.fromhex(state["song"])
    seen = {
        "hash": head["hash"].hex(), "time": head["timestamp"], "credits": artist.credits(),
        "balance": listener.flow_balance(),
        "events": [[e.name, e.tx_hash, e.log_index] for e in sdk.events(to_block=state["block"])],
    }
    listener.stream(song)
    seen["after"] = artist.credits()
    seen["new_block"] = chain.w3.eth.block_number
    print(json.dumps(seen))
"""


def run(script: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_new_process_sees_the_whole_chain(tmp_path: Path) -> None:
    first = run(FIRST, str(tmp_path))
    second = run(SECOND, str(tmp_path), json.dumps(first))
    assert second["hash"] == first["hash"]
    assert second["time"] == first["time"]
    assert second["credits"] == first["credits"] == 10**16 * 99 // 100
    assert second["balance"] == first["balance"] == 10 * 10**18 - 10**16
    assert second["events"] == first["events"]
    assert any(name == "Payment" for name, *_ in first["events"])
    assert second["after"] == 2 * first["credits"]
    assert second["new_block"] > first["block"]
