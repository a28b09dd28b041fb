# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Dutch-auction strategy (limited releases)
@custom:contract-name DutchAuction
@license GNU Affero General Public License v3.0 only
@notice A song's artist sells a limited number of access slots at a
        price that falls linearly from a start price to a floor price
        over a fixed duration. A buyer pays through the router with
        payment type ACCESS, offering the most they accept
        (slippage guard) and naming, as the payment's `option`, the
        number of the auction they are buying from (a song's auctions
        are numbered from 1, see `auction_number`); the router charges
        the current price, takes the protocol fee and credits the rest
        to the song's splits. A purchase naming an auction that has
        since been replaced reverts ("auction: auction changed"), so an
        artist cannot end and re-create an auction under a waiting
        buyer to reprice it; one naming an auction that has ended
        reverts too ("auction: ended" or "auction: sold out").
        Each address holds at most one slot of a song, and a slot is
        permanent access: its holder streams the song for free forever,
        through every later auction of the song. An auction ends when it
        sells out, when its artist ends it, or when its duration is
        over; then the artist may start a new one. Each auction's sold
        count, gross revenue and clearing (last) price are kept in
        storage until the next auction of the song replaces them, and
        every auction is fully described by its events.

        Price at time `t`, for `start_time <= t < start_time + duration`:
        `start - (start - floor) * (t - start_time) // duration`
        (never below the floor; rounded up, in the artist's favour, by
        less than one unit). Before the start the price is
        the start price (no sales); from the end on it is the floor
        (no sales).

        Storage is packed by hand, three slots per song on the purchase
        path (plus the buyer's holder slot):
        - `_params`: start price (bits 0-95) | floor price (96-191) |
          start time (192-255)
        - `_schedule`: duration (0-63) | slots (64-87) |
          auction number (88-151); zero means no auction ever
        - `_state`: sold (0-23) | clearing price (24-119) |
          gross revenue (120-239) | open flag (240); the open flag is
          set at creation and cleared by a sell-out or the artist
        - `_holder`: auction number (64-127) | slot number (0-63) of the
          slot an address bought; zero means no slot
        The field widths bound the inputs: prices below 2**96, at most
        2**24 - 1 slots, times and durations below 2**64. Revenue then
        fits its 120 bits.
"""


from ...contracts.interfaces import IRouter
from ...contracts.interfaces import IStrategy

implements: IStrategy


# @dev Input bounds, the widths of the packed storage fields.
MAX_PRICE: public(constant(uint256)) = (1 << 96) - 1
MAX_SLOTS: public(constant(uint256)) = (1 << 24) - 1
MAX_TIME: public(constant(uint256)) = (1 << 64) - 1

# @dev `AuctionEnded.reason` codes.
END_SOLD_OUT: public(constant(uint8)) = 1
END_BY_ARTIST: public(constant(uint8)) = 2
END_EXPIRED: public(constant(uint8)) = 3

_STREAM: constant(uint8) = 0
_TIP: constant(uint8) = 2
_ACCESS: constant(uint8) = 4

_MASK24: constant(uint256) = (1 << 24) - 1
_MASK64: constant(uint256) = (1 << 64) - 1
_MASK96: constant(uint256) = (1 << 96) - 1
_MASK120: constant(uint256) = (1 << 120) - 1

_FLOOR_SHIFT: constant(uint256) = 96
_START_TIME_SHIFT: constant(uint256) = 192
_SLOTS_SHIFT: constant(uint256) = 64
_NUMBER_SHIFT: constant(uint256) = 88
_CLEARING_SHIFT: constant(uint256) = 24
_REVENUE_SHIFT: constant(uint256) = 120
_OPEN_BIT: constant(uint256) = 1 << 240
_HOLDER_NUMBER_SHIFT: constant(uint256) = 64


# @dev Everything known about a song's latest auction. All zero (and
# `number` 0) if the song never had one. `live` is true from creation
# (even before `start_time`) until it sells out, its artist ends it or
# `end_time` is reached. `revenue` is gross: what buyers paid, before
# the router's fee.
struct Auction:
    number: uint256
    start_price: uint256
    floor_price: uint256
    start_time: uint256
    end_time: uint256
    duration: uint256
    slots: uint256
    sold: uint256
    revenue: uint256
    clearing_price: uint256
    average_price: uint256
    live: bool


# @dev The router, the only caller of `charge`.
router: public(immutable(IRouter))

_params: HashMap[bytes32, uint256]
_schedule: HashMap[bytes32, uint256]
_state: HashMap[bytes32, uint256]
_holder: HashMap[bytes32, HashMap[address, uint256]]


# @dev `number` counts the song's auctions from 1.
event AuctionCreated:
    song_id: indexed(bytes32)
    artist: indexed(address)
    number: uint256
    start_price: uint256
    floor_price: uint256
    start_time: uint256
    end_time: uint256
    slots: uint256


# @dev One per sold slot; `slot` counts from 1 within the auction and
# `price` is the gross amount the router charged.
event SlotPurchased:
    song_id: indexed(bytes32)
    buyer: indexed(address)
    number: uint256
    price: uint256
    slot: uint256


# @dev Once per auction. Sell-outs and ends by the artist are logged in
# the same transaction (`ended_at` = its time); an auction whose time
# ran out is logged when the song's next auction is created, with
# `ended_at` = its end time.
event AuctionEnded:
    song_id: indexed(bytes32)
    number: uint256
    reason: uint8
    sold: uint256
    revenue: uint256
    clearing_price: uint256
    ended_at: uint256


@deploy
def __init__(router_: IRouter):
    """
    @param router_ The 20-byte router address.
    """
    assert router_.address.is_contract, "auction: router is not a contract"
    router = router_


@external
def create_auction(
    song_id: bytes32, start_price: uint256, floor_price: uint256, start_time: uint256, duration: uint256, slots: uint256
):
    """
    @dev Starts a song's next auction. Artist of record only, and only
         while the song is priced by this contract. Not while the
         song's previous auction is live (end it first); earlier slot
         holders keep their access and cannot buy another slot.
    @param song_id The 32-byte song id.
    @param start_price The price at `start_time`, in token units;
           above `floor_price` and below 2**96.
    @param floor_price The price reached at the end; may be zero.
    @param start_time When sales open (Unix seconds); zero means now,
           otherwise not in the past and below 2**64.
    @param duration Seconds from the start to the end, 1 to 2**64 - 1.
    @param slots How many slots are for sale, 1 to 2**24 - 1.
    """
    assert staticcall router.song_artist(song_id) == msg.sender, "auction: caller is not the artist"
    assert staticcall router.song_strategy(song_id) == self, "auction: song not on this strategy"
    schedule: uint256 = self._schedule[song_id]
    number: uint256 = 0
    if schedule != 0:
        state: uint256 = self._state[song_id]
        params: uint256 = self._params[song_id]
        end_time: uint256 = (params >> _START_TIME_SHIFT) + (schedule & _MASK64)
        open_: bool = state & _OPEN_BIT != 0
        assert not (open_ and block.timestamp < end_time), "auction: auction live"
        number = schedule >> _NUMBER_SHIFT
        if open_:
            self._log_ended(song_id, number, END_EXPIRED, state, end_time)
    assert start_price > floor_price, "auction: start price not above floor"
    assert start_price <= MAX_PRICE, "auction: start price too large"
    assert duration != 0, "auction: zero duration"
    assert duration <= MAX_TIME, "auction: duration too long"
    assert slots != 0, "auction: zero slots"
    assert slots <= MAX_SLOTS, "auction: too many slots"
    start: uint256 = start_time
    if start == 0:
        start = block.timestamp
    assert start >= block.timestamp, "auction: start in the past"
    assert start <= MAX_TIME, "auction: start too late"
    number += 1
    self._params[song_id] = start_price | (floor_price << _FLOOR_SHIFT) | (start << _START_TIME_SHIFT)
    self._schedule[song_id] = duration | (slots << _SLOTS_SHIFT) | (number << _NUMBER_SHIFT)
    self._state[song_id] = _OPEN_BIT
    log AuctionCreated(
        song_id=song_id,
        artist=msg.sender,
        number=number,
        start_price=start_price,
        floor_price=floor_price,
        start_time=start,
        end_time=start + duration,
        slots=slots,
    )


@external
def end_auction(song_id: bytes32):
    """
    @dev Ends a song's live auction now (also one that has not started
         yet). Artist of record only. Buyers keep their slots.
    @param song_id The 32-byte song id.
    """
    assert staticcall router.song_artist(song_id) == msg.sender, "auction: caller is not the artist"
    schedule: uint256 = self._schedule[song_id]
    assert schedule != 0, "auction: no auction"
    state: uint256 = self._state[song_id]
    end_time: uint256 = (self._params[song_id] >> _START_TIME_SHIFT) + (schedule & _MASK64)
    assert state & _OPEN_BIT != 0 and block.timestamp < end_time, "auction: not live"
    self._state[song_id] = state & ~_OPEN_BIT
    self._log_ended(song_id, schedule >> _NUMBER_SHIFT, END_BY_ARTIST, state, block.timestamp)


@external
def charge(song_id: bytes32, payer: address, amount: uint256, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.charge`. ACCESS buys a slot of the song's live
         auction at the current price, which must not exceed `amount`;
         `option` must be that auction's number. STREAM is free for slot
         holders and refused to everyone else.
         TIP: any non-zero amount, charged whole.
    """
    assert msg.sender == router.address, "auction: caller is not the router"
    if payment_type == _ACCESS:
        return self._buy(song_id, payer, amount, option)
    if payment_type == _STREAM:
        assert self._holder[song_id][payer] != 0, "auction: no access"
        return 0
    assert payment_type == _TIP, "auction: unsupported payment type"
    assert amount != 0, "auction: zero tip"
    return amount


