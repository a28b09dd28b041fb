"""The value types every money endpoint shares: amounts, addresses, song ids, role and
strategy names.

Amounts are decimal strings of integer token units (wei, 18 decimals): JavaScript numbers
lose precision above 2**53 (≈ 0.009 FLOW), so the API never takes or returns an amount as a
JSON number. "1.5 FLOW" spellings are refused too: one exact unit, one spelling.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from web3 import Web3

from mycelix.chain.units import ONE, PaymentType
from mycelix.strategies import registry

MAX_UINT256 = 2**256 - 1
ZERO_ADDRESS = "0x" + "00" * 20

WEI_DOC = (
    "Token units (wei; 1 FLOW = 10**18) as a decimal string of an integer, e.g. "
    '"10000000000000000" for 0.01 FLOW. Never a JSON number (JavaScript would round it).'
)


def _parse_wei(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('amounts are decimal strings of wei, e.g. "10000000000000000"')
    text = value
    if not text.isdigit() or not text.isascii():
        raise ValueError(f"{value!r} is not a whole number of wei (digits only, no decimals)")
    if len(text) > 1 and text[0] == "0":
        raise ValueError(f"{value!r}: no leading zeros")
    amount = int(text)
    if amount > MAX_UINT256:
        raise ValueError("amount does not fit in 256 bits")
    return amount


Wei = Annotated[
    int,
    BeforeValidator(_parse_wei),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": "^(0|[1-9][0-9]{0,77})$", "description": WEI_DOC}),
]
"""An amount in wei: a decimal string on the wire, an exact `int` in Python."""


def _positive(value: int) -> int:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


PositiveWei = Annotated[Wei, AfterValidator(_positive)]


def _address(value: str) -> str:
    if not isinstance(value, str) or not Web3.is_address(value):
        raise ValueError(f"not an Ethereum address: {value!r}")
    body = value[2:]
    if body != body.lower() and body != body.upper() and not Web3.is_checksum_address(value):
        raise ValueError(f"bad EIP-55 checksum in {value!r}")
    return str(Web3.to_checksum_address(value))


Address = Annotated[
    str,
    Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="An EVM address (0x + 40 hex digits)."),
    AfterValidator(_address),
]


def _nonzero(value: str) -> str:
    if int(value, 16) == 0:
        raise ValueError("the zero address cannot receive anything")
    return value


NonZeroAddress = Annotated[Address, AfterValidator(_nonzero)]

SongId = Annotated[
    str,
    Field(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="A song's bytes32 router id (0x + 64 hex digits).",
    ),
    AfterValidator(str.lower),
]


def _nonzero_salt(value: str) -> str:
    if int(value, 16) == 0:
        raise ValueError("the salt must not be zero")
    return value


Salt = Annotated[
    str,
    Field(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="A registration salt: 32 bytes (0x + 64 hex digits), not all zero.",
    ),
    AfterValidator(str.lower),
    AfterValidator(_nonzero_salt),
]


def flow_text(wei: int) -> str:
    """Exact decimal FLOW for `wei` ("0.01", "1", "1.5"), no float, no exponent."""
    sign = "-" if wei < 0 else ""
    whole, frac = divmod(abs(wei), ONE)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:018d}".rstrip("0")


class Amount(BaseModel):
    """An amount in both spellings: exact wei and a decimal FLOW string for display."""

    wei: str = Field(description=WEI_DOC)
    flow: str = Field(description="The same amount in FLOW, exact decimal string.")

    @classmethod
    def of(cls, wei: int) -> Amount:
        return cls(wei=str(wei), flow=flow_text(wei))


def _known_strategy(name: str) -> str:
    if registry.find(name) is None:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(registry.names())}")
    return name


def _strategy_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = registry.names()


# A strategy registry name: one of the strategy folders' (`mycelix.strategies.registry`).
StrategyName = Annotated[
    str, AfterValidator(_known_strategy), Field(json_schema_extra=_strategy_enum)
]


class PaymentKind(StrEnum):
    """Router payment types by name (the router's ordinals: stream 0 ... access 4)."""

    STREAM = "stream"
    DOWNLOAD = "download"
    TIP = "tip"
    PATRONAGE = "patronage"
    ACCESS = "access"

    @property
    def ordinal(self) -> PaymentType:
        return PaymentType[self.name]


class Role(StrEnum):
    """Role names of split recipients; the router stores their codes."""

    ARTIST = "artist"
    FEATURED = "featured"
    PRODUCER = "producer"
    SONGWRITER = "songwriter"
    ENGINEER = "engineer"
    LABEL = "label"
    MANAGER = "manager"
    COLLECTIVE = "collective"
    OTHER = "other"

    @property
    def code(self) -> int:
        return ROLE_CODES[self]


ROLE_CODES: dict[Role, int] = {
    Role.ARTIST: 0,
    Role.FEATURED: 1,
    Role.PRODUCER: 2,
    Role.SONGWRITER: 3,
    Role.ENGINEER: 4,
    Role.LABEL: 5,
    Role.MANAGER: 6,
    Role.COLLECTIVE: 7,
    Role.OTHER: 9,
}
ROLE_NAMES: dict[int, Role] = {code: role for role, code in ROLE_CODES.items()}


def role_name(code: int) -> str:
    role = ROLE_NAMES.get(code)
    return role.value if role else f"role-{code}"


class SplitOut(BaseModel):
    """One recipient of a song's split, as the router stores it."""

    recipient: str
    bps: int
    role: str = Field(description="The role's name, as `POST /api/tx/configure_splits` takes it.")
    role_code: int = Field(description="The router's code for the role.")
