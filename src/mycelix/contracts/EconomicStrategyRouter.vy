# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title Economic Strategy Router
@custom:contract-name EconomicStrategyRouter
@license GNU Affero General Public License v3.0 only
@notice The only Mycelix contract that holds money. Songs are
        registered here by their artist under a strategy; every payment
        goes through `pay` (or `pay_batch`): the song's strategy says how
        much to charge, the router pulls that from the payer, credits the
        protocol fee to the treasury and the net to the song's splits.
        Recipients withdraw their credits whenever they like (pull
        payments), so the router's token balance always equals the sum
        of unwithdrawn credits.

        Distribution rule (the indexer reproduces it from events):
        for a net amount `n` and splits `(r_i, b_i)`, every recipient
        but the first gets `n * b_i // 10000`; the first recipient gets
        the rest, so the credited amounts always sum to `n` exactly.
        A song without configured splits credits 100 % to its artist of
        record at the time of the payment.

        Song ids cannot be squatted: the router derives them itself,
        `keccak256(artist ‖ salt)` (20 address bytes, then the 32 salt
        bytes), so an id only ever belongs to the address it was derived
        from. A song changes artist only in two steps: the artist offers
        it, the new artist accepts naming the digest of the splits they
        inherit.

        Access a listener bought stays theirs when the artist moves the
        song to another strategy: the router remembers every strategy a
        song has used, and a STREAM by a listener whom an earlier
        strategy still `holds_access` for is a free play that does not
        ask the current strategy. The owner can quarantine a strategy:
        no payment goes through it, it grants no access and takes no new
        songs, while withdrawals and other strategies go on.

        Storage is packed by hand (Vyper gives every variable its own
        slot) because each cold slot read costs 2,100 gas on the hot
        payment path:
        - `_config`: treasury (bits 0-159) | fee bps (160-175) | paused (176)
        - `_song`: artist (0-159) | number of splits (160-167) |
          strategy index (168-175) | strategies used (176-255, bit
          175 + i for registry index i), so registering a song writes
          one new slot and a payment reads one slot for the song, its
          strategy history included
        - `_strategy`: contract (0-159) | index (160-175) | enabled (176) |
          quarantined (177)
        - `_strategy_at`: contract (0-159) | quarantined (160), read on
          every payment, so the quarantine check costs no extra slot
        - `_split`: recipient (0-159) | bps (160-175) | role (176-183)
