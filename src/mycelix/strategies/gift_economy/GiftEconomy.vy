# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Gift-economy strategy
@custom:contract-name GiftEconomy
@license GNU Affero General Public License v3.0 only
@notice Listening is free and earns the listener CGC gift credits; a
        listener may also tip, and the tip is charged in full (the
        router takes the fee and splits the rest). This contract only
        prices plays and mints CGC: it never holds or moves FLOW.

        What CGC is for. CGC records a listener's attention and
        generosity: it is a thank-you, not money. It has no claim on
        FLOW or on anything the router holds, nothing in the protocol
        redeems it, and it is minted at no cost to anyone, so whatever
        later gives it a use (recognition, curation) must treat it as
        farmable within the bounds below.

        Rewards. A STREAM (charged 0) or a TIP (any non-zero amount)
        is a listen. A listen earns CGC unless
        - the listener is paid by the song (its artist of record or one
          of its split recipients, `router.is_payee`): nobody earns CGC
          from their own song;
        - the same listener was already rewarded for the same song less
          than `REWARD_INTERVAL` (one hour) ago (anti-farming);
        - the song has already minted `DAILY_CGC_CAP` today (UTC days
          of block time); the listen that reaches the cap earns what is
          left of it.
        In these cases the play or tip still succeeds, but it earns
        nothing and counts for nothing. A rewarded listen earns
            reward = cgc_per_listen
                     + early_bonus   if it is the listener's first
                                     rewarded listen of the song and
                                     fewer than `early_threshold`
                                     unique listeners came before
        and, from the listener's 6th rewarded listen on (5 or more
        before it), reward = reward * repeat_multiplier_bps // 10000.
        A threshold of 0 disables the early bonus. A zero reward still
        counts as a listen (and is logged) but mints nothing.

        Configuration. Until the artist of record configures a song,
        the defaults apply (1 CGC per listen, 10 CGC early bonus for
        the first 100 listeners, x1.5 from the 6th listen), so a song
        works as soon as it is registered. The artist may reconfigure
        at any time and as often as they like, also before the song
        uses this strategy; a new configuration changes future rewards
        only (profiles, the listener count and today's minting are
        kept). Protocol maximums bound what one listen can mint: 100
        CGC per listen, 1,000 CGC early bonus, x10, so at most 1,100
        CGC; a song mints at most `DAILY_CGC_CAP` (10,000 CGC) a day,
        whatever its configuration. Minting is counted against the cap
        in steps of `CAP_UNIT` (10**9 units, a billionth of a CGC),
        each reward rounded up: a reward that is not a whole number of
        steps uses slightly more of the cap than it mints, never less.

        Storage is packed by hand because each cold slot costs 2,100
        gas on the payment path:
        - `_song[song_id]`: cgc per listen (bits 0-66) | early bonus
          (67-136) | early threshold (137-168) | repeat multiplier bps
          (169-185; zero means "not configured, defaults apply") | day
          of the last reward (186-209, Unix time // 86400) | steps of
          the cap used that day (210-255)
        - `_listeners[song_id]`: unique listener count (read and
          written on first listens only)
        - `_profile[song_id][listener]`: rewarded listens (bits 0-31) |
          time of the last reward (32-95) | total CGC earned from the
          song (96-223) | early-listener flag (224)
"""


from ...contracts.interfaces import IRouter
from ...contracts.interfaces import IStrategy

implements: IStrategy


interface IMintable:
    def mint(owner: address, amount: uint256): nonpayable
    def minter() -> address: view


# @dev Defaults until the artist configures a song: 1 CGC per listen,
# a 10 CGC bonus for each of the first 100 unique listeners, x1.5 from
# a listener's 6th rewarded listen.
DEFAULT_CGC_PER_LISTEN: public(constant(uint256)) = 10**18
DEFAULT_EARLY_BONUS: public(constant(uint256)) = 10 * 10**18
DEFAULT_EARLY_THRESHOLD: public(constant(uint256)) = 100
DEFAULT_REPEAT_MULTIPLIER_BPS: public(constant(uint256)) = 15_000

# @dev Configuration bounds: at most 100 CGC per listen (100 times the
# default), at most 1,000 CGC early bonus, at most 2**32 - 1 early
# listeners, a multiplier from x1 (10000) to x10 (100000).
MAX_CGC_PER_LISTEN: public(constant(uint256)) = 100 * 10**18
MAX_EARLY_BONUS: public(constant(uint256)) = 1_000 * 10**18
MAX_EARLY_THRESHOLD: public(constant(uint256)) = 2**32 - 1
MIN_REPEAT_MULTIPLIER_BPS: public(constant(uint256)) = 10_000
MAX_REPEAT_MULTIPLIER_BPS: public(constant(uint256)) = 100_000

# @dev A listener is rewarded for a song at most once per this many
# seconds.
REWARD_INTERVAL: public(constant(uint256)) = 3600

# @dev The most CGC a song mints per day (UTC days of block time), over
# all its listeners: 10,000 default listens. Counted in steps of
# `CAP_UNIT`, each reward rounded up.
DAILY_CGC_CAP: public(constant(uint256)) = 10_000 * 10**18
CAP_UNIT: public(constant(uint256)) = 10**9
DAY: public(constant(uint256)) = 86_400

# @dev The multiplier applies once a listener has this many rewarded
# listens of the song (i.e. from the 6th on).
REPEAT_AFTER: public(constant(uint256)) = 5

BPS: public(constant(uint256)) = 10_000

_STREAM: constant(uint8) = 0
_TIP: constant(uint8) = 2

_MASK_17: constant(uint256) = (1 << 17) - 1
_MASK_24: constant(uint256) = (1 << 24) - 1
_MASK_32: constant(uint256) = (1 << 32) - 1
_MASK_64: constant(uint256) = (1 << 64) - 1
_MASK_67: constant(uint256) = (1 << 67) - 1
_MASK_70: constant(uint256) = (1 << 70) - 1
_MASK_128: constant(uint256) = (1 << 128) - 1

_BONUS_SHIFT: constant(uint256) = 67
_THRESHOLD_SHIFT: constant(uint256) = 137
_MULT_SHIFT: constant(uint256) = 169
_DAY_SHIFT: constant(uint256) = 186
_USED_SHIFT: constant(uint256) = 210
_CONFIG_MASK: constant(uint256) = (1 << _DAY_SHIFT) - 1
_CAP_STEPS: constant(uint256) = DAILY_CGC_CAP // CAP_UNIT

_TIME_SHIFT: constant(uint256) = 32
_TOTAL_SHIFT: constant(uint256) = 96
_EARLY_BIT: constant(uint256) = 1 << 224


struct GiftConfig:
    cgc_per_listen: uint256
    early_bonus: uint256
    early_threshold: uint256
    repeat_multiplier_bps: uint256
    configured: bool


struct ListenerProfile:
    listens: uint256
    last_reward_at: uint256
    total_earned: uint256
    early: bool


# @dev The router, the only caller of `charge`.
router: public(immutable(IRouter))

# @dev The CGC token; this contract is its only, immutable minter.
cgc: public(immutable(IMintable))

_song: HashMap[bytes32, uint256]
_listeners: HashMap[bytes32, uint256]
_profile: HashMap[bytes32, HashMap[address, uint256]]


# @dev Emitted on every configuration, with the values now in force.
event GiftConfigured:
    song_id: indexed(bytes32)
    artist: indexed(address)
    cgc_per_listen: uint256
    early_bonus: uint256
    early_threshold: uint256
    repeat_multiplier_bps: uint256


# @dev One per rewarded listen (also when `amount` is zero). `listens`
# is the listener's rewarded listen count of the song after this one,
# `payment_type` is STREAM 0 or TIP 2. `amount` CGC were minted to
# `listener`.
event ListenRewarded:
    song_id: indexed(bytes32)
    listener: indexed(address)
    amount: uint256
    early: bool
    repeat: bool
    listens: uint256
    payment_type: uint8


@deploy
def __init__(router_: IRouter, cgc_: address):
    """
    @param router_ The 20-byte router address.
    @param cgc_ The 20-byte address of the CGC token, deployed first
           with this contract's (predicted) address as its immutable
           minter.
    """
    assert router_.address.is_contract, "gift: router is not a contract"
    assert cgc_.is_contract, "gift: cgc is not a contract"
    # A wrongly predicted address would leave a strategy that can never
    # reward anyone: refuse to exist instead.
    assert staticcall IMintable(cgc_).minter() == self, "gift: cgc does not name this contract its minter"
    router = router_
    cgc = IMintable(cgc_)


@external
def configure(
    song_id: bytes32,
    cgc_per_listen: uint256,
    early_bonus: uint256,
    early_threshold: uint256,
    repeat_multiplier_bps: uint256,
):
    """
    @dev Sets how a song rewards its listeners. Artist of record only;
         may be called again at any time, and changes future rewards
         only.
    @param song_id The 32-byte song id.
    @param cgc_per_listen CGC units per rewarded listen, zero allowed,
           at most `MAX_CGC_PER_LISTEN`.
    @param early_bonus CGC units added to the first rewarded listen of
           each of the first `early_threshold` unique listeners, at most
           `MAX_EARLY_BONUS`.
    @param early_threshold How many unique listeners get the early
           bonus (0 disables it), at most `MAX_EARLY_THRESHOLD`.
    @param repeat_multiplier_bps Multiplier applied from a listener's 6th
           rewarded listen, 10000 (x1) to 100000 (x10).
    """
    assert staticcall router.song_artist(song_id) == msg.sender, "gift: caller is not the artist"
    assert cgc_per_listen <= MAX_CGC_PER_LISTEN, "gift: cgc per listen above maximum"
    assert early_bonus <= MAX_EARLY_BONUS, "gift: early bonus above maximum"
    assert early_threshold <= MAX_EARLY_THRESHOLD, "gift: early threshold above maximum"
    assert repeat_multiplier_bps >= MIN_REPEAT_MULTIPLIER_BPS, "gift: multiplier below 10000"
    assert repeat_multiplier_bps <= MAX_REPEAT_MULTIPLIER_BPS, "gift: multiplier above 100000"
    self._song[song_id] = (
        (self._song[song_id] & ~_CONFIG_MASK)
        | cgc_per_listen
        | (early_bonus << _BONUS_SHIFT)
        | (early_threshold << _THRESHOLD_SHIFT)
        | (repeat_multiplier_bps << _MULT_SHIFT)
    )
    log GiftConfigured(
        song_id=song_id,
        artist=msg.sender,
        cgc_per_listen=cgc_per_listen,
        early_bonus=early_bonus,
        early_threshold=early_threshold,
        repeat_multiplier_bps=repeat_multiplier_bps,
    )


@external
def charge(song_id: bytes32, payer: address, amount: uint256, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.charge`. STREAM: free, charged 0 whatever is
         offered. TIP: any non-zero amount, charged whole. Both reward
         the payer with CGC as a listen: at most once per song per
         hour, never the song's artist or split recipients, within the
         song's daily cap. Other payment types are refused.
    """
    assert msg.sender == router.address, "gift: caller is not the router"
    charged: uint256 = 0
    if payment_type == _TIP:
        assert amount != 0, "gift: zero tip"
        charged = amount
    else:
        assert payment_type == _STREAM, "gift: unsupported payment type"

    profile: uint256 = self._profile[song_id][payer]
    listens: uint256 = profile & _MASK_32
    if listens != 0 and block.timestamp < ((profile >> _TIME_SHIFT) & _MASK_64) + REWARD_INTERVAL:
        return charged  # anti-farming: the play counts, the reward does not
    if staticcall router.is_payee(song_id, payer):
        return charged  # nobody earns CGC from their own song

    # `_reward_of` and `_capped`, inlined: internal calls cost ~350 gas
    # here, where the gift tip's gas target is tight.
    song: uint256 = self._song[song_id]
    reward: uint256 = 0
    bonus: uint256 = 0
    threshold: uint256 = 0
    multiplier: uint256 = (song >> _MULT_SHIFT) & _MASK_17
    if multiplier == 0:
        reward = DEFAULT_CGC_PER_LISTEN
        bonus = DEFAULT_EARLY_BONUS
        threshold = DEFAULT_EARLY_THRESHOLD
        multiplier = DEFAULT_REPEAT_MULTIPLIER_BPS
    else:
        reward = song & _MASK_67
        bonus = (song >> _BONUS_SHIFT) & _MASK_70
        threshold = (song >> _THRESHOLD_SHIFT) & _MASK_32
    early: bool = False
    count: uint256 = 0
    if listens == 0:
        count = self._listeners[song_id]
        early = count < threshold
        if early:
            reward += bonus
    repeat: bool = listens >= REPEAT_AFTER
    if repeat:
        reward = reward * multiplier // BPS

    today: uint256 = block.timestamp // DAY
    used: uint256 = 0
    if (song >> _DAY_SHIFT) & _MASK_24 == today:
        used = song >> _USED_SHIFT
    steps: uint256 = (reward + CAP_UNIT - 1) // CAP_UNIT
    if steps > _CAP_STEPS - used:
        if used == _CAP_STEPS:
            return charged  # the song's daily cap is reached
        reward = (_CAP_STEPS - used) * CAP_UNIT
        steps = _CAP_STEPS - used
    self._song[song_id] = (song & _CONFIG_MASK) | (today << _DAY_SHIFT) | ((used + steps) << _USED_SHIFT)
    if listens == 0:
        self._listeners[song_id] = count + 1
        if early:
            profile |= _EARLY_BIT
    listens += 1
    total: uint256 = ((profile >> _TOTAL_SHIFT) & _MASK_128) + reward
    self._profile[song_id][payer] = (
        listens | (block.timestamp << _TIME_SHIFT) | (total << _TOTAL_SHIFT) | (profile & _EARLY_BIT)
    )
    log ListenRewarded(
        song_id=song_id,
        listener=payer,
        amount=reward,
        early=early,
        repeat=repeat,
        listens=listens,
        payment_type=payment_type,
    )
    if reward != 0:
        extcall cgc.mint(payer, reward, skip_contract_check=True)
    return charged


@view
@external
def quote(song_id: bytes32, payer: address, payment_type: uint8, option: uint256) -> uint256:
    """
    @dev See `IStrategy.quote`: 0 for a STREAM (listening is free), 1
         unit (the smallest tip) for a TIP.
    """
    if payment_type == _STREAM:
        return 0
    assert payment_type == _TIP, "gift: unsupported payment type"
    return 1


@view
@external
def is_authorized(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.is_authorized`: always, listening is free.
    """
    return True


@view
@external
def config(song_id: bytes32) -> GiftConfig:
    """
    @dev The configuration in force for a song, defaults applied.
    @param song_id The 32-byte song id.
    @return GiftConfig CGC per listen, early bonus, early threshold,
            repeat multiplier in bps, and whether the artist has
            configured the song (False: these are the defaults).
    """
    song: uint256 = self._song[song_id]
    cgc_per_listen: uint256 = 0
    early_bonus: uint256 = 0
    early_threshold: uint256 = 0
    multiplier: uint256 = 0
    cgc_per_listen, early_bonus, early_threshold, multiplier = self._config_of(song)
    return GiftConfig(
        cgc_per_listen=cgc_per_listen,
        early_bonus=early_bonus,
        early_threshold=early_threshold,
        repeat_multiplier_bps=multiplier,
        configured=(song >> _MULT_SHIFT) & _MASK_17 != 0,
    )


@view
@external
def listener_count(song_id: bytes32) -> uint256:
    """
    @dev How many unique listeners have been rewarded for a song.
    @param song_id The 32-byte song id.
    @return uint256 The unique listener count.
    """
    return self._listeners[song_id]


@view
@external
def minted_today(song_id: bytes32) -> uint256:
    """
    @dev How much of `DAILY_CGC_CAP` a song has used today (UTC day of
         block time): the CGC it minted, each reward rounded up to a
         whole `CAP_UNIT`.
    @param song_id The 32-byte song id.
    @return uint256 The amount in CGC units, at most `DAILY_CGC_CAP`.
    """
    song: uint256 = self._song[song_id]
    if (song >> _DAY_SHIFT) & _MASK_24 != block.timestamp // DAY:
        return 0
    return (song >> _USED_SHIFT) * CAP_UNIT


@view
@external
def profile(song_id: bytes32, listener: address) -> ListenerProfile:
    """
    @dev A listener's record for a song.
    @param song_id The 32-byte song id.
    @param listener The 20-byte listener address.
    @return ListenerProfile Rewarded listens, time of the last reward
            (0: never), total CGC earned from the song, and whether the
            listener was one of the first `early_threshold` unique
            listeners (flagged even when the bonus is zero).
    """
    profile: uint256 = self._profile[song_id][listener]
    return ListenerProfile(
        listens=profile & _MASK_32,
        last_reward_at=(profile >> _TIME_SHIFT) & _MASK_64,
        total_earned=(profile >> _TOTAL_SHIFT) & _MASK_128,
        early=profile & _EARLY_BIT != 0,
    )


@view
@external
def next_reward_at(song_id: bytes32, listener: address) -> uint256:
    """
    @dev The earliest time a listen of a song earns the listener CGC
         again.
    @param song_id The 32-byte song id.
    @param listener The 20-byte listener address.
    @return uint256 A Unix time; 0 if the listener was never rewarded
            (their next listen is rewarded).
    """
    profile: uint256 = self._profile[song_id][listener]
    if profile & _MASK_32 == 0:
        return 0
    return ((profile >> _TIME_SHIFT) & _MASK_64) + REWARD_INTERVAL


@view
@external
def preview_reward(song_id: bytes32, listener: address) -> uint256:
    """
    @dev The CGC a STREAM or TIP by `listener` would earn now, under
         the current configuration: 0 within the anti-farming hour, for
         the song's artist and split recipients, and once the song's
         daily cap is reached.
    @param song_id The 32-byte song id.
    @param listener The 20-byte listener address.
    @return uint256 The reward in CGC units.
    """
    profile: uint256 = self._profile[song_id][listener]
    listens: uint256 = profile & _MASK_32
    if listens != 0 and block.timestamp < ((profile >> _TIME_SHIFT) & _MASK_64) + REWARD_INTERVAL:
        return 0
    if staticcall router.is_payee(song_id, listener):
        return 0
    song: uint256 = self._song[song_id]
    count: uint256 = 0
    if listens == 0:
        count = self._listeners[song_id]
    reward: uint256 = 0
    early: bool = False
    repeat: bool = False
    reward, early, repeat = self._reward_of(song, listens, count)
    used: uint256 = 0
    reward, used = self._capped(song, reward)
    return reward


@view
@external
def holds_access(song_id: bytes32, listener: address) -> bool:
    """
    @dev See `IStrategy.holds_access`: never, free listening was not
         sold, so it does not outlast the gift strategy.
    """
    return False


@pure
@internal
def _config_of(song: uint256) -> (uint256, uint256, uint256, uint256):
    multiplier: uint256 = (song >> _MULT_SHIFT) & _MASK_17
    if multiplier == 0:
        return DEFAULT_CGC_PER_LISTEN, DEFAULT_EARLY_BONUS, DEFAULT_EARLY_THRESHOLD, DEFAULT_REPEAT_MULTIPLIER_BPS
    return (
        song & _MASK_67,
        (song >> _BONUS_SHIFT) & _MASK_70,
        (song >> _THRESHOLD_SHIFT) & _MASK_32,
        multiplier,
    )


@pure
@internal
def _reward_of(song: uint256, listens: uint256, count: uint256) -> (uint256, bool, bool):
    """
    @dev The reward of a rewarded listen of a song whose packed slot is
         `song`, by a listener with `listens` prior rewarded listens
         (`count` unique listeners before them if `listens` is 0),
         before the daily cap, and whether the early bonus and the
         multiplier applied.
    """
    cgc_per_listen: uint256 = 0
    early_bonus: uint256 = 0
    early_threshold: uint256 = 0
    multiplier: uint256 = 0
    cgc_per_listen, early_bonus, early_threshold, multiplier = self._config_of(song)
    reward: uint256 = cgc_per_listen
    early: bool = listens == 0 and count < early_threshold
    if early:
        reward += early_bonus
    repeat: bool = listens >= REPEAT_AFTER
    if repeat:
        reward = reward * multiplier // BPS
    return reward, early, repeat


@view
@internal
def _capped(song: uint256, reward: uint256) -> (uint256, uint256):
    """
    @dev `reward` cut to what is left of the song's daily cap, and the
         steps of the cap used today with it; max_value(uint256) as
         the steps when nothing is left.
    """
    used: uint256 = 0
    if (song >> _DAY_SHIFT) & _MASK_24 == block.timestamp // DAY:
        used = song >> _USED_SHIFT
    left: uint256 = _CAP_STEPS - used
    steps: uint256 = (reward + CAP_UNIT - 1) // CAP_UNIT
    if steps <= left:
        return reward, used + steps
    if left == 0:
        return 0, max_value(uint256)
    return left * CAP_UNIT, _CAP_STEPS
