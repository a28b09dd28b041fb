# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Freemium strategy
@custom:contract-name Freemium
@license GNU Affero General Public License v3.0 only
@notice The first plays of a song by each listener are free, counted
        here per listener; every later play is paid at the song's price.
        The artist sets how many plays are free (3 until they do, at most
        1,000) and the price (0.01 FLOW until they do). A STREAM must
        offer at least what it costs and is charged exactly that, 0 for a
        free play; a TIP is charged in full. The router takes the fee and
        splits the rest; this contract only prices and counts.
"""


from ...contracts.interfaces import IRouter
from ...contracts.interfaces import IStrategy

implements: IStrategy


# @dev Free plays per listener until the artist sets a number.
DEFAULT_FREE_PLAYS: public(constant(uint256)) = 3
# @dev The most free plays an artist may give each listener.
MAX_FREE_PLAYS: public(constant(uint256)) = 1_000
# @dev Price of a paid play until the artist sets one: 0.01 FLOW.
DEFAULT_PRICE: public(constant(uint256)) = 10**16
# @dev The highest price an artist may set (2**128 - 1 token units).
MAX_PRICE: public(constant(uint256)) = 2**128 - 1

_STREAM: constant(uint8) = 0
_TIP: constant(uint8) = 2
# Terms are one word: price << 32 | free plays, plus this bit once the
# artist set them (so "0 free plays" differs from "not configured").
_SET: constant(uint256) = 1 << 31
_COUNT_MASK: constant(uint256) = (1 << 31) - 1

# @dev The router, the only caller of `charge`.
router: public(immutable(IRouter))

# @dev Each song's terms, packed (see `_SET`); zero means the defaults.
_terms: HashMap[bytes32, uint256]

# @dev Free plays taken per song and listener; stops counting at the
#      song's number of free plays, since later plays are all paid.
_taken: HashMap[bytes32, HashMap[address, uint256]]


event FreemiumConfigured:
    song_id: indexed(bytes32)
    free_plays: uint256
    price: uint256


@deploy
def __init__(router_: IRouter):
    """
    @param router_ The 20-byte router address.
    """
    assert router_.address.is_contract, "freemium: router is not a contract"
    router = router_


@external
def configure(song_id: bytes32, free_plays_: uint256, price_: uint256):
    """
    @dev Sets how many plays each listener gets free and the price of
         every later play. Artist of record only. Plays a listener took
         free before stay counted: lowering the number ends their free
         plays sooner, raising it gives them the difference.
    @param song_id The 32-byte song id.
    @param free_plays_ Free plays per listener, 0 to `MAX_FREE_PLAYS`.
    @param price_ Price of a paid play in token units, 1 to `MAX_PRICE`.
    """
    assert staticcall router.song_artist(song_id) == msg.sender, "freemium: caller is not the artist"
    assert free_plays_ <= MAX_FREE_PLAYS, "freemium: too many free plays"
    assert price_ != 0, "freemium: zero price"
    assert price_ <= MAX_PRICE, "freemium: price above maximum"
    self._terms[song_id] = (price_ << 32) | _SET | free_plays_
    log FreemiumConfigured(song_id=song_id, free_plays=free_plays_, price=price_)


@view
@external
def free_plays(song_id: bytes32) -> uint256:
    """
    @dev How many plays of a song each listener gets free.
    @param song_id The 32-byte song id.
    @return uint256 The number of free plays per listener.
    """
    return self._free_plays(self._terms[song_id])


@view
@external
def price(song_id: bytes32) -> uint256:
    """
    @dev The price of a paid play of a song.
    @param song_id The 32-byte song id.
    @return uint256 The price in token units.
    """
    return self._price(self._terms[song_id])


@view
@external
def free_plays_taken(song_id: bytes32, listener: address) -> uint256:
    """
    @dev How many free plays of a song a listener has taken.
    @param song_id The 32-byte song id.
    @param listener The 20-byte listener address.
    @return uint256 Free plays taken, at most the song's free plays.
    """
    return self._taken[song_id][listener]


@view
@external
def free_plays_left(song_id: bytes32, listener: address) -> uint256:
    """
    @dev How many more plays of a song are free to a listener.
    @param song_id The 32-byte song id.
    @param listener The 20-byte listener address.
    @return uint256 Free plays left.
    """
    free: uint256 = self._free_plays(self._terms[song_id])
    taken: uint256 = self._taken[song_id][listener]
    if taken >= free:
        return 0
    return free - taken


@external
def charge(song_id: bytes32, payer: address, amount: uint256, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.charge`. STREAM: free, and counted, while the
         payer has free plays left; otherwise at least the price is
         offered and the price is charged. TIP: any non-zero amount,
         charged whole.
    """
    assert msg.sender == router.address, "freemium: caller is not the router"
    if payment_type == _STREAM:
        terms: uint256 = self._terms[song_id]
        taken: uint256 = self._taken[song_id][payer]
        if taken < self._free_plays(terms):
            self._taken[song_id][payer] = taken + 1
            return 0
        price_: uint256 = self._price(terms)
        assert amount >= price_, "freemium: payment below price"
        return price_
    assert payment_type == _TIP, "freemium: unsupported payment type"
    assert amount != 0, "freemium: zero tip"
    return amount


@view
@external
def quote(song_id: bytes32, payer: address, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.quote`: 0 for a STREAM while the payer has free
         plays left, the price after; 1 unit (the smallest tip) for a TIP.
    """
    if payment_type == _STREAM:
        terms: uint256 = self._terms[song_id]
        if self._taken[song_id][payer] < self._free_plays(terms):
            return 0
        return self._price(terms)
    assert payment_type == _TIP, "freemium: unsupported payment type"
    return 1


@view
@external
def is_authorized(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.is_authorized`: never, so every play, free ones
         too, goes through the router and is counted.
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


@pure
@internal
def _free_plays(terms: uint256) -> uint256:
    if terms == 0:
        return DEFAULT_FREE_PLAYS
    return terms & _COUNT_MASK


@pure
@internal
def _price(terms: uint256) -> uint256:
    if terms == 0:
        return DEFAULT_PRICE
    return terms >> 32
