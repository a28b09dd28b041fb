"""`mycelix deploy`: the first run deploys and writes the manifest, the second verifies and changes
nothing; a manifest that does not match the chain is a clear error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mycelix.chain.connect import open_chain
from mycelix.chain.deploy import create_address
from mycelix.cli.main import app
from mycelix.config import Settings

runner = CliRunner()


def head(data_dir: Path) -> int:
    with open_chain(Settings(data_dir=data_dir)) as chain:
        return chain.w3.eth.block_number


def test_deploy_twice_verifies_the_second_time(tmp_path: Path) -> None:
    first = runner.invoke(app, ["deploy", "--data-dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "deployed" in first.output
    manifest = json.loads((tmp_path / "deployment.json").read_text())
    assert set(manifest["addresses"]) >= {"EconomicStrategyRouter", "FlowToken", "GiftCredits"}
    block = head(tmp_path)
    second = runner.invoke(app, ["deploy", "--data-dir", str(tmp_path)])
    assert second.exit_code == 0, second.output
    assert "verified (nothing changed)" in second.output
    assert head(tmp_path) == block
    assert json.loads((tmp_path / "deployment.json").read_text()) == manifest
    assert cgc_minter(tmp_path, manifest) == manifest["addresses"]["GiftEconomy"]


def cgc_minter(data_dir: Path, manifest: dict[str, Any]) -> str:
    from mycelix.chain import artifacts

    with open_chain(Settings(data_dir=data_dir)) as chain:
        cgc = chain.w3.eth.contract(
            address=manifest["addresses"]["GiftCredits"], abi=artifacts.load("GiftCredits").abi
        )
        return str(cgc.functions.minter().call())


def test_create_address_matches_the_known_vectors() -> None:
    from eth._utils.address import generate_contract_address

    # keccak(rlp([sender, nonce]))[12:], the addresses a well-known account created.
    deployer = "0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0"
    assert [create_address(deployer, n).lower() for n in range(4)] == [
        "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d",
        "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8",
        "0xf778b86fa74e846c4f0a1fbd1335fe81c00a0c91",
        "0xfffd933a0bc612844eaf0c6fe3e5b8e9b6c1d19c",
    ]
    # Longer nonce encodings, against py-evm's own derivation.
    for nonce in (127, 128, 255, 256, 70_000, 2**40):
        expected = generate_contract_address(bytes.fromhex(deployer[2:]), nonce)
        assert create_address(deployer, nonce).lower() == "0x" + expected.hex()


def test_a_tampered_manifest_is_refused(tmp_path: Path) -> None:
    assert runner.invoke(app, ["deploy", "--data-dir", str(tmp_path)]).exit_code == 0
    path = tmp_path / "deployment.json"
    manifest = json.loads(path.read_text())
    manifest["addresses"]["PayPerStream"] = manifest["addresses"]["Patronage"]
    path.write_text(json.dumps(manifest))
    result = runner.invoke(app, ["deploy", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "PayPerStream: code at" in result.output and "differs from the manifest" in result.output


def test_chain_status_and_advance(tmp_path: Path) -> None:
    runner.invoke(app, ["deploy", "--data-dir", str(tmp_path)])
    status = runner.invoke(app, ["chain", "status", "--data-dir", str(tmp_path)])
    assert status.exit_code == 0 and "deployment verified" in status.output
    bad = runner.invoke(app, ["chain", "advance", "0", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 2
    ok = runner.invoke(app, ["chain", "advance", "3600", "--data-dir", str(tmp_path)])
    assert ok.exit_code == 0, ok.output


def test_unknown_token_address_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["deploy", "--data-dir", str(tmp_path), "--token", "0x" + "11" * 20]
    )
    assert result.exit_code == 1
    assert "no contract at that address" in result.output


def test_deploy_with_an_existing_token(tmp_path: Path) -> None:
    from mycelix.chain import artifacts
    from mycelix.chain.tx import Sender

    with open_chain(Settings(data_dir=tmp_path)) as chain:
        art = artifacts.load("FlowToken")
        token = Sender(chain.w3, chain.signer).deploy(art.abi, art.bytecode, 0)["contractAddress"]
    result = runner.invoke(app, ["deploy", "--data-dir", str(tmp_path), "--token", token])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "deployment.json").read_text())
    assert manifest["addresses"]["FlowToken"] == token
    assert manifest["external_token"] is True
    # The token probe's transactions came before CGC: the minter was still predicted right.
    assert cgc_minter(tmp_path, manifest) == manifest["addresses"]["GiftEconomy"]
    with open_chain(Settings(data_dir=tmp_path)) as chain:
        router = chain.w3.eth.contract(
            address=manifest["addresses"]["EconomicStrategyRouter"],
            abi=artifacts.load("EconomicStrategyRouter").abi,
        )
        assert router.functions.token().call() == token


def deploy_fixture_token(data_dir: Path, name: str, *args: object) -> str:
    """Compile a tests-only token and deploy it as the deployer (who holds its initial supply)."""
    import vyper

    from mycelix.chain.tx import Sender

    source = Path(__file__).parents[1] / "contracts" / "fixtures" / f"{name}.vy"
    out = vyper.compile_code(source.read_text(), output_formats=["abi", "bytecode"])
    with open_chain(Settings(data_dir=data_dir)) as chain:
        sender = Sender(chain.w3, chain.signer)
        receipt = sender.deploy(out["abi"], bytes.fromhex(out["bytecode"][2:]), *args)
        return str(receipt["contractAddress"])


def test_a_fee_on_transfer_token_is_refused_before_anything_is_deployed(tmp_path: Path) -> None:
    token = deploy_fixture_token(tmp_path, "FeeOnTransferToken", 10**24)
    block = head(tmp_path)
    result = runner.invoke(app, ["deploy", "--data-dir", str(tmp_path), "--token", token])
    assert result.exit_code == 1
    line = " ".join(result.output.split())
    assert (
        f"--token {token}: a probe transfer of {10**18} units changed the sender's balance by "
        f"-{10**16} (fee-on-transfer tokens are not supported" in line
    )
    assert not (tmp_path / "deployment.json").exists()
    assert head(tmp_path) == block + 2  # the probe's approve and transferFrom, no deployment


def test_a_sound_token_held_by_the_deployer_passes_the_probe(tmp_path: Path) -> None:
    from mycelix.chain import artifacts
    from mycelix.chain.tx import Sender

    art = artifacts.load("FlowToken")
    with open_chain(Settings(data_dir=tmp_path)) as chain:
        sender = Sender(chain.w3, chain.signer)
        token = sender.deploy(art.abi, art.bytecode, 10**18)["contractAddress"]
        sender.transact(chain.w3.eth.contract(address=token, abi=art.abi).functions.faucet(10**18))
        deployer = chain.signer.address
    result = runner.invoke(app, ["deploy", "--data-dir", str(tmp_path), "--token", token])
    assert result.exit_code == 0, result.output
    with open_chain(Settings(data_dir=tmp_path)) as chain:
        flow = chain.w3.eth.contract(address=token, abi=art.abi)
        assert flow.functions.balanceOf(deployer).call() == 10**18
