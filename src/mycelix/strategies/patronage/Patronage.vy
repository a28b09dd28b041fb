# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Patronage strategy
@custom:contract-name Patronage
@license GNU Affero General Public License v3.0 only
@notice Monthly patronage of an ARTIST (the artist of record of the
        song paid through). The artist configures up to 8 named tiers,
        each with a monthly fee and an exclusive-content flag, loyalty
        discounts for levels 1-4 and an optional minimum commitment;
        `configure` always acts on the caller's own patronage, so nobody
        can configure another artist's. The artist marks songs
        patron-only with `set_patron_only`.

        Joining and renewing are router payments:
        `router.pay(song_id, max_amount, PATRONAGE, tier_index)` with any
        song of the artist that uses this strategy. The charge is the fee
        the artist set for that tier now (never the patron's choice),
        minus the loyalty discount on renewals:
        `fee - fee * discount[level] // 10000`.

        Periods are 30 days. A new patron (or one whose patronage lapsed
        or was cancelled) starts afresh: continuity start = now,
        paid-until = now + 30 d, level 1, full fee. A renewal is accepted
        from paid-until ("too early" before it) through paid-until + 7 d
        of grace; it adds 30 d to the previous paid-until (no drift) and
        keeps the continuity start, hence the loyalty level:
        elapsed < 90 d -> 1, < 180 d -> 2, < 365 d -> 3, else 4.
        A patron is active while now <= paid-until + 7 d.

        Decisions where the design is silent:
        - Tier names are `String[32]` (non-empty, UTF-8).
        - Discounts are given for levels 1-4 as 4 values or none (none =
          0/500/1000/2000), non-decreasing, each at most 5000 bps, so a
          patronage payment is never free. The level-1 discount applies
          to renewals in the first 90 days; a join always pays in full.
        - The minimum commitment is at most 365 days and counts from the
          continuity start; it is fixed when a patronage starts (later
          configuration changes do not bind existing patrons until they
          start afresh). It only restricts `cancel`: a patron may always
          simply stop paying and lapse, since nothing is ever owed.
        - Reconfiguring replaces the whole table. A payment (join or
          renewal) is priced by the tier's terms at that moment. What a
          patron paid for (tier, exclusive access, commitment) is
          recorded with their patronage and kept until it ends, even if
          the artist later changes or removes the tier.
        - Changing tier is allowed on renewal (pay with another
          `option`), within the same renewal window. Continuity, and
          so loyalty, is earned at a fee: the full fee of the tier of
          the patron's last payment (`continuity_fee`). It carries to
          the same tier (also if the artist has since raised its fee)
          and to any tier whose fee is at or below that fee; the
          continuity fee then becomes the new tier's fee. Moving to a
          dearer tier starts afresh (a join: level 1, full fee,
          continuity start = now, 30 days added to the later of now and
          paid-until, the later of the two commitment ends), so loyalty
          earned on a cheap tier never discounts a dear one.
        - `cancel` ends the grace period: access lasts until paid-until
          (already paid, no refunds), then ends. A cancelled patron may
          pay again at any time; that starts a new patronage (level 1,
          full fee) whose 30 days are added to whatever paid time is
          left, so no paid day is lost.
        - The artist of record may always stream their own patron-only
          songs.
        - Patron counts and revenue are not kept on chain (a lapse
          happens without a transaction, so no on-chain counter can be
          right); the events let an indexer rebuild them exactly.

        Storage is packed by hand so that a payment reads one cold slot
        of this contract besides the patron's record:
        - `_tier[artist][i]`: fee (bits 0-127) | minimum commitment in
          seconds (128-159) | discounts of levels 1-4 (160-175, 176-191,
          192-207, 208-223) | exclusive (224). Every tier of an artist
          carries the same artist-wide discounts and commitment; a slot
          is zero if and only if the tier does not exist (fee > 0), and
          tiers are contiguous from index 0.
        - `_patron[artist][patron]`: paid-until (bits 0-39) | continuity
          start (40-79) | commitment end (80-119) | tier (120-122) |
          exclusive (123) | cancelled (124) | continuity fee (128-255).
          Zero if never a patron. Times fit 40 bits until the year
          36812; paid-until is checked on every payment.
"""


from ...contracts.interfaces import IRouter
from ...contracts.interfaces import IStrategy

implements: IStrategy


# @dev Length of a paid period, grace after it, loyalty thresholds.
PERIOD: public(constant(uint256)) = 30 * 86_400
GRACE: public(constant(uint256)) = 7 * 86_400
LEVEL_2_AFTER: public(constant(uint256)) = 90 * 86_400
LEVEL_3_AFTER: public(constant(uint256)) = 180 * 86_400
LEVEL_4_AFTER: public(constant(uint256)) = 365 * 86_400

# @dev Configuration bounds.
MAX_TIERS: public(constant(uint256)) = 8
LEVELS: public(constant(uint256)) = 4
MAX_DISCOUNT_BPS: public(constant(uint16)) = 5_000
MAX_COMMITMENT: public(constant(uint256)) = 365 * 86_400
MAX_FEE: public(constant(uint256)) = (1 << 128) - 1
BPS: public(constant(uint256)) = 10_000

# @dev Discounts used when an artist configures none.
DEFAULT_DISCOUNTS: public(constant(uint16[4])) = [0, 500, 1_000, 2_000]

_STREAM: constant(uint8) = 0
_TIP: constant(uint8) = 2
_PATRONAGE: constant(uint8) = 3

_U40: constant(uint256) = (1 << 40) - 1
_U16: constant(uint256) = (1 << 16) - 1
_FEE_MASK: constant(uint256) = (1 << 128) - 1
_COMMIT_SHIFT: constant(uint256) = 128
_DISCOUNT_SHIFT: constant(uint256) = 160
_TIER_EXCLUSIVE: constant(uint256) = 1 << 224

_START_SHIFT: constant(uint256) = 40
_COMMIT_END_SHIFT: constant(uint256) = 80
_TIER_SHIFT: constant(uint256) = 120
_TIER_MASK: constant(uint256) = 7
_PATRON_EXCLUSIVE: constant(uint256) = 1 << 123
_CANCELLED: constant(uint256) = 1 << 124
_CONTINUITY_FEE_SHIFT: constant(uint256) = 128


struct Tier:
    name: String[32]
    fee: uint256
    exclusive: bool


struct PatronState:
    tier: uint8
    exclusive: bool
    start: uint256
    paid_until: uint256
    commitment_end: uint256
    cancelled: bool
    active: bool
    level: uint8


# @dev The router, the only caller of `charge`.
router: public(immutable(IRouter))

_tier: HashMap[address, HashMap[uint256, uint256]]
_tier_name: HashMap[address, HashMap[uint256, String[32]]]
_patron: HashMap[address, HashMap[address, uint256]]
_patron_only: HashMap[bytes32, bool]


# @dev The whole configuration of an artist's patronage (it replaces any
# previous one); `discounts` are the effective ones (defaults filled in).
event PatronageConfigured:
    artist: indexed(address)
    names: DynArray[String[32], MAX_TIERS]
    fees: DynArray[uint256, MAX_TIERS]
    exclusive: DynArray[bool, MAX_TIERS]
    discounts: uint16[4]
    min_commitment: uint256


# @dev A new patronage (first payment, after a lapse or after a cancel).
event PatronJoined:
    artist: indexed(address)
    patron: indexed(address)
    song_id: indexed(bytes32)
    tier: uint8
    amount: uint256
    start: uint256
    paid_until: uint256
    commitment_end: uint256


# @dev A renewal within the continuity window; `amount` is what was
# charged after the discount of loyalty `level`.
event PatronRenewed:
    artist: indexed(address)
    patron: indexed(address)
    song_id: indexed(bytes32)
    tier: uint8
    level: uint8
    amount: uint256
    start: uint256
    paid_until: uint256


# @dev Access ends at `access_until` (paid-until, no grace).
event PatronCancelled:
    artist: indexed(address)
    patron: indexed(address)
    access_until: uint256


event PatronOnlySet:
    song_id: indexed(bytes32)
    artist: indexed(address)
    patron_only: bool


@deploy
def __init__(router_: IRouter):
    """
    @param router_ The 20-byte router address.
    """
    assert router_.address.is_contract, "patronage: router is not a contract"
    router = router_


# -------------------------------------------------------------- artists


@external
def configure(
    names: DynArray[String[32], MAX_TIERS],
    fees: DynArray[uint256, MAX_TIERS],
    exclusive: DynArray[bool, MAX_TIERS],
    discounts: DynArray[uint16, LEVELS],
    min_commitment: uint256,
):
    """
    @dev Sets (or replaces) the caller's own patronage terms. Tier `i`
         is `(names[i], fees[i], exclusive[i])`. Existing patrons keep
         what they paid for until their patronage ends; their next
         payment is priced by these terms.
    @param names The tier names, 1 to 8, each non-empty.
    @param fees The monthly fee of each tier in token units, each > 0
           and below 2**128.
    @param exclusive Whether each tier opens patron-only songs.
    @param discounts Renewal discounts in bps for loyalty levels 1-4:
           none (the defaults 0/500/1000/2000) or 4 non-decreasing values
           each at most `MAX_DISCOUNT_BPS`.
    @param min_commitment Seconds from the start of a patronage before
           the patron may cancel, at most `MAX_COMMITMENT`.
    """
    n: uint256 = len(names)
    assert n != 0, "patronage: no tiers"
    assert len(fees) == n and len(exclusive) == n, "patronage: array lengths differ"
    assert min_commitment <= MAX_COMMITMENT, "patronage: commitment above maximum"
    levels: uint16[4] = DEFAULT_DISCOUNTS
    if len(discounts) != 0:
        assert len(discounts) == LEVELS, "patronage: need 4 discounts or none"
        for i: uint256 in range(LEVELS):
            levels[i] = discounts[i]
    terms: uint256 = min_commitment << _COMMIT_SHIFT
    previous: uint16 = 0
    for i: uint256 in range(LEVELS):
        assert levels[i] <= MAX_DISCOUNT_BPS, "patronage: discount above maximum"
        assert levels[i] >= previous, "patronage: discounts must not decrease"
        previous = levels[i]
        terms |= convert(levels[i], uint256) << (_DISCOUNT_SHIFT + 16 * i)
    for i: uint256 in range(MAX_TIERS):
        if i < n:
            assert len(names[i]) != 0, "patronage: empty tier name"
            assert fees[i] != 0, "patronage: zero fee"
            assert fees[i] <= MAX_FEE, "patronage: fee too large"
            packed: uint256 = terms | fees[i]
            if exclusive[i]:
                packed |= _TIER_EXCLUSIVE
            self._tier[msg.sender][i] = packed
            self._tier_name[msg.sender][i] = names[i]
        elif self._tier[msg.sender][i] != 0:
            self._tier[msg.sender][i] = 0
            self._tier_name[msg.sender][i] = ""
        else:
            break
    log PatronageConfigured(
        artist=msg.sender, names=names, fees=fees, exclusive=exclusive, discounts=levels, min_commitment=min_commitment
    )


@external
def set_patron_only(song_id: bytes32, patron_only: bool):
    """
    @dev Opens a song to active patrons of an exclusive tier only, or to
         everyone again. Artist of record only.
    @param song_id The 32-byte song id.
    @param patron_only True for patron-only.
    """
    assert staticcall router.song_artist(song_id) == msg.sender, "patronage: caller is not the artist"
    assert self._patron_only[song_id] != patron_only, "patronage: flag unchanged"
    self._patron_only[song_id] = patron_only
    log PatronOnlySet(song_id=song_id, artist=msg.sender, patron_only=patron_only)


# -------------------------------------------------------------- patrons


@external
def cancel(artist: address):
    """
    @dev Ends the caller's patronage of `artist`: no refund, access lasts
         until paid-until without grace, the next payment starts a new
         patronage. Allowed once the minimum commitment recorded at the
         start of the patronage has passed (inclusive).
    @param artist The 20-byte artist address.
    """
    record: uint256 = self._patron[artist][msg.sender]
    assert self._is_active(record), "patronage: not a patron"
    assert record & _CANCELLED == 0, "patronage: already cancelled"
    assert block.timestamp >= (record >> _COMMIT_END_SHIFT) & _U40, "patronage: minimum commitment not met"
    self._patron[artist][msg.sender] = record | _CANCELLED
    log PatronCancelled(artist=artist, patron=msg.sender, access_until=record & _U40)


# ------------------------------------------------------------- strategy


@external
def charge(song_id: bytes32, payer: address, amount: uint256, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.charge`. PATRONAGE: joins or renews the payer's
         patronage of the song's artist in tier `option`, charging the
         artist's fee (discounted on renewal). STREAM: free on a public
         song or for an authorised patron, else reverts. TIP: any
         non-zero amount, charged whole.
    """
    assert msg.sender == router.address, "patronage: caller is not the router"
    if payment_type == _PATRONAGE:
        return self._pay(song_id, payer, amount, option)
    if payment_type == _STREAM:
        assert self._authorized(song_id, payer), "patronage: patrons only"
        return 0
    assert payment_type == _TIP, "patronage: unsupported payment type"
    assert amount != 0, "patronage: zero tip"
    return amount


@view
@external
def quote(song_id: bytes32, payer: address, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.quote`. PATRONAGE: what the payer would be
         charged for tier `option` now (reverts where `charge` would,
         e.g. too early). STREAM: 0, or reverts for a non-patron on a
         patron-only song. TIP: 1 unit, the smallest tip.
    """
    if payment_type == _PATRONAGE:
        artist: address = staticcall router.song_artist(song_id)
        tier: uint256 = self._tier_terms(artist, option)
        record: uint256 = self._patron[artist][payer]
        if self._continuing(record):
            assert block.timestamp >= record & _U40, "patronage: too early to renew"
        price: uint256 = 0
        renewal: bool = False
        price, renewal = self._price(tier, option, record)
        return price
    if payment_type == _STREAM:
        assert self._authorized(song_id, payer), "patronage: patrons only"
        return 0
    assert payment_type == _TIP, "patronage: unsupported payment type"
    return 1


@view
@external
def is_authorized(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.is_authorized`: a public song is open to all; a
         patron-only song to the artist and to active patrons (cancelled:
         until paid-until) of a tier with exclusive content.
    """
    return self._authorized(song_id, listener)


# ---------------------------------------------------------------- views


@view
@external
def tiers(artist: address) -> DynArray[Tier, MAX_TIERS]:
    """
    @dev The artist's current tiers, in index order (empty if none).
    @param artist The 20-byte artist address.
    @return DynArray The name, monthly fee and exclusive flag of each.
    """
    result: DynArray[Tier, MAX_TIERS] = []
    for i: uint256 in range(MAX_TIERS):
        packed: uint256 = self._tier[artist][i]
        if packed == 0:
            break
        result.append(
            Tier(name=self._tier_name[artist][i], fee=packed & _FEE_MASK, exclusive=packed & _TIER_EXCLUSIVE != 0)
        )
    return result


@view
@external
def discounts(artist: address) -> uint16[4]:
    """
    @dev The artist's renewal discounts in bps for loyalty levels 1-4
         (zeros if not configured).
    @param artist The 20-byte artist address.
    @return uint16[4] The discounts.
    """
    packed: uint256 = self._tier[artist][0]
    result: uint16[4] = empty(uint16[4])
    for i: uint256 in range(LEVELS):
        result[i] = convert((packed >> (_DISCOUNT_SHIFT + 16 * i)) & _U16, uint16)
    return result


@view
@external
def min_commitment(artist: address) -> uint256:
    """
    @dev The minimum commitment, in seconds, of new patronages of the
         artist (zero if not configured).
    @param artist The 20-byte artist address.
    @return uint256 The commitment.
    """
    return (self._tier[artist][0] >> _COMMIT_SHIFT) & convert(max_value(uint32), uint256)


@view
@external
def patron(artist: address, patron_: address) -> PatronState:
    """
    @dev A patron's state: tier and exclusive access paid for,
         continuity start, paid-until, commitment end, whether cancelled
         and active now, and the loyalty level now (0 when inactive).
         All zero if never a patron.
    @param artist The 20-byte artist address.
    @param patron_ The 20-byte patron address.
    @return PatronState The state.
    """
    record: uint256 = self._patron[artist][patron_]
    active: bool = self._is_active(record)
    start: uint256 = (record >> _START_SHIFT) & _U40
    level: uint8 = 0
    if active:
        level = self._level(block.timestamp - start)
    return PatronState(
        tier=convert((record >> _TIER_SHIFT) & _TIER_MASK, uint8),
        exclusive=record & _PATRON_EXCLUSIVE != 0,
        start=start,
        paid_until=record & _U40,
        commitment_end=(record >> _COMMIT_END_SHIFT) & _U40,
        cancelled=record & _CANCELLED != 0,
        active=active,
        level=level,
    )


@view
@external
def is_active(artist: address, patron_: address) -> bool:
    """
    @dev Whether `patron_` is an active patron of `artist` now: until
         paid-until + 7 d, or until paid-until if cancelled.
    @param artist The 20-byte artist address.
    @param patron_ The 20-byte patron address.
    @return bool True if active.
    """
    return self._is_active(self._patron[artist][patron_])


@view
@external
def price_for(artist: address, patron_: address, tier: uint256) -> uint256:
    """
    @dev The price `patron_` pays for `tier` of `artist` at the current
         time: the discounted renewal price while their patronage
         continues (not cancelled, within paid-until + 7 d) and `tier` is
         their tier or costs at most their continuity fee, else the
         full fee. Does not check the renewal window; `quote` does.
    @param artist The 20-byte artist address.
    @param patron_ The 20-byte patron address.
    @param tier The tier index.
    @return uint256 The price in token units.
    """
    price: uint256 = 0
    renewal: bool = False
    price, renewal = self._price(self._tier_terms(artist, tier), tier, self._patron[artist][patron_])
    return price


@view
@external
def continuity_fee(artist: address, patron_: address) -> uint256:
    """
    @dev The fee a patron's continuity (and so loyalty) was earned at:
         the full fee of their tier at their last payment. A renewal
         keeps loyalty for the same tier or a tier whose fee is at most
         this; a dearer tier starts afresh.
    @param artist The 20-byte artist address.
    @param patron_ The 20-byte patron address.
    @return uint256 The fee in token units, 0 if never a patron.
    """
    return self._patron[artist][patron_] >> _CONTINUITY_FEE_SHIFT


@view
@external
def loyalty_level(elapsed: uint256) -> uint8:
    """
    @dev The loyalty level after `elapsed` seconds of continuous
         patronage: < 90 d -> 1, < 180 d -> 2, < 365 d -> 3, else 4.
    @param elapsed Seconds since the continuity start.
    @return uint8 The level.
    """
    return self._level(elapsed)


@view
@external
def is_patron_only(song_id: bytes32) -> bool:
    """
    @dev Whether a song is open only to patrons of an exclusive tier.
    @param song_id The 32-byte song id.
    @return bool True if patron-only.
    """
    return self._patron_only[song_id]


@view
@external
def holds_access(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.holds_access`: whether `listener` is an active
         patron of the song's artist of record (until paid-until + 7 d,
         or until paid-until if cancelled).
    """
    return self._is_active(self._patron[staticcall router.song_artist(song_id)][listener])

# ------------------------------------------------------------ internals


@internal
def _pay(song_id: bytes32, payer: address, amount: uint256, option: uint256) -> uint256:
    artist: address = staticcall router.song_artist(song_id)
    tier: uint256 = self._tier_terms(artist, option)
    record: uint256 = self._patron[artist][payer]
    paid_until: uint256 = record & _U40
    continuing: bool = self._continuing(record)
    if continuing:
        assert block.timestamp >= paid_until, "patronage: too early to renew"
    price: uint256 = 0
    renewal: bool = False
    price, renewal = self._price(tier, option, record)
    assert amount >= price, "patronage: payment below fee"
    # The tier's full fee, undiscounted: what later continuity is earned at.
    tier_bits: uint256 = (option << _TIER_SHIFT) | ((tier & _FEE_MASK) << _CONTINUITY_FEE_SHIFT)
    if tier & _TIER_EXCLUSIVE != 0:
        tier_bits |= _PATRON_EXCLUSIVE
    if renewal:
        start: uint256 = (record >> _START_SHIFT) & _U40
        paid_until += PERIOD
        assert paid_until <= _U40, "patronage: paid too far ahead"
        self._patron[artist][payer] = (
            paid_until | (start << _START_SHIFT) | (record & (_U40 << _COMMIT_END_SHIFT)) | tier_bits
        )
        log PatronRenewed(
            artist=artist,
            patron=payer,
            song_id=song_id,
            tier=convert(option, uint8),
            level=self._level(block.timestamp - start),
            amount=price,
            start=start,
            paid_until=paid_until,
        )
    else:
        # A fresh start; a cancelled patron, or one moving to a dearer
        # tier, keeps the paid time left and any commitment still due.
        paid_until = max(paid_until, block.timestamp) + PERIOD
        assert paid_until <= _U40, "patronage: paid too far ahead"
        commitment_end: uint256 = block.timestamp + ((tier >> _COMMIT_SHIFT) & convert(max_value(uint32), uint256))
        if continuing:
            commitment_end = max(commitment_end, (record >> _COMMIT_END_SHIFT) & _U40)
        self._patron[artist][payer] = (
            paid_until | (block.timestamp << _START_SHIFT) | (commitment_end << _COMMIT_END_SHIFT) | tier_bits
        )
        log PatronJoined(
            artist=artist,
            patron=payer,
            song_id=song_id,
            tier=convert(option, uint8),
            amount=price,
            start=block.timestamp,
            paid_until=paid_until,
            commitment_end=commitment_end,
        )
    return price


@view
@internal
def _tier_terms(artist: address, option: uint256) -> uint256:
    """
    @dev The packed terms of tier `option` of `artist`; reverts if the
         artist has no tiers or this one does not exist.
    """
    tier: uint256 = 0
    if option < MAX_TIERS:
        tier = self._tier[artist][option]
    if tier == 0:
        assert option != 0 and self._tier[artist][0] != 0, "patronage: artist has no tiers"
        raise "patronage: tier does not exist"
    return tier


@view
@internal
def _price(tier: uint256, option: uint256, record: uint256) -> (uint256, bool):
    """
    @dev The price of a payment for tier `option` (packed terms `tier`)
         by the holder of `record` now, and whether it is a renewal: a
         continuing patronage, in the same tier or one whose fee is at
         most the continuity fee.
    """
    fee: uint256 = tier & _FEE_MASK
    if not self._continuing(record):
        return fee, False
    if fee > record >> _CONTINUITY_FEE_SHIFT and option != (record >> _TIER_SHIFT) & _TIER_MASK:
        return fee, False
    level: uint8 = self._level(block.timestamp - ((record >> _START_SHIFT) & _U40))
    discount: uint256 = (tier >> (_DISCOUNT_SHIFT + 16 * convert(level - 1, uint256))) & _U16
    return fee - fee * discount // BPS, True


@view
@internal
def _continuing(record: uint256) -> bool:
    """
    @dev Whether a payment now would continue the patronage in
         `record`: not cancelled and within paid-until + grace.
    """
    return record != 0 and record & _CANCELLED == 0 and block.timestamp <= (record & _U40) + GRACE


@view
@internal
def _is_active(record: uint256) -> bool:
    if record == 0:
        return False
    end: uint256 = record & _U40
    if record & _CANCELLED == 0:
        end += GRACE
    return block.timestamp <= end


@view
@internal
def _authorized(song_id: bytes32, listener: address) -> bool:
    if not self._patron_only[song_id]:
        return True
    artist: address = staticcall router.song_artist(song_id)
    if listener == artist:
        return True
    record: uint256 = self._patron[artist][listener]
    return record & _PATRON_EXCLUSIVE != 0 and self._is_active(record)


@pure
@internal
def _level(elapsed: uint256) -> uint8:
    if elapsed < LEVEL_2_AFTER:
        return 1
    if elapsed < LEVEL_3_AFTER:
        return 2
    if elapsed < LEVEL_4_AFTER:
        return 3
    return 4
