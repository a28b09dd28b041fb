# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Pay-what-you-want strategy
@custom:contract-name PayWhatYouWant
@license GNU Affero General Public License v3.0 only
@notice The listener chooses what a play is worth. A STREAM is charged
        exactly the amount offered, which must be at least the artist's
        minimum; the minimum may be zero (the default), and a play offered
        at zero is then a free play the router records as a payment of 0.
        The artist also sets a suggested amount for clients to show (0.01
        FLOW until they do). A TIP is charged in full. The router takes the
        fee and splits the rest; this contract only checks the minimum.
"""


from ...contracts.interfaces import IRouter
from ...contracts.interfaces import IStrategy

implements: IStrategy


# @dev The suggested amount until the artist sets one: 0.01 FLOW.
DEFAULT_SUGGESTED: public(constant(uint256)) = 10**16
# @dev The highest minimum or suggested amount (2**128 - 1 token units).
MAX_AMOUNT: public(constant(uint256)) = 2**128 - 1

_STREAM: constant(uint8) = 0
_TIP: constant(uint8) = 2

# @dev The router, the only caller of `charge`.
router: public(immutable(IRouter))

# @dev Each song's terms in one word: suggested << 128 | minimum; zero
#      means the defaults (minimum 0, `DEFAULT_SUGGESTED`). A configured
#      song always has a non-zero suggested amount, so it never reads as
#      unconfigured.
_terms: HashMap[bytes32, uint256]


event PayWhatYouWantConfigured:
    song_id: indexed(bytes32)
    minimum: uint256
    suggested: uint256


@deploy
def __init__(router_: IRouter):
    """
    @param router_ The 20-byte router address.
    """
    assert router_.address.is_contract, "pwyw: router is not a contract"
    router = router_


@external
def configure(song_id: bytes32, minimum_: uint256, suggested_: uint256):
    """
    @dev Sets the least a play may be paid and the amount clients
         suggest. Artist of record only.
    @param song_id The 32-byte song id.
    @param minimum_ The minimum per play in token units; may be 0.
    @param suggested_ The suggested amount, at least the minimum and
           non-zero, at most `MAX_AMOUNT`.
    """
    assert staticcall router.song_artist(song_id) == msg.sender, "pwyw: caller is not the artist"
    assert suggested_ != 0, "pwyw: zero suggested amount"
    assert suggested_ <= MAX_AMOUNT, "pwyw: amount above maximum"
    assert minimum_ <= suggested_, "pwyw: minimum above suggested"
    self._terms[song_id] = (suggested_ << 128) | minimum_
    log PayWhatYouWantConfigured(song_id=song_id, minimum=minimum_, suggested=suggested_)


@view
@external
def minimum(song_id: bytes32) -> uint256:
    """
    @dev The least a play of a song may be paid.
    @param song_id The 32-byte song id.
    @return uint256 The minimum in token units (0: plays may be free).
    """
    return self._terms[song_id] & MAX_AMOUNT


@view
@external
def suggested(song_id: bytes32) -> uint256:
    """
    @dev The amount clients suggest for a play of a song.
    @param song_id The 32-byte song id.
    @return uint256 The suggested amount in token units.
    """
    terms: uint256 = self._terms[song_id]
    if terms == 0:
        return DEFAULT_SUGGESTED
    return terms >> 128


@external
def charge(song_id: bytes32, payer: address, amount: uint256, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.charge`. STREAM: the whole offer, if at least
         the minimum (0 is a free play where the minimum is 0). TIP: any
         non-zero amount, charged whole.
    """
    assert msg.sender == router.address, "pwyw: caller is not the router"
    if payment_type == _STREAM:
        assert amount >= self._terms[song_id] & MAX_AMOUNT, "pwyw: payment below minimum"
        return amount
    assert payment_type == _TIP, "pwyw: unsupported payment type"
    assert amount != 0, "pwyw: zero tip"
    return amount


@view
@external
def quote(song_id: bytes32, payer: address, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.quote`: the minimum for a STREAM (the smallest
         acceptable offer), 1 unit (the smallest tip) for a TIP.
    """
    if payment_type == _STREAM:
        return self._terms[song_id] & MAX_AMOUNT
    assert payment_type == _TIP, "pwyw: unsupported payment type"
    return 1


@view
@external
def is_authorized(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.is_authorized`: never, so every play goes
         through the router and is recorded, free ones as payments of 0.
    """
    return False


@view
@external
def holds_access(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.holds_access`: never, a play buys nothing that
         lasts.
    """
    return False
