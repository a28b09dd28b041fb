"""The Mycelix Python SDK: a typed client over a deployment (see `Mycelix`)."""

from mycelix.chain.errors import (
    ChainConnectionError,
    ContractRevert,
    DeploymentError,
    InvalidInput,
    MycelixError,
    TransactionFailed,
)
from mycelix.chain.units import PaymentType
from mycelix.sdk.client import Mycelix, flow
from mycelix.sdk.session import connect
from mycelix.sdk.types import (
    AuctionState,
    ChainEvent,
    GiftConfig,
    GiftProfile,
    PatronState,
    Role,
    Share,
    Split,
    Tier,
    content_salt,
    salt_for,
    song_id,
    song_id_for,
    splits_digest,
)

__all__ = [
    "AuctionState",
    "ChainConnectionError",
    "ChainEvent",
    "ContractRevert",
    "DeploymentError",
    "GiftConfig",
    "GiftProfile",
    "InvalidInput",
    "Mycelix",
    "MycelixError",
    "PatronState",
    "PaymentType",
    "Role",
    "Share",
    "Split",
    "Tier",
    "TransactionFailed",
    "connect",
    "content_salt",
    "flow",
    "salt_for",
    "song_id",
    "song_id_for",
    "splits_digest",
]