@view
@external
def quote(song_id: bytes32, payer: address, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.quote`: the current price for ACCESS (reverting
         where a purchase by `payer` naming auction `option` would; an
         `option` of 0 quotes the latest auction whatever its number),
         0 for a slot holder's STREAM, 1 unit (the smallest tip) for a
         TIP.
    """
    if payment_type == _ACCESS:
        number: uint256 = option
        if number == 0:
            number = self._schedule[song_id] >> _NUMBER_SHIFT
        price: uint256 = 0
        state: uint256 = 0
        schedule: uint256 = 0
        price, state, schedule = self._purchase(song_id, payer, number)
        return price
    if payment_type == _STREAM:
        assert self._holder[song_id][payer] != 0, "auction: no access"
        return 0
    assert payment_type == _TIP, "auction: unsupported payment type"
    return 1


@view
@external
def is_authorized(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.is_authorized`: whether `listener` holds a slot
         of any of the song's auctions.
    """
    return self._holder[song_id][listener] != 0


# ---------------------------------------------------------------- views


@view
@external
def auction(song_id: bytes32) -> Auction:
    """
    @dev The song's latest auction; all zero if it never had one.
    @param song_id The 32-byte song id.
    @return Auction Its parameters, running totals and live flag.
    """
    schedule: uint256 = self._schedule[song_id]
    if schedule == 0:
        return empty(Auction)
    params: uint256 = self._params[song_id]
    state: uint256 = self._state[song_id]
    start_time: uint256 = params >> _START_TIME_SHIFT
    duration: uint256 = schedule & _MASK64
    sold: uint256 = state & _MASK24
    revenue: uint256 = (state >> _REVENUE_SHIFT) & _MASK120
    average: uint256 = 0
    if sold != 0:
        average = revenue // sold
    return Auction(
        number=schedule >> _NUMBER_SHIFT,
        start_price=params & _MASK96,
        floor_price=(params >> _FLOOR_SHIFT) & _MASK96,
        start_time=start_time,
        end_time=start_time + duration,
        duration=duration,
        slots=(schedule >> _SLOTS_SHIFT) & _MASK24,
        sold=sold,
        revenue=revenue,
        clearing_price=(state >> _CLEARING_SHIFT) & _MASK96,
        average_price=average,
        live=state & _OPEN_BIT != 0 and block.timestamp < start_time + duration,
    )


@view
@external
def auction_number(song_id: bytes32) -> uint256:
    """
    @dev The number of the song's latest auction (auctions are
         numbered per song from 1), which an ACCESS payment names as its
         `option`.
    @param song_id The 32-byte song id.
    @return uint256 The number, 0 if the song never had an auction.
    """
    return self._schedule[song_id] >> _NUMBER_SHIFT


@view
@external
def current_price(song_id: bytes32) -> uint256:
    """
    @dev The price of the song's latest auction now by the linear
         formula: the start price before the start, the floor from the
         end on. It says nothing about whether a slot can be bought.
    @param song_id The 32-byte song id.
    @return uint256 The price in token units.
    """
    return self._price_at(song_id, block.timestamp)


@view
@external
def price_at(song_id: bytes32, timestamp: uint256) -> uint256:
    """
    @dev The price of the song's latest auction at any time (for
         drawing its price curve), as in `current_price`.
    @param song_id The 32-byte song id.
    @param timestamp The time, in Unix seconds.
    @return uint256 The price in token units.
    """
    return self._price_at(song_id, timestamp)


@view
@external
def holds_slot(song_id: bytes32, listener: address) -> bool:
    """
    @dev Whether `listener` bought a slot of any of the song's auctions.
    @param song_id The 32-byte song id.
    @param listener The 20-byte address.
    @return bool True for a slot holder.
    """
    return self._holder[song_id][listener] != 0


@view
@external
def slot_of(song_id: bytes32, listener: address) -> (uint256, uint256):
    """
    @dev Which slot `listener` holds of the song; (0, 0) for none.
    @param song_id The 32-byte song id.
    @param listener The 20-byte address.
    @return uint256 The number of the auction it was bought in.
    @return uint256 The slot number within that auction, from 1.
    """
    holder: uint256 = self._holder[song_id][listener]
    return holder >> _HOLDER_NUMBER_SHIFT, holder & _MASK64


@view
@external
def holds_access(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.holds_access`: whether `listener` bought a slot
         of any of the song's auctions (permanent access).
    """
    return self._holder[song_id][listener] != 0

