# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Pay-per-stream strategy
@custom:contract-name PayPerStream
@license GNU Affero General Public License v3.0 only
@notice Every play is paid. The artist sets a per-song price (0.01 FLOW
        until they do); a STREAM must offer at least the price and is
        charged exactly the price, so anything meant above it is sent as
        a TIP, which is charged in full. The router takes the fee and
        splits the rest; this contract only prices.
"""


from ...contracts.interfaces import IRouter
from ...contracts.interfaces import IStrategy

implements: IStrategy


# @dev Price of a stream until the artist sets one: 0.01 FLOW.
DEFAULT_PRICE: public(constant(uint256)) = 10**16

_STREAM: constant(uint8) = 0
_TIP: constant(uint8) = 2

# @dev The router, the only caller of `charge`.
router: public(immutable(IRouter))

# @dev Prices set by artists; zero means `DEFAULT_PRICE`.
_price: HashMap[bytes32, uint256]


event PriceSet:
    song_id: indexed(bytes32)
    price: uint256


@deploy
def __init__(router_: IRouter):
    """
    @param router_ The 20-byte router address.
    """
    assert router_.address.is_contract, "pps: router is not a contract"
    router = router_


@external
def set_price(song_id: bytes32, price_: uint256):
    """
    @dev Sets the price of one stream of a song. Artist of record only.
    @param song_id The 32-byte song id.
    @param price_ The price in token units, non-zero.
    """
    assert staticcall router.song_artist(song_id) == msg.sender, "pps: caller is not the artist"
    assert price_ != 0, "pps: zero price"
    self._price[song_id] = price_
    log PriceSet(song_id=song_id, price=price_)


@view
@external
def price(song_id: bytes32) -> uint256:
    """
    @dev The price of one stream of a song.
    @param song_id The 32-byte song id.
    @return uint256 The price in token units.
    """
    return self._price_of(song_id)


@external
def charge(song_id: bytes32, payer: address, amount: uint256, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.charge`. STREAM: at least the price is offered,
         the price is charged. TIP: any non-zero amount, charged whole.
    """
    assert msg.sender == router.address, "pps: caller is not the router"
    if payment_type == _STREAM:
        price_: uint256 = self._price_of(song_id)
        assert amount >= price_, "pps: payment below price"
        return price_
    assert payment_type == _TIP, "pps: unsupported payment type"
    assert amount != 0, "pps: zero tip"
    return amount


@view
@external
def quote(song_id: bytes32, payer: address, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.quote`: the price for a STREAM, 1 unit (the
         smallest tip) for a TIP.
    """
    if payment_type == _STREAM:
        return self._price_of(song_id)
    assert payment_type == _TIP, "pps: unsupported payment type"
    return 1


@view
@external
def is_authorized(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.is_authorized`: never, every play is paid.
    """
    return False


@view
@external
def holds_access(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.holds_access`: never, a paid play buys nothing
         that lasts.
    """
    return False


@view
@internal
def _price_of(song_id: bytes32) -> uint256:
    price_: uint256 = self._price[song_id]
    if price_ == 0:
        return DEFAULT_PRICE
    return price_
