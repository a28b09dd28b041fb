"""Signing keys come from the environment or a keystore file, never from a flag; bad ones are
clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from mycelix.chain.connect import _signer_from_settings, dev_signers, open_chain
from mycelix.chain.errors import InvalidInput
from mycelix.config import Settings
from tests.require import require_anvil
from tests.support.anvil import run_anvil


def test_private_key_from_the_environment(tmp_path: Path) -> None:
    account = Account.create()
    settings = Settings.from_env(
        {"MYCELIX_PRIVATE_KEY": account.key.hex(), "MYCELIX_DATA_DIR": str(tmp_path)}
    )
    signer = _signer_from_settings(settings)
    assert signer is not None and signer.address == account.address
    with pytest.raises(InvalidInput, match="not a valid private key"):
        _signer_from_settings(Settings(data_dir=tmp_path, private_key="0x1234"))


def test_keystore_file(tmp_path: Path) -> None:
    account = Account.create()
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, "correct horse")))
    good = Settings(data_dir=tmp_path, keystore=keystore, keystore_password="correct horse")
    signer = _signer_from_settings(good)
    assert signer is not None and signer.address == account.address
    with pytest.raises(InvalidInput, match="cannot decrypt keystore"):
        _signer_from_settings(
            Settings(data_dir=tmp_path, keystore=keystore, keystore_password="wrong")
        )
    with pytest.raises(InvalidInput, match="MYCELIX_KEYSTORE_PASSWORD is not"):
        _signer_from_settings(Settings(data_dir=tmp_path, keystore=keystore))
    with pytest.raises(InvalidInput, match="cannot read keystore"):
        _signer_from_settings(
            Settings(data_dir=tmp_path, keystore=tmp_path / "missing.json", keystore_password="x")
        )


def test_a_node_signer_comes_from_the_settings(tmp_path: Path) -> None:
    require_anvil()
    chosen = dev_signers()[4]
    with run_anvil() as url:
        with open_chain(
            Settings(data_dir=tmp_path, rpc_url=url, private_key=chosen.key.hex())
        ) as chain:
            assert chain.signer.address == chosen.address
            assert chain.is_dev
        with open_chain(Settings(data_dir=tmp_path, rpc_url=url)) as chain:
            assert chain.signer.address == dev_signers()[0].address