"""


from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from .interfaces import IStrategy

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


# @dev Payment types, fixed ordinals (clients send them as uint8).
STREAM: public(constant(uint8)) = 0
DOWNLOAD: public(constant(uint8)) = 1
TIP: public(constant(uint8)) = 2
PATRONAGE: public(constant(uint8)) = 3
ACCESS: public(constant(uint8)) = 4

# @dev Basis points denominator, protocol fee default and ceiling.
BPS: public(constant(uint256)) = 10_000
DEFAULT_FEE_BPS: public(constant(uint256)) = 100
MAX_FEE_BPS: public(constant(uint256)) = 500

# @dev Most recipients a song's splits may have, and most payments in
# one batch.
MAX_SPLITS: public(constant(uint256)) = 64
MAX_BATCH: public(constant(uint256)) = 128

# @dev Most credits one batch may make: each charged payment counts its
# split recipients (1 without configured splits) plus 1 for the
# treasury. A first credit to an address is a ~22k-gas write, so the
# worst case (512 fresh recipients) stays near 13M gas, well inside a
# 30M-gas block.
MAX_BATCH_CREDITS: public(constant(uint256)) = 512

# @dev Most strategies the registry holds: one bit each in a song's
# slot records the strategies it has used.
MAX_STRATEGIES: public(constant(uint256)) = 80

# @dev Role code of the implicit 100 % split to the artist.
ROLE_ARTIST: public(constant(uint8)) = 0

_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
_FEE_SHIFT: constant(uint256) = 160
_PAUSED_BIT: constant(uint256) = 1 << 176
_COUNT_SHIFT: constant(uint256) = 160
_INDEX_SHIFT: constant(uint256) = 168
_SONG_INDEX_MASK: constant(uint256) = 255
_HISTORY_SHIFT: constant(uint256) = 175
_REGISTRY_INDEX_SHIFT: constant(uint256) = 160
_ENABLED_BIT: constant(uint256) = 1 << 176
_QUARANTINED_BIT: constant(uint256) = 1 << 177
_AT_QUARANTINED_BIT: constant(uint256) = 1 << 160
_INDEX_MASK: constant(uint256) = 65535
_BPS_SHIFT: constant(uint256) = 160
_ROLE_SHIFT: constant(uint256) = 176


struct Split:
    recipient: address
    bps: uint16
    role: uint8


struct Share:
    recipient: address
    amount: uint256


struct PaymentRequest:
    song_id: bytes32
    amount: uint256
    payment_type: uint8
    option: uint256


# @dev The ERC-20 every payment is made in (FLOW on a dev chain).
token: public(immutable(IERC20))

# @dev Strategy registry: contract -> id, and the number of strategies
# ever registered (indices start at 1).
strategy_id_of: public(HashMap[address, bytes32])
strategy_count: public(uint256)

# @dev Withdrawable earnings of each address.
credits: public(HashMap[address, uint256])

_config: uint256
_song: HashMap[bytes32, uint256]
_strategy: HashMap[bytes32, uint256]
_strategy_at: HashMap[uint256, uint256]
_split: HashMap[bytes32, HashMap[uint256, uint256]]
_pending: HashMap[bytes32, address]


event StrategyRegistered:
    strategy_id: indexed(bytes32)
    strategy: indexed(address)


event StrategyEnabled:
    strategy_id: indexed(bytes32)
    enabled: bool


event StrategyQuarantined:
    strategy_id: indexed(bytes32)


event StrategyReleased:
    strategy_id: indexed(bytes32)


# @dev `song_id` is `keccak256(artist ‖ salt)`.
event SongRegistered:
    song_id: indexed(bytes32)
    strategy_id: indexed(bytes32)
    artist: indexed(address)
    salt: bytes32


event SongStrategyChanged:
    song_id: indexed(bytes32)
    strategy_id: indexed(bytes32)


# @dev An offer replaces any pending one; nothing else changes until
# `new_artist` accepts.
event SongTransferOffered:
    song_id: indexed(bytes32)
    artist: indexed(address)
    new_artist: indexed(address)


event SongTransferCancelled:
    song_id: indexed(bytes32)
    artist: indexed(address)


event SongTransferred:
    song_id: indexed(bytes32)
    previous_artist: indexed(address)
    artist: indexed(address)


event SplitsConfigured:
    song_id: indexed(bytes32)
    recipients: DynArray[address, MAX_SPLITS]
    bps: DynArray[uint16, MAX_SPLITS]
    roles: DynArray[uint8, MAX_SPLITS]


# @dev One per payment, zero charges included (they record free plays).
# `amount` is what was charged, `fee` what the treasury was credited;
# the net `amount - fee` is credited by the distribution rule above.
event Payment:
    song_id: indexed(bytes32)
    payer: indexed(address)
    strategy: indexed(address)
    payment_type: uint8
    amount: uint256
    fee: uint256


event Withdrawal:
    recipient: indexed(address)
    amount: uint256


event FeeChanged:
    fee_bps: uint256


event TreasuryChanged:
    treasury: indexed(address)


event Paused:
    account: indexed(address)


event Unpaused:
    account: indexed(address)


@deploy
def __init__(token_: IERC20, treasury_: address):
    """
    @dev The deployer becomes the owner. The fee starts at 100 bps.
    @param token_ The 20-byte address of the payment ERC-20.
    @param treasury_ The 20-byte address credited with protocol fees.
    """
    assert token_.address.is_contract, "router: token is not a contract"
    assert treasury_ != empty(address), "router: zero treasury"
    ownable.__init__()
    ownable_2step.__init__()
    token = token_
    self._config = convert(treasury_, uint256) | (DEFAULT_FEE_BPS << _FEE_SHIFT)
    log TreasuryChanged(treasury=treasury_)
    log FeeChanged(fee_bps=DEFAULT_FEE_BPS)


# ---------------------------------------------------------------- admin


@external
def register_strategy(strategy_id: bytes32, strategy: address):
    """
    @dev Adds a strategy contract under a new id, enabled for new songs.
         Owner only. Ids are never reused or remapped, so a song's
         strategy can always be traced.
    @param strategy_id The 32-byte id, keccak256 of a name such as
           "pay-per-stream-v1".
    @param strategy The 20-byte address of the strategy contract.
    """
    self._check_owner()
    assert strategy_id != empty(bytes32), "router: empty strategy id"
    assert strategy.is_contract, "router: strategy is not a contract"
    assert self._strategy[strategy_id] == 0, "router: strategy id taken"
    assert self.strategy_id_of[strategy] == empty(bytes32), "router: strategy already registered"
    index: uint256 = self.strategy_count + 1
    assert index <= MAX_STRATEGIES, "router: strategy registry full"
    self.strategy_count = index
    self._strategy[strategy_id] = convert(strategy, uint256) | (index << _REGISTRY_INDEX_SHIFT) | _ENABLED_BIT
    self._strategy_at[index] = convert(strategy, uint256)
    self.strategy_id_of[strategy] = strategy_id
    log StrategyRegistered(strategy_id=strategy_id, strategy=strategy)
    log StrategyEnabled(strategy_id=strategy_id, enabled=True)


@external
def set_strategy_enabled(strategy_id: bytes32, enabled: bool):
    """
    @dev Opens or closes a strategy to new songs. Owner only. Songs
         already using it keep working either way.
    @param strategy_id The 32-byte strategy id.
    @param enabled True to allow new registrations.
    """
    self._check_owner()
    packed: uint256 = self._strategy[strategy_id]
    assert packed != 0, "router: unknown strategy"
    if enabled:
        self._strategy[strategy_id] = packed | _ENABLED_BIT
    else:
        self._strategy[strategy_id] = packed & ~_ENABLED_BIT
    log StrategyEnabled(strategy_id=strategy_id, enabled=enabled)


@external
def quarantine_strategy(strategy_id: bytes32):
    """
    @dev Stops a strategy for every song on it, e.g. when it is found
         compromised. Owner only. Payments through it revert, it grants
         no access (not even access sold earlier) and takes no new
         songs; withdrawals and other strategies go on, and artists may
         move their songs off it with `change_strategy`.
    @param strategy_id The 32-byte strategy id.
    """
    self._check_owner()
    packed: uint256 = self._strategy[strategy_id]
    assert packed != 0, "router: unknown strategy"
    assert packed & _QUARANTINED_BIT == 0, "router: strategy already quarantined"
    self._strategy[strategy_id] = packed | _QUARANTINED_BIT
    index: uint256 = (packed >> _REGISTRY_INDEX_SHIFT) & _INDEX_MASK
    self._strategy_at[index] = self._strategy_at[index] | _AT_QUARANTINED_BIT
    log StrategyQuarantined(strategy_id=strategy_id)


@external
def release_strategy(strategy_id: bytes32):
    """
    @dev Lifts a strategy's quarantine: payments, access and (if it is
         enabled) new songs work again. Owner only.
    @param strategy_id The 32-byte strategy id.
    """
    self._check_owner()
    packed: uint256 = self._strategy[strategy_id]
    assert packed != 0, "router: unknown strategy"
    assert packed & _QUARANTINED_BIT != 0, "router: strategy not quarantined"
    self._strategy[strategy_id] = packed & ~_QUARANTINED_BIT
    index: uint256 = (packed >> _REGISTRY_INDEX_SHIFT) & _INDEX_MASK
    self._strategy_at[index] = self._strategy_at[index] & ~_AT_QUARANTINED_BIT
    log StrategyReleased(strategy_id=strategy_id)


@external
def set_fee(fee_bps: uint256):
    """
    @dev Sets the protocol fee taken from every charged payment. Owner
         only; at most `MAX_FEE_BPS` (5 %).
    @param fee_bps The new fee in basis points.
    """
    self._check_owner()
    assert fee_bps <= MAX_FEE_BPS, "router: fee above maximum"
    config: uint256 = self._config
    self._config = (config & ~(convert(max_value(uint16), uint256) << _FEE_SHIFT)) | (fee_bps << _FEE_SHIFT)
    log FeeChanged(fee_bps=fee_bps)


@external
def set_treasury(treasury_: address):
    """
    @dev Sets the address credited with future fees. Owner only. Fees
         already credited stay with the previous treasury.
    @param treasury_ The 20-byte treasury address.
    """
    self._check_owner()
    assert treasury_ != empty(address), "router: zero treasury"
    self._config = (self._config & ~_ADDRESS_MASK) | convert(treasury_, uint256)
    log TreasuryChanged(treasury=treasury_)


@external
def pause():
    """
    @dev Emergency stop of payments. Owner only. Withdrawals stay open.
    """
    self._check_owner()
    config: uint256 = self._config
    assert config & _PAUSED_BIT == 0, "router: already paused"
    self._config = config | _PAUSED_BIT
    log Paused(account=msg.sender)


@external
def unpause():
    """
    @dev Resumes payments. Owner only.
    """
    self._check_owner()
    config: uint256 = self._config
    assert config & _PAUSED_BIT != 0, "router: not paused"
    self._config = config & ~_PAUSED_BIT
    log Unpaused(account=msg.sender)


# ---------------------------------------------------------------- songs


@external
def register_song(salt: bytes32, strategy_id: bytes32) -> bytes32:
    """
    @dev Registers a song of the caller under an enabled strategy. The
         id is derived from the caller and `salt` (see `song_id_of`), so
         nobody can register, and so squat, an id that belongs to
         another address. The platform uses the audio's content hash as
         the salt.
    @param salt Any non-zero 32 bytes, unique among the caller's songs.
    @param strategy_id The 32-byte id of a registered, enabled strategy.
    @return bytes32 The song id.
    """
    assert salt != empty(bytes32), "router: empty salt"
    song_id: bytes32 = self._song_id(msg.sender, salt)
    assert self._song[song_id] == 0, "router: song already registered"
    index: uint256 = self._open_strategy(strategy_id)
    self._song[song_id] = convert(msg.sender, uint256) | (index << _INDEX_SHIFT) | (1 << (_HISTORY_SHIFT + index))
    log SongRegistered(song_id=song_id, strategy_id=strategy_id, artist=msg.sender, salt=salt)
    return song_id


@external
def change_strategy(song_id: bytes32, strategy_id: bytes32):
    """
    @dev Moves a song to another enabled, unquarantined strategy (also
         off a quarantined one). Artist only. Splits are kept, and so is
         access listeners bought under earlier strategies.
    @param song_id The 32-byte song id.
    @param strategy_id The 32-byte id of the new strategy.
    """
    info: uint256 = self._artist_song(song_id)
    index: uint256 = self._open_strategy(strategy_id)
    self._song[song_id] = (
        (info & ~(_SONG_INDEX_MASK << _INDEX_SHIFT)) | (index << _INDEX_SHIFT) | (1 << (_HISTORY_SHIFT + index))
    )
    log SongStrategyChanged(song_id=song_id, strategy_id=strategy_id)


@external
def offer_song(song_id: bytes32, new_artist: address):
    """
    @dev Offers a song to a new artist of record, replacing any pending
         offer. Artist only. Nothing changes until `new_artist` accepts
         with `accept_song`; the artist may cancel before that.
    @param song_id The 32-byte song id.
    @param new_artist The 20-byte address offered the song; non-zero
           and not the artist.
    """
    self._artist_song(song_id)
    assert new_artist != empty(address), "router: zero artist"
    assert new_artist != msg.sender, "router: already the artist"
    self._pending[song_id] = new_artist
    log SongTransferOffered(song_id=song_id, artist=msg.sender, new_artist=new_artist)


@external
def accept_song(song_id: bytes32, splits_digest: bytes32):
    """
    @dev Takes a song offered to the caller. The caller names the
         digest of the splits they inherit (`splits_digest`), so a song
         whose splits were changed after they looked cannot be planted
         on them. Configured splits stay as they are; an unsplit song
         pays the new artist from now on.
    @param song_id The 32-byte song id.
    @param splits_digest The song's `splits_digest` the caller agreed to.
    """
    info: uint256 = self._registered(song_id)
    assert self._pending[song_id] == msg.sender and msg.sender != empty(address), "router: caller is not the pending artist"
    assert self._splits_digest(song_id, info) == splits_digest, "router: splits changed"
    self._pending[song_id] = empty(address)
    self._song[song_id] = (info & ~_ADDRESS_MASK) | convert(msg.sender, uint256)
    log SongTransferred(song_id=song_id, previous_artist=self._address_of(info), artist=msg.sender)


@external
def cancel_song_transfer(song_id: bytes32):
    """
    @dev Withdraws the pending offer of a song. Artist only.
    @param song_id The 32-byte song id.
    """
    self._artist_song(song_id)
    assert self._pending[song_id] != empty(address), "router: no pending transfer"
    self._pending[song_id] = empty(address)
    log SongTransferCancelled(song_id=song_id, artist=msg.sender)


@external
def configure_splits(
    song_id: bytes32,
    recipients: DynArray[address, MAX_SPLITS],
    bps: DynArray[uint16, MAX_SPLITS],
    roles: DynArray[uint8, MAX_SPLITS],
):
    """
    @dev Sets how a song's net income is divided. Artist only, and only
         once: after that the artist alone cannot change them, so
         collaborators are protected. Duplicate recipients are allowed
         (they receive each share). The first recipient also receives
         rounding dust.
    @param song_id The 32-byte song id.
    @param recipients The 20-byte recipient addresses, 1 to 64, non-zero.
    @param bps The share of each recipient in basis points, each > 0,
           summing to 10000.
    @param roles A role code for each recipient (0 artist; the catalogue
           names the others).
    """
    info: uint256 = self._artist_song(song_id)
    assert (info >> _COUNT_SHIFT) & 255 == 0, "router: splits already configured"
    n: uint256 = len(recipients)
    assert n > 0, "router: no recipients"
    assert len(bps) == n and len(roles) == n, "router: array lengths differ"
    total: uint256 = 0
    for i: uint256 in range(n, bound=MAX_SPLITS):
        assert recipients[i] != empty(address), "router: zero recipient"
        assert bps[i] > 0, "router: zero share"
        total += convert(bps[i], uint256)
        self._split[song_id][i] = (
            convert(recipients[i], uint256)
            | (convert(bps[i], uint256) << _BPS_SHIFT)
            | (convert(roles[i], uint256) << _ROLE_SHIFT)
        )
    assert total == BPS, "router: shares must sum to 10000"
    self._song[song_id] = info | (n << _COUNT_SHIFT)
    log SplitsConfigured(song_id=song_id, recipients=recipients, bps=bps, roles=roles)


# ------------------------------------------------------------- payments


@external
@nonreentrant
def pay(song_id: bytes32, amount: uint256, payment_type: uint8, option: uint256 = 0) -> uint256:
    """
    @dev Pays for a song. The song's strategy decides the charge (at
         most `amount`, e.g. the auction's current price); the router
         pulls it from the caller (who must have approved the router),
         credits the fee to the treasury and the net to the splits.
         A zero charge records a free play and moves no tokens. A
         STREAM by a listener who holds access sold by an earlier
         strategy of the song is such a free play, without asking the
         current strategy. Reverts while the song's strategy is
         quarantined, and if fewer tokens arrive than were charged.
    @param song_id The 32-byte song id.
    @param amount The most the caller offers, in token units.
    @param payment_type STREAM 0, DOWNLOAD 1, TIP 2, PATRONAGE 3, ACCESS 4.
    @param option A strategy-specific choice (the patronage tier).
    @return uint256 The amount charged.
    """
    config: uint256 = self._config
    assert config & _PAUSED_BIT == 0, "router: paused"
    charged: uint256 = self._process(song_id, amount, payment_type, option, config)
    if charged != 0:
        self._pull(charged)
    return charged


@external
@nonreentrant
def pay_batch(requests: DynArray[PaymentRequest, MAX_BATCH]) -> uint256:
    """
    @dev Several payments in one transaction, each processed exactly as
         by `pay`, with one token pull for the total. All or nothing:
         one failing payment reverts the batch. At most
         `MAX_BATCH_CREDITS` credits in all (each charged payment counts
         its split recipients plus the treasury), so any batch fits in
         a block.
    @param requests The payments (song id, amount offered, type, option).
    @return uint256 The total charged.
    """
    assert len(requests) > 0, "router: empty batch"
    config: uint256 = self._live_config()
    total: uint256 = 0
    credits_: uint256 = 0
    for r: PaymentRequest in requests:
        charged: uint256 = self._process(r.song_id, r.amount, r.payment_type, r.option, config)
        if charged != 0:
            # The song's slot is warm now; a charged payment credited
            # its recipients (1 without splits) and the treasury.
            credits_ += max((self._song[r.song_id] >> _COUNT_SHIFT) & 255, 1) + 1
            assert credits_ <= MAX_BATCH_CREDITS, "router: batch too large"
            total += charged
    if total != 0:
        self._pull(total)
    return total


@external
@nonreentrant
def withdraw() -> uint256:
    """
    @dev Sends the caller all their credited earnings. Works while the
         router is paused.
    @return uint256 The amount sent.
    """
    amount: uint256 = self.credits[msg.sender]
    assert amount != 0, "router: nothing to withdraw"
    self.credits[msg.sender] = 0
    assert extcall token.transfer(msg.sender, amount, default_return_value=True), "router: token transfer failed"
    log Withdrawal(recipient=msg.sender, amount=amount)
    return amount


# ---------------------------------------------------------------- views


@view
@external
def fee_bps() -> uint256:
    """
    @dev The protocol fee in basis points.
    @return uint256 The fee.
    """
    return (self._config >> _FEE_SHIFT) & convert(max_value(uint16), uint256)


@view
@external
def treasury() -> address:
    """
    @dev The address credited with protocol fees.
    @return address The treasury.
    """
    return convert(convert(self._config & _ADDRESS_MASK, uint160), address)


@view
@external
def paused() -> bool:
    """
    @dev Whether payments are stopped.
    @return bool True if paused.
    """
    return self._config & _PAUSED_BIT != 0


@view
@external
def strategies(strategy_id: bytes32) -> address:
    """
    @dev The contract registered under a strategy id, zero if none.
    @param strategy_id The 32-byte strategy id.
    @return address The strategy contract.
    """
    return self._address_of(self._strategy[strategy_id])


@view
@external
def strategy_quarantined(strategy_id: bytes32) -> bool:
    """
    @dev Whether a strategy is quarantined (no payments, no access).
    @param strategy_id The 32-byte strategy id.
    @return bool True if quarantined.
    """
    return self._strategy[strategy_id] & _QUARANTINED_BIT != 0


@view
@external
def strategy_enabled(strategy_id: bytes32) -> bool:
    """
    @dev Whether new songs may use a strategy.
    @param strategy_id The 32-byte strategy id.
    @return bool True if open to new songs.
    """
    return self._strategy[strategy_id] & _ENABLED_BIT != 0


@view
@external
def song_artist(song_id: bytes32) -> address:
    """
    @dev The artist of record of a song, zero if unregistered.
    @param song_id The 32-byte song id.
    @return address The artist.
    """
    return self._address_of(self._song[song_id])


@view
@external
def song_strategy(song_id: bytes32) -> address:
    """
    @dev The strategy contract of a song, zero if unregistered.
    @param song_id The 32-byte song id.
    @return address The strategy.
    """
    return self._strategy_of(self._song[song_id])


@view
@external
def song_strategy_id(song_id: bytes32) -> bytes32:
    """
    @dev The strategy id of a song, zero if unregistered.
    @param song_id The 32-byte song id.
    @return bytes32 The strategy id.
    """
    return self.strategy_id_of[self._strategy_of(self._song[song_id])]


@view
@external
def song_id_of(artist: address, salt: bytes32) -> bytes32:
    """
    @dev The id `register_song(salt, ...)` gives a song of `artist`:
         `keccak256(artist ‖ salt)`, 20 address bytes then 32 salt bytes.
    @param artist The 20-byte artist address.
    @param salt The 32-byte salt.
    @return bytes32 The song id.
    """
    return self._song_id(artist, salt)


@view
@external
def pending_artist(song_id: bytes32) -> address:
    """
    @dev The address a song is offered to, zero if no offer is pending.
    @param song_id The 32-byte song id.
    @return address The pending artist.
    """
    return self._pending[song_id]


@view
@external
def splits_digest(song_id: bytes32) -> bytes32:
    """
    @dev What `accept_song` checks: keccak256 of the ABI encoding of
         the configured splits as `(address[], uint16[], uint8[])`
         (recipients, bps, roles; all three empty when none are
         configured). Reverts for an unregistered song.
    @param song_id The 32-byte song id.
    @return bytes32 The digest.
    """
    return self._splits_digest(song_id, self._registered(song_id))


@view
@external
def splits(song_id: bytes32) -> DynArray[Split, MAX_SPLITS]:
    """
    @dev A song's splits; without configured splits, 100 % to the
         artist. Reverts for an unregistered song.
    @param song_id The 32-byte song id.
    @return DynArray The recipients, shares and roles.
    """
    info: uint256 = self._registered(song_id)
    result: DynArray[Split, MAX_SPLITS] = []
    n: uint256 = (info >> _COUNT_SHIFT) & 255
    if n == 0:
        result.append(Split(recipient=self._address_of(info), bps=10_000, role=ROLE_ARTIST))
        return result
    for i: uint256 in range(n, bound=MAX_SPLITS):
        packed: uint256 = self._split[song_id][i]
        result.append(
            Split(
                recipient=self._address_of(packed),
                bps=convert((packed >> _BPS_SHIFT) & 65535, uint16),
                role=convert((packed >> _ROLE_SHIFT) & 255, uint8),
            )
        )
    return result


@view
@external
def preview_distribution(song_id: bytes32, amount: uint256) -> (uint256, DynArray[Share, MAX_SPLITS]):
    """
    @dev How a charge of `amount` would be divided now: the protocol fee
         and each recipient's credit (summing to `amount - fee`).
    @param song_id The 32-byte song id.
    @param amount The charged amount to divide.
    @return uint256 The protocol fee.
    @return DynArray The credit of each split recipient, in split order.
    """
    info: uint256 = self._registered(song_id)
    fee: uint256 = amount * ((self._config >> _FEE_SHIFT) & 65535) // BPS
    net: uint256 = amount - fee
    shares: DynArray[Share, MAX_SPLITS] = []
    n: uint256 = (info >> _COUNT_SHIFT) & 255
    if n == 0:
        shares.append(Share(recipient=self._address_of(info), amount=net))
        return fee, shares
    others: uint256 = 0
    for i: uint256 in range(1, n, bound=MAX_SPLITS):
        others += net * ((self._split[song_id][i] >> _BPS_SHIFT) & 65535) // BPS
    shares.append(Share(recipient=self._address_of(self._split[song_id][0]), amount=net - others))
    for i: uint256 in range(1, n, bound=MAX_SPLITS):
        packed: uint256 = self._split[song_id][i]
        shares.append(Share(recipient=self._address_of(packed), amount=net * ((packed >> _BPS_SHIFT) & 65535) // BPS))
    return fee, shares


@view
@external
def quote(song_id: bytes32, payer: address, payment_type: uint8, option: uint256 = 0) -> uint256:
    """
    @dev What a payment would be charged now, from the song's strategy.
    @param song_id The 32-byte song id.
    @param payer The 20-byte address that would pay.
    @param payment_type The payment type.
    @param option The strategy-specific choice.
    @return uint256 The charge.
    """
    info: uint256 = self._registered(song_id)
    assert payment_type <= ACCESS, "router: unknown payment type"
    slot: uint256 = self._strategy_slot(info)
    assert slot & _AT_QUARANTINED_BIT == 0, "router: strategy quarantined"
    if payment_type == STREAM and self._retained(song_id, info, payer):
        return 0
    return staticcall IStrategy(self._address_of(slot)).quote(song_id, payer, payment_type, option)


@view
@external
def is_authorized(song_id: bytes32, listener: address) -> bool:
    """
    @dev Whether `listener` may stream `song_id` now without paying for
         the play: the song's strategy authorises them, or an earlier
         strategy of the song still holds access sold to them. False for
         an unregistered song; a quarantined strategy grants nothing.
    @param song_id The 32-byte song id.
    @param listener The 20-byte listener address.
    @return bool True if authorised.
    """
    info: uint256 = self._song[song_id]
    if info == 0:
        return False
    slot: uint256 = self._strategy_slot(info)
    if slot & _AT_QUARANTINED_BIT == 0:
        if staticcall IStrategy(self._address_of(slot)).is_authorized(song_id, listener):
            return True
    return self._retained(song_id, info, listener)


@view
@external
def is_payee(song_id: bytes32, account: address) -> bool:
    """
    @dev Whether `account` is paid by a song: its artist of record or
         one of its configured split recipients. Strategies that reward
         listeners use it so nobody is rewarded for playing a song they
         earn from. False for an unregistered song.
    @param song_id The 32-byte song id.
    @param account The 20-byte address.
    @return bool True for the artist and every split recipient.
    """
    info: uint256 = self._song[song_id]
    if info == 0:
        return False
    if self._address_of(info) == account:
        return True
    for i: uint256 in range((info >> _COUNT_SHIFT) & 255, bound=MAX_SPLITS):
        if self._address_of(self._split[song_id][i]) == account:
            return True
    return False


# ------------------------------------------------------------ internals


@internal
def _check_owner():
    assert msg.sender == ownable.owner, "router: caller is not the owner"


@view
@internal
def _open_strategy(strategy_id: bytes32) -> uint256:
    packed: uint256 = self._strategy[strategy_id]
    assert packed != 0, "router: unknown strategy"
    assert packed & _ENABLED_BIT != 0, "router: strategy disabled"
    assert packed & _QUARANTINED_BIT == 0, "router: strategy quarantined"
    return (packed >> _REGISTRY_INDEX_SHIFT) & _INDEX_MASK


@view
@internal
def _registered(song_id: bytes32) -> uint256:
    info: uint256 = self._song[song_id]
    assert info != 0, "router: song not registered"
    return info


@view
@internal
def _artist_song(song_id: bytes32) -> uint256:
    info: uint256 = self._registered(song_id)
    assert self._address_of(info) == msg.sender, "router: caller is not the artist"
    return info


@view
@internal
def _live_config() -> uint256:
    config: uint256 = self._config
    assert config & _PAUSED_BIT == 0, "router: paused"
    return config


@pure
@internal
def _address_of(packed: uint256) -> address:
    return convert(convert(packed & _ADDRESS_MASK, uint160), address)


@view
@internal
def _strategy_slot(info: uint256) -> uint256:
    return self._strategy_at[(info >> _INDEX_SHIFT) & _SONG_INDEX_MASK]


@view
@internal
def _strategy_of(info: uint256) -> address:
    return self._address_of(self._strategy_slot(info))


@pure
@internal
def _song_id(artist: address, salt: bytes32) -> bytes32:
    return keccak256(concat(convert(artist, bytes20), salt))


@view
@internal
def _retained(song_id: bytes32, info: uint256, listener: address) -> bool:
    """
    @dev Whether a strategy the song used before its current one (and
         not quarantined) still holds access for `listener`. Songs that
         never changed strategy have no such bit and cost no call.
    """
    index: uint256 = (info >> _INDEX_SHIFT) & _SONG_INDEX_MASK
    earlier: uint256 = (info >> (_HISTORY_SHIFT + 1)) & ~(1 << (index - 1))
    for i: uint256 in range(1, MAX_STRATEGIES + 1):
        if earlier == 0:
            break
        if earlier & 1 != 0:
            slot: uint256 = self._strategy_at[i]
            if slot & _AT_QUARANTINED_BIT == 0:
                if staticcall IStrategy(self._address_of(slot)).holds_access(song_id, listener):
                    return True
        earlier >>= 1
    return False


@view
@internal
def _splits_digest(song_id: bytes32, info: uint256) -> bytes32:
    recipients: DynArray[address, MAX_SPLITS] = []
    bps: DynArray[uint16, MAX_SPLITS] = []
    roles: DynArray[uint8, MAX_SPLITS] = []
    n: uint256 = (info >> _COUNT_SHIFT) & 255
    for i: uint256 in range(n, bound=MAX_SPLITS):
        packed: uint256 = self._split[song_id][i]
        recipients.append(self._address_of(packed))
        bps.append(convert((packed >> _BPS_SHIFT) & 65535, uint16))
        roles.append(convert((packed >> _ROLE_SHIFT) & 255, uint8))
    return keccak256(abi_encode(recipients, bps, roles))


@internal
def _process(song_id: bytes32, amount: uint256, payment_type: uint8, option: uint256, config: uint256) -> uint256:
    # Checks inlined rather than shared: this is the hot path.
    info: uint256 = self._song[song_id]
    assert info != 0, "router: song not registered"
    assert payment_type <= ACCESS, "router: unknown payment type"
    slot: uint256 = self._strategy_at[(info >> _INDEX_SHIFT) & _SONG_INDEX_MASK]
    assert slot & _AT_QUARANTINED_BIT == 0, "router: strategy quarantined"
    strategy: address = convert(convert(slot & _ADDRESS_MASK, uint160), address)
    charged: uint256 = 0
    # A song that never changed strategy has only its current bit set
    # and skips the history walk.
    if (
        payment_type != STREAM
        or info >> _HISTORY_SHIFT == 1 << ((info >> _INDEX_SHIFT) & _SONG_INDEX_MASK)
        or not self._retained(song_id, info, msg.sender)
    ):
        charged = extcall IStrategy(strategy).charge(song_id, msg.sender, amount, payment_type, option)
    assert charged <= amount, "router: charge exceeds offer"
    fee: uint256 = 0
    if charged != 0:
        fee = charged * ((config >> _FEE_SHIFT) & 65535) // BPS
        if fee != 0:
            treasury_: address = self._address_of(config)
            self.credits[treasury_] += fee
        self._distribute(song_id, info, charged - fee)
    log Payment(
        song_id=song_id, payer=msg.sender, strategy=strategy, payment_type=payment_type, amount=charged, fee=fee
    )
    return charged


@internal
def _distribute(song_id: bytes32, info: uint256, net: uint256):
    n: uint256 = (info >> _COUNT_SHIFT) & 255
    if n == 0:
        self.credits[self._address_of(info)] += net
        return
    rest: uint256 = net
    for i: uint256 in range(1, n, bound=MAX_SPLITS):
        packed: uint256 = self._split[song_id][i]
        share: uint256 = net * ((packed >> _BPS_SHIFT) & 65535) // BPS
        rest = unsafe_sub(rest, share)
        self.credits[self._address_of(packed)] += share
    self.credits[self._address_of(self._split[song_id][0])] += rest


@internal
def _pull(amount: uint256):
    # Credits promise what arrived: a fee-on-transfer (or otherwise
    # short) token would leave the last withdrawer unpaid.
    before: uint256 = staticcall token.balanceOf(self)
    assert extcall token.transferFrom(msg.sender, self, amount, default_return_value=True), "router: token transfer failed"
    assert staticcall token.balanceOf(self) >= before + amount, "router: short transfer"