# ------------------------------------------------------------ internals


@internal
def _buy(song_id: bytes32, buyer: address, max_price: uint256, number: uint256) -> uint256:
    price: uint256 = 0
    state: uint256 = 0
    schedule: uint256 = 0
    price, state, schedule = self._purchase(song_id, buyer, number)
    assert price <= max_price, "auction: price above maximum"
    sold: uint256 = (state & _MASK24) + 1
    revenue: uint256 = ((state >> _REVENUE_SHIFT) & _MASK120) + price
    new_state: uint256 = sold | (price << _CLEARING_SHIFT) | (revenue << _REVENUE_SHIFT)
    sold_out: bool = sold == (schedule >> _SLOTS_SHIFT) & _MASK24
    if not sold_out:
        new_state |= _OPEN_BIT
    self._state[song_id] = new_state
    self._holder[song_id][buyer] = (number << _HOLDER_NUMBER_SHIFT) | sold
    log SlotPurchased(song_id=song_id, buyer=buyer, number=number, price=price, slot=sold)
    if sold_out:
        self._log_ended(song_id, number, END_SOLD_OUT, new_state, block.timestamp)
    return price


@view
@internal
def _purchase(song_id: bytes32, buyer: address, number: uint256) -> (uint256, uint256, uint256):
    """
    @dev Checks that `buyer` may buy a slot of auction `number` now;
         returns the price and the packed state and schedule.
    """
    schedule: uint256 = self._schedule[song_id]
    assert schedule != 0, "auction: no auction"
    # A buyer's number that is not the latest means the auction they saw
    # was ended and replaced since, possibly at another price.
    assert number == schedule >> _NUMBER_SHIFT, "auction: auction changed"
    state: uint256 = self._state[song_id]
    if state & _OPEN_BIT == 0:
        assert state & _MASK24 != (schedule >> _SLOTS_SHIFT) & _MASK24, "auction: sold out"
        raise "auction: ended"
    params: uint256 = self._params[song_id]
    start_time: uint256 = params >> _START_TIME_SHIFT
    assert block.timestamp >= start_time, "auction: not started"
    elapsed: uint256 = block.timestamp - start_time
    duration: uint256 = schedule & _MASK64
    assert elapsed < duration, "auction: ended"
    assert self._holder[song_id][buyer] == 0, "auction: already holds a slot"
    return self._linear(params, elapsed, duration), state, schedule


