from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mycelix.storage.cid import CidHasher, cid_from_digest, cid_of, digest_of, is_cid, parse_cid
from mycelix.storage.errors import InvalidCid


def independent_cid(data: bytes) -> str:
    """CIDv1 by hand: <version 0x01><codec raw 0x55><multihash sha2-256 0x12, 32 bytes>,
    multibase 'b' = RFC 4648 base32, lower case, no padding."""
    binary = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(binary).decode().lower().rstrip("=")


def test_hello_known_answer() -> None:
    # What `ipfs add --cid-version 1 --raw-leaves` prints for a file holding "hello".
    expected = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
    assert cid_of(b"hello") == expected
    assert independent_cid(b"hello") == expected


def test_empty_known_answer() -> None:
    assert cid_of(b"") == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@given(st.binary(max_size=4096), st.integers(min_value=1, max_value=97))
def test_incremental_matches_one_shot_and_independent(data: bytes, step: int) -> None:
    hasher = CidHasher()
    for i in range(0, len(data), step):
        hasher.update(data[i : i + step])
    assert hasher.size == len(data)
    assert hasher.cid == cid_of(data) == independent_cid(data)
    assert digest_of(hasher.cid) == hashlib.sha256(data).digest()


def test_parse_canonicalises_case() -> None:
    cid = cid_of(b"hello")
    assert parse_cid(cid.upper()) == cid
    assert is_cid(cid)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "../../etc/passwd",
        "bafkrei",
        "QmWATWQ7fVPP2EFGu71UkfnqhYXDYH566qy47CnJDgvs8u",  # CIDv0 (dag-pb)
        # CIDv1 dag-pb, not raw
        "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4ye",  # cut short
        "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq/x",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(InvalidCid, match=r"^(not a CID|only CIDv1 with the raw codec)") as info:
        parse_cid(text)
    assert info.value.status == 400
    assert not is_cid(text)


def test_digest_length_checked() -> None:
    with pytest.raises(ValueError, match="a sha2-256 digest has 32 bytes, got 31"):
        cid_from_digest(b"\x00" * 31)