@view
@internal
def _price_at(song_id: bytes32, timestamp: uint256) -> uint256:
    schedule: uint256 = self._schedule[song_id]
    assert schedule != 0, "auction: no auction"
    params: uint256 = self._params[song_id]
    start_time: uint256 = params >> _START_TIME_SHIFT
    if timestamp <= start_time:
        return params & _MASK96
    duration: uint256 = schedule & _MASK64
    elapsed: uint256 = timestamp - start_time
    if elapsed >= duration:
        return (params >> _FLOOR_SHIFT) & _MASK96
    return self._linear(params, elapsed, duration)


@pure
@internal
def _linear(params: uint256, elapsed: uint256, duration: uint256) -> uint256:
    """
    @dev `start - (start - floor) * elapsed // duration` for
         `elapsed < duration`; no overflow with 96-bit prices and 64-bit
         times.
    """
    start: uint256 = params & _MASK96
    floor_: uint256 = (params >> _FLOOR_SHIFT) & _MASK96
    return start - (start - floor_) * elapsed // duration


@internal
def _log_ended(song_id: bytes32, number: uint256, reason: uint8, state: uint256, ended_at: uint256):
    log AuctionEnded(
        song_id=song_id,
        number=number,
        reason=reason,
        sold=state & _MASK24,
        revenue=(state >> _REVENUE_SHIFT) & _MASK120,
        clearing_price=(state >> _CLEARING_SHIFT) & _MASK96,
        ended_at=ended_at,
    )
