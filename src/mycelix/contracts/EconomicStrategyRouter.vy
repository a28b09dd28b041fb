# pragma version ~=0.4.3
# pragma evm-version cancun
# pragma optimize codesize
# (codesize: the router is within 1 kB of EIP-170's 24,576 bytes with
# its immutables; gas mode would cost ~140 gas less per payment and
# does not fit.)
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
        payments).

        Listeners may also deposit into a balance here and pay from it:
        directly (`pay_from_balance`, no token moves) or by signing
        EIP-712 play vouchers that anyone settles in batches
        (`settle_vouchers`); `listener_balances` keeps those books. A
        balance is withdrawn only after a notice period, so vouchers
        already signed can still settle. The router's token balance
        always equals unwithdrawn credits plus listener balances.

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
        - `_config`: fee bps (bits 0-15) | paused (16) | quarantined
          (bit 16 + registry index i, 17-96) | fees accrued to the
          treasury and not yet in its credits (97-255). Every payment
          reads this slot, so its quarantine check costs nothing and
          adding its fee here is a warm write instead of a cold read
          and write of the treasury's credit; `credits(treasury)` and
          `withdraw` count the accrued fees in. The treasury's address
          is in `_treasury`, which no payment reads.
        - `_song`: artist (0-159) | number of splits (160-167) |
          strategy index (168-175) | strategies used (176-255, bit
          175 + i for registry index i), so registering a song writes
          one new slot and a payment reads one slot for the song, its
          strategy history included. Once splits are configured the
          artist is not paid as such, so bits 0-159 hold the strategy's
          address instead (kept by `change_strategy`) and the artist
          moves to `_artist`: a split song's payment reads no registry
          slot
        - `_strategy`: contract (0-159) | index (160-175) | enabled (176) |
          quarantined (177)
        - `_strategy_at`: contract (0-159) | quarantined (160), read by
          unsplit songs' payments, views and the access walk
        - `_split[song][i]`, i >= 1: recipient i (0-159) | bps
          (160-175) | with 3 or more recipients, bits 0-79 (i = 1) and
          80-159 (i = 2) of the first recipient (176-255). The first
          recipient's share is the rest, so it needs no bps, and its
          address rides in bits a payment reads anyway: a 3-way split
          costs 2 cold slots, not 3. `_split[song][0]` holds the first
          recipient only with 1 or 2 recipients. Roles, which no
          payment reads, are in `_split_roles` (8 bits each, 32 a slot)
"""


from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import eip712_domain_separator

from . import listener_balances
from .interfaces import IStrategy

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: eip712_domain_separator
initializes: listener_balances[eip712_domain_separator := eip712_domain_separator]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    eip712_domain_separator.eip712Domain,
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

# @dev Why `settle_vouchers` skipped a voucher (`VoucherSkipped.reason`):
# not signed by its listener for this chain and router; past its
# expiry; nonce settled already, too old for the window or above 64
# bits; amount above the listener's balance; song unregistered or its
# strategy quarantined; the strategy refused the charge; the batch's
# credits are used up (the voucher may be submitted again).
SKIP_SIGNATURE: public(constant(uint8)) = 1
SKIP_EXPIRED: public(constant(uint8)) = 2
SKIP_REPLAYED: public(constant(uint8)) = 3
SKIP_BALANCE: public(constant(uint8)) = 4
SKIP_SONG: public(constant(uint8)) = 5
SKIP_REFUSED: public(constant(uint8)) = 6
SKIP_BATCH_FULL: public(constant(uint8)) = 7

_MAX_NONCE: constant(uint256) = (1 << 64) - 1
_S_MASK: constant(uint256) = (1 << 255) - 1
_CHARGE_SELECTOR: constant(bytes4) = method_id("charge(bytes32,address,uint256,uint8,uint256)", output_type=bytes4)
_PERMIT_SELECTOR: constant(bytes4) = method_id("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", output_type=bytes4)

# @dev Role code of the implicit 100 % split to the artist.
ROLE_ARTIST: public(constant(uint8)) = 0

_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
_FEE_SHIFT: constant(uint256) = 0
_PAUSED_BIT: constant(uint256) = 1 << 16
_CONFIG_QUARANTINE_SHIFT: constant(uint256) = 16
_FEES_SHIFT: constant(uint256) = 97
_MAX_FEES: constant(uint256) = (1 << 159) - 1
_SETTINGS_MASK: constant(uint256) = (1 << 97) - 1
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
_FIRST_SHIFT: constant(uint256) = 176
_MASK_80: constant(uint256) = (1 << 80) - 1


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


# @dev A listener's signed authorisation of one stream (see
# `listener_balances` for the EIP-712 type), with its signature in
# EIP-2098 compact form: `vs` is s with the recovery bit (v - 27) in
# its top bit, one calldata word less per voucher.
struct PlayVoucher:
    listener: address
    song_id: bytes32
    amount: uint256
    nonce: uint256
    expiry: uint256
    r: bytes32
    vs: bytes32


# @dev The ERC-20 every payment is made in (FLOW on a dev chain).
token: public(immutable(IERC20))

# @dev Strategy registry: contract -> id, and the number of strategies
# ever registered (indices start at 1).
strategy_id_of: public(HashMap[address, bytes32])
strategy_count: public(uint256)

# @dev Withdrawable earnings of each address (the treasury's fees
# accrue in `_config` first: `credits` adds them).
_credits: HashMap[address, uint256]

_config: uint256
_treasury: address
_song: HashMap[bytes32, uint256]
_artist: HashMap[bytes32, address]
_strategy: HashMap[bytes32, uint256]
_strategy_at: HashMap[uint256, uint256]
_split: HashMap[bytes32, HashMap[uint256, uint256]]
_split_roles: HashMap[bytes32, HashMap[uint256, uint256]]
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


event Deposit:
    listener: indexed(address)
    amount: uint256


event WithdrawalRequested:
    listener: indexed(address)
    unlocks_at: uint256


event BalanceWithdrawn:
    listener: indexed(address)
    amount: uint256


# @dev A settled voucher: a STREAM of `song_id` by `listener` through
# the song's current strategy, in place of a `Payment` event (one log
# per voucher, not two); `amount` and `fee` as in `Payment`.
event VoucherSettled:
    song_id: indexed(bytes32)
    listener: indexed(address)
    nonce: uint256
    amount: uint256
    fee: uint256


event VoucherSkipped:
    listener: indexed(address)
    nonce: uint256
    reason: uint8


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
    eip712_domain_separator.__init__("Mycelix Router", "1")
    token = token_
    self._treasury = treasury_
    self._config = DEFAULT_FEE_BPS << _FEE_SHIFT
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
@nonreentrant
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
    self._config = self._config | (1 << (_CONFIG_QUARANTINE_SHIFT + index))
    log StrategyQuarantined(strategy_id=strategy_id)


@external
@nonreentrant
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
    self._config = self._config & ~(1 << (_CONFIG_QUARANTINE_SHIFT + index))
    log StrategyReleased(strategy_id=strategy_id)


@external
@nonreentrant
def set_fee(fee_bps: uint256):
    """
    @dev Sets the protocol fee taken from every charged payment. Owner
         only; at most `MAX_FEE_BPS` (5 %).
    @param fee_bps The new fee in basis points.
    """
    self._check_owner()
    assert fee_bps <= MAX_FEE_BPS, "router: fee above maximum"
    config: uint256 = self._config
    self._config = (config & ~convert(max_value(uint16), uint256)) | fee_bps
    log FeeChanged(fee_bps=fee_bps)


@external
@nonreentrant
def set_treasury(treasury_: address):
    """
    @dev Sets the address credited with future fees. Owner only. Fees
         already credited stay with the previous treasury.
    @param treasury_ The 20-byte treasury address.
    """
    self._check_owner()
    assert treasury_ != empty(address), "router: zero treasury"
    config: uint256 = self._config
    # Fees accrued so far are the previous treasury's: credited to it.
    accrued: uint256 = config >> _FEES_SHIFT
    if accrued != 0:
        self._credits[self._treasury] += accrued
        self._config = config & _SETTINGS_MASK
    self._treasury = treasury_
    log TreasuryChanged(treasury=treasury_)


@external
@nonreentrant
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
@nonreentrant
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
    info = (info & ~(_SONG_INDEX_MASK << _INDEX_SHIFT)) | (index << _INDEX_SHIFT) | (1 << (_HISTORY_SHIFT + index))
    if (info >> _COUNT_SHIFT) & 255 != 0:
        info = (info & ~_ADDRESS_MASK) | (self._strategy_at[index] & _ADDRESS_MASK)
    self._song[song_id] = info
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
    previous: address = self._artist_of(song_id, info)
    if (info >> _COUNT_SHIFT) & 255 == 0:
        self._song[song_id] = (info & ~_ADDRESS_MASK) | convert(msg.sender, uint256)
    else:
        self._artist[song_id] = msg.sender
    log SongTransferred(song_id=song_id, previous_artist=previous, artist=msg.sender)


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
    first: uint256 = convert(recipients[0], uint256)
    if n < 3:
        self._split[song_id][0] = first
        first = 0
    role_words: uint256[2] = empty(uint256[2])
    for i: uint256 in range(n, bound=MAX_SPLITS):
        assert recipients[i] != empty(address), "router: zero recipient"
        assert bps[i] > 0, "router: zero share"
        total += convert(bps[i], uint256)
        role_words[i >> 5] |= convert(roles[i], uint256) << ((i & 31) << 3)
        if i != 0:
            # With 3 or more recipients, slots 1 and 2 carry the first
            # one's address, 80 bits each.
            self._split[song_id][i] = (
                convert(recipients[i], uint256)
                | (convert(bps[i], uint256) << _BPS_SHIFT)
                | (((first >> (80 * (i - 1))) & _MASK_80) << _FIRST_SHIFT)
            )
    for j: uint256 in range(2):
        if role_words[j] != 0:
            self._split_roles[song_id][j] = role_words[j]
    assert total == BPS, "router: shares must sum to 10000"
    # From now on the song's slot names its strategy, read by every
    # payment, and the artist (read by artist-only calls) moves out.
    self._artist[song_id] = msg.sender
    self._song[song_id] = (
        (info & ~_ADDRESS_MASK)
        | (n << _COUNT_SHIFT)
        | (self._strategy_at[(info >> _INDEX_SHIFT) & _SONG_INDEX_MASK] & _ADDRESS_MASK)
    )
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
    charged: uint256 = 0
    fee: uint256 = 0
    charged, fee = self._process(song_id, amount, payment_type, option, config)
    if charged != 0:
        if fee != 0:
            self._accrue(config, fee)
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
    fees: uint256 = 0
    for r: PaymentRequest in requests:
        charged: uint256 = 0
        fee: uint256 = 0
        charged, fee = self._process(r.song_id, r.amount, r.payment_type, r.option, config)
        fees += fee
        if charged != 0:
            # The song's slot is warm now; a charged payment credited
            # its recipients (1 without splits) and the treasury.
            credits_ += max((self._song[r.song_id] >> _COUNT_SHIFT) & 255, 1) + 1
            assert credits_ <= MAX_BATCH_CREDITS, "router: batch too large"
            total += charged
    if fees != 0:
        self._accrue(config, fees)
    if total != 0:
        self._pull(total)
    return total


@external
@nonreentrant
def withdraw() -> uint256:
    """
    @dev Sends the caller all their credited earnings (the treasury's
         include the fees accrued in the config slot). Works while the
         router is paused.
    @return uint256 The amount sent.
    """
    amount: uint256 = self._credits[msg.sender]
    if msg.sender == self._treasury:
        # The treasury takes its accrued fees too.
        config: uint256 = self._config
        amount += config >> _FEES_SHIFT
        self._config = config & _SETTINGS_MASK
    assert amount != 0, "router: nothing to withdraw"
    self._credits[msg.sender] = 0
    assert extcall token.transfer(msg.sender, amount, default_return_value=True), "router: token transfer failed"
    log Withdrawal(recipient=msg.sender, amount=amount)
    return amount


# ----------------------------------------------------- listener balances


@external
@nonreentrant
def deposit(amount: uint256):
    """
    @dev Adds `amount` to the caller's listener balance, pulled from
         them (who must have approved the router). The balance pays
         streams with `pay_from_balance` and settles the caller's
         signed vouchers.
    @param amount The amount in token units, non-zero.
    """
    self._deposit(amount)


@external
@nonreentrant
def deposit_with_permit(amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32):
    """
    @dev `deposit` in one transaction with an EIP-2612 permit of the
         caller for the router. A permit that fails (already used, e.g.
         by someone who saw it first) is ignored: the pull then needs
         the allowance to be there anyway.
    @param amount The amount in token units, non-zero; also the permit's
           value.
    @param deadline The permit's deadline.
    @param v The permit signature's recovery id.
    @param r The permit signature's r.
    @param s The permit signature's s.
    """
    permitted: bool = raw_call(
        token.address,
        abi_encode(msg.sender, self, amount, deadline, v, r, s, method_id=_PERMIT_SELECTOR),
        revert_on_failure=False,
    )
    self._deposit(amount)


@external
@nonreentrant
def pay_from_balance(song_id: bytes32, amount: uint256, payment_type: uint8, option: uint256 = 0) -> uint256:
    """
    @dev `pay`, charged to the caller's listener balance instead of
         pulled from their wallet: no token moves, the charge becomes
         credits by the same rule.
    @param song_id The 32-byte song id.
    @param amount The most the caller offers, in token units.
    @param payment_type STREAM 0, DOWNLOAD 1, TIP 2, PATRONAGE 3, ACCESS 4.
    @param option A strategy-specific choice (the patronage tier).
    @return uint256 The amount charged.
    """
    config: uint256 = self._config
    assert config & _PAUSED_BIT == 0, "router: paused"
    charged: uint256 = 0
    fee: uint256 = 0
    charged, fee = self._process(song_id, amount, payment_type, option, config)
    if charged != 0:
        # `_accrue` inlined but for its overflow branch: the hot path.
        accrued: uint256 = (config >> _FEES_SHIFT) + fee
        if accrued > _MAX_FEES:
            self._accrue(config, fee)
        elif fee != 0:
            self._config = (config & _SETTINGS_MASK) | (accrued << _FEES_SHIFT)
        packed: uint256 = listener_balances.account[msg.sender]
        assert charged <= packed & listener_balances.MAX_BALANCE, "router: balance too low"
        listener_balances.account[msg.sender] = unsafe_sub(packed, charged)
    return charged


@external
@nonreentrant
def settle_vouchers(vouchers: DynArray[PlayVoucher, MAX_BATCH]) -> uint256:
    """
    @dev Settles signed play vouchers, anyone may submit them. Each is
         a STREAM by its listener, charged by the song's strategy
         (at most the voucher's amount), paid from the listener's
         balance and divided exactly as by `pay`, with the same
         `Payment` event plus `VoucherSettled`. A voucher that cannot
         settle (see the SKIP_ reasons) is skipped with a
         `VoucherSkipped` event and changes nothing; the others go on.
         Reverts only if paused, the batch is empty, or a strategy
         charges more than offered.
    @param vouchers The vouchers, in any order.
    @return uint256 The total charged.
    """
    assert len(vouchers) > 0, "router: empty batch"
    config: uint256 = self._live_config()
    total: uint256 = 0
    credits_: uint256 = 0
    # Computed once: every voucher is hashed in this domain, and the
    # batch's fees accrue to the treasury in one write.
    domain: bytes32 = eip712_domain_separator._domain_separator_v4()
    fee_bps: uint256 = (config >> _FEE_SHIFT) & 65535
    fees: uint256 = 0
    for v: PlayVoucher in vouchers:
        if v.expiry < block.timestamp:
            self._skip(v, SKIP_EXPIRED)
            continue
        if v.nonce > _MAX_NONCE:
            self._skip(v, SKIP_REPLAYED)
            continue
        # Nonces, not signatures, guard against replay, so a malleable
        # (high-s) signature gains nothing.
        digest: bytes32 = keccak256(
            concat(
                x"1901",
                domain,
                keccak256(
                    abi_encode(listener_balances.VOUCHER_TYPEHASH, v.listener, v.song_id, v.amount, v.nonce, v.expiry)
                ),
            )
        )
        vs: uint256 = convert(v.vs, uint256)
        if v.listener == empty(address) or ecrecover(digest, 27 + (vs >> 255), v.r, vs & _S_MASK) != v.listener:
            self._skip(v, SKIP_SIGNATURE)
            continue
        # The replay window, inlined (see `listener_balances`): a nonce
        # above the highest moves the window up, one below it must be
        # inside it with its bit clear.
        packed: uint256 = listener_balances.account[v.listener]
        high: uint256 = (packed >> listener_balances.HIGH_SHIFT) & _MAX_NONCE
        window: uint256 = packed >> listener_balances.WINDOW_SHIFT
        if v.nonce > high:
            step: uint256 = unsafe_sub(v.nonce, high)
            if step >= listener_balances.NONCE_WINDOW:
                window = 1
            else:
                window = ((window << step) | 1) & _MAX_NONCE
            high = v.nonce
        else:
            below: uint256 = unsafe_sub(high, v.nonce)
            if below >= listener_balances.NONCE_WINDOW or (window >> below) & 1 != 0:
                self._skip(v, SKIP_REPLAYED)
                continue
            window = window | (1 << below)
        # The offer, not the charge, must be covered: the strategy
        # records the play when it charges, so it is asked only once
        # the voucher can pay whatever it answers.
        if v.amount > packed & listener_balances.MAX_BALANCE:
            self._skip(v, SKIP_BALANCE)
            continue
        info: uint256 = self._song[v.song_id]
        if info == 0:
            self._skip(v, SKIP_SONG)
            continue
        if config & (1 << (_CONFIG_QUARANTINE_SHIFT + ((info >> _INDEX_SHIFT) & _SONG_INDEX_MASK))) != 0:
            self._skip(v, SKIP_SONG)
            continue
        n: uint256 = max((info >> _COUNT_SHIFT) & 255, 1) + 1
        if credits_ + n > MAX_BATCH_CREDITS:
            self._skip(v, SKIP_BATCH_FULL)
            continue
        strategy: address = self._payment_strategy(info)
        charged: uint256 = 0
        if info >> _HISTORY_SHIFT == 1 << ((info >> _INDEX_SHIFT) & _SONG_INDEX_MASK) or not self._retained(
            v.song_id, info, v.listener
        ):
            ok: bool = False
            response: Bytes[32] = b""
            ok, response = raw_call(
                strategy,
                abi_encode(v.song_id, v.listener, v.amount, STREAM, empty(uint256), method_id=_CHARGE_SELECTOR),
                max_outsize=32,
                revert_on_failure=False,
            )
            if not ok or len(response) != 32:
                self._skip(v, SKIP_REFUSED)
                continue
            charged = convert(extract32(response, 0), uint256)
            assert charged <= v.amount, "router: charge exceeds offer"
        listener_balances.account[v.listener] = (
            unsafe_sub(packed & listener_balances.MAX_BALANCE, charged)
            | (high << listener_balances.HIGH_SHIFT)
            | (window << listener_balances.WINDOW_SHIFT)
        )
        fee: uint256 = 0
        if charged != 0:
            credits_ += n
            fee = charged * fee_bps // BPS
            fees += fee
            # `_distribute`, inlined: the call alone costs a few hundred
            # gas per voucher.
            net: uint256 = charged - fee
            count: uint256 = (info >> _COUNT_SHIFT) & 255
            if count == 0:
                self._credits[self._address_of(info)] += net
            else:
                rest: uint256 = net
                first: uint256 = 0
                for i: uint256 in range(1, count, bound=MAX_SPLITS):
                    split: uint256 = self._split[v.song_id][i]
                    share: uint256 = net * ((split >> _BPS_SHIFT) & 65535) // BPS
                    rest = unsafe_sub(rest, share)
                    self._credits[convert(convert(split & _ADDRESS_MASK, uint160), address)] += share
                    if i <= 2:
                        first |= (split >> _FIRST_SHIFT) << (80 * (i - 1))
                if count < 3:
                    first = self._split[v.song_id][0]
                self._credits[self._address_of(first)] += rest
            total += charged
        log VoucherSettled(song_id=v.song_id, listener=v.listener, nonce=v.nonce, amount=charged, fee=fee)
    if fees != 0:
        self._accrue(config, fees)
    return total


@external
def request_withdrawal():
    """
    @dev Gives notice that the caller will withdraw their balance:
         `withdraw_balance` works from `WITHDRAWAL_NOTICE` seconds on,
         so vouchers signed before can still be settled. Asking again
         restarts the notice.
    """
    assert listener_balances.account[msg.sender] & listener_balances.MAX_BALANCE != 0, "router: no balance"
    unlocks_at: uint256 = block.timestamp + listener_balances.WITHDRAWAL_NOTICE
    listener_balances.withdrawal_at[msg.sender] = unlocks_at
    log WithdrawalRequested(listener=msg.sender, unlocks_at=unlocks_at)


@external
@nonreentrant
def withdraw_balance(amount: uint256):
    """
    @dev Sends the caller `amount` of their balance once their notice
         has run; the notice is then used up. Works while paused.
    @param amount The amount in token units, non-zero, at most the
           balance.
    """
    unlocks_at: uint256 = listener_balances.withdrawal_at[msg.sender]
    assert unlocks_at != 0, "router: no withdrawal requested"
    assert block.timestamp >= unlocks_at, "router: withdrawal notice running"
    assert amount != 0, "router: zero amount"
    packed: uint256 = listener_balances.account[msg.sender]
    assert amount <= packed & listener_balances.MAX_BALANCE, "router: balance too low"
    listener_balances.account[msg.sender] = unsafe_sub(packed, amount)
    listener_balances.withdrawal_at[msg.sender] = 0
    assert extcall token.transfer(msg.sender, amount, default_return_value=True), "router: token transfer failed"
    log BalanceWithdrawn(listener=msg.sender, amount=amount)


# ---------------------------------------------------------------- views


@view
@external
def balance_of(listener: address) -> uint256:
    """
    @dev A listener's unspent deposited balance.
    @param listener The 20-byte listener address.
    @return uint256 The balance in token units.
    """
    return listener_balances.account[listener] & listener_balances.MAX_BALANCE


@view
@external
def withdrawal_unlocks_at(listener: address) -> uint256:
    """
    @dev When a listener's requested withdrawal may be made, 0 if none
         is requested.
    @param listener The 20-byte listener address.
    @return uint256 A unix time.
    """
    return listener_balances.withdrawal_at[listener]


@view
@external
def withdrawal_notice() -> uint256:
    """
    @dev Seconds between `request_withdrawal` and `withdraw_balance`.
    @return uint256 The notice period.
    """
    return listener_balances.WITHDRAWAL_NOTICE


@view
@external
def voucher_nonce_used(listener: address, nonce: uint256) -> bool:
    """
    @dev Whether a voucher of `listener` with `nonce` can no longer
         settle: settled already, or too old for the replay window.
    @param listener The 20-byte listener address.
    @param nonce The voucher nonce.
    @return bool True if used.
    """
    if nonce > _MAX_NONCE:
        return True
    return listener_balances._nonce_used(listener_balances.account[listener], nonce)


@view
@external
def next_voucher_nonce(listener: address) -> uint256:
    """
    @dev One above the highest nonce of `listener` settled so far (0
         before any): where a client that lost count starts again.
    @param listener The 20-byte listener address.
    @return uint256 The nonce.
    """
    packed: uint256 = listener_balances.account[listener]
    if packed >> listener_balances.WINDOW_SHIFT == 0:
        return 0
    return ((packed >> listener_balances.HIGH_SHIFT) & _MAX_NONCE) + 1


@view
@external
def voucher_digest(listener: address, song_id: bytes32, amount: uint256, nonce: uint256, expiry: uint256) -> bytes32:
    """
    @dev The EIP-712 digest a listener signs for a play voucher.
    @param listener The 20-byte listener address.
    @param song_id The 32-byte song id.
    @param amount The most the play may be charged.
    @param nonce The voucher's nonce.
    @param expiry The last unix time it may settle.
    @return bytes32 The digest.
    """
    return listener_balances._voucher_digest(listener, song_id, amount, nonce, expiry)


@view
@external
def credits(account: address) -> uint256:
    """
    @dev What `account` may withdraw now: its credited earnings, and
         for the treasury also the fees accrued since its last
         withdrawal.
    @param account The 20-byte address.
    @return uint256 The amount in token units.
    """
    if account == self._treasury:
        return self._credits[account] + (self._config >> _FEES_SHIFT)
    return self._credits[account]


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
    return self._treasury


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
    return self._artist_of(song_id, self._song[song_id])


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
    return self._split_list(song_id, n)


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
    decoded: DynArray[Split, MAX_SPLITS] = self._split_list(song_id, n)
    for split: Split in decoded:
        share: uint256 = net * convert(split.bps, uint256) // BPS
        shares.append(Share(recipient=split.recipient, amount=share))
        if len(shares) > 1:
            others += share
    shares[0].amount = net - others
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
    n: uint256 = (info >> _COUNT_SHIFT) & 255
    if n == 0:
        return self._address_of(info) == account
    if self._artist[song_id] == account:
        return True
    for i: uint256 in range(1, n, bound=MAX_SPLITS):
        if self._address_of(self._split[song_id][i]) == account:
            return True
    return self._first_recipient(song_id, n) == account


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
    assert self._artist_of(song_id, info) == msg.sender, "router: caller is not the artist"
    return info


@view
@internal
def _live_config() -> uint256:
    config: uint256 = self._config
    assert config & _PAUSED_BIT == 0, "router: paused"
    return config


@view
@internal
def _artist_of(song_id: bytes32, info: uint256) -> address:
    # An unsplit song's slot names its artist; a split one's its strategy.
    if (info >> _COUNT_SHIFT) & 255 == 0:
        return self._address_of(info)
    return self._artist[song_id]


@view
@internal
def _payment_strategy(info: uint256) -> address:
    # A split song's slot names its strategy (no registry read).
    if (info >> _COUNT_SHIFT) & 255 == 0:
        return self._address_of(self._strategy_at[(info >> _INDEX_SHIFT) & _SONG_INDEX_MASK])
    return self._address_of(info)


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
    if n != 0:
        decoded: DynArray[Split, MAX_SPLITS] = self._split_list(song_id, n)
        for split: Split in decoded:
            recipients.append(split.recipient)
            bps.append(split.bps)
            roles.append(split.role)
    return keccak256(abi_encode(recipients, bps, roles))


@view
@internal
def _split_list(song_id: bytes32, n: uint256) -> DynArray[Split, MAX_SPLITS]:
    # The `n` (>= 1) configured splits, decoded (see `_split` above):
    # the first recipient's bps is what the others leave of 10000.
    result: DynArray[Split, MAX_SPLITS] = []
    others: uint256 = 0
    for i: uint256 in range(n, bound=MAX_SPLITS):
        packed: uint256 = self._split[song_id][i]
        share: uint256 = (packed >> _BPS_SHIFT) & 65535
        others += share
        result.append(
            Split(
                recipient=self._address_of(packed),
                bps=convert(share, uint16),
                role=convert((self._split_roles[song_id][i >> 5] >> ((i & 31) << 3)) & 255, uint8),
            )
        )
    result[0].recipient = self._first_recipient(song_id, n)
    result[0].bps = convert(BPS - others, uint16)
    return result


@view
@internal
def _first_recipient(song_id: bytes32, n: uint256) -> address:
    # See `_split` above: its own slot with 1 or 2 recipients, else
    # the top 80 bits of the next two.
    if n < 3:
        return self._address_of(self._split[song_id][0])
    return self._address_of(
        (self._split[song_id][1] >> _FIRST_SHIFT) | ((self._split[song_id][2] >> _FIRST_SHIFT) << 80)
    )


@internal
def _process(song_id: bytes32, amount: uint256, payment_type: uint8, option: uint256, config: uint256) -> (uint256, uint256):
    # Checks inlined rather than shared: this is the hot path.
    info: uint256 = self._song[song_id]
    assert info != 0, "router: song not registered"
    assert payment_type <= ACCESS, "router: unknown payment type"
    index: uint256 = (info >> _INDEX_SHIFT) & _SONG_INDEX_MASK
    assert config & (1 << (_CONFIG_QUARANTINE_SHIFT + index)) == 0, "router: strategy quarantined"
    # A split song's slot names its strategy (no registry read).
    packed: uint256 = info
    if (info >> _COUNT_SHIFT) & 255 == 0:
        packed = self._strategy_at[index]
    strategy: address = convert(convert(packed & _ADDRESS_MASK, uint160), address)
    charged: uint256 = 0
    # A song that never changed strategy has only its current bit set
    # and skips the history walk.
    if (
        payment_type != STREAM
        or info >> _HISTORY_SHIFT == 1 << index
        or not self._retained(song_id, info, msg.sender)
    ):
        charged = extcall IStrategy(strategy).charge(song_id, msg.sender, amount, payment_type, option)
    assert charged <= amount, "router: charge exceeds offer"
    fee: uint256 = 0
    if charged != 0:
        # The fee is accrued by the caller (`_accrue`), once per
        # transaction.
        fee = charged * ((config >> _FEE_SHIFT) & 65535) // BPS
        self._distribute(song_id, info, charged - fee)
    log Payment(
        song_id=song_id, payer=msg.sender, strategy=strategy, payment_type=payment_type, amount=charged, fee=fee
    )
    return charged, fee


@internal
def _accrue(config: uint256, fees: uint256):
    # `config` is current: the setters that write it take the payment
    # lock, so no strategy call can change it under a payment.
    accrued: uint256 = (config >> _FEES_SHIFT) + fees
    if accrued > _MAX_FEES:
        # Past the bits the slot has: into the treasury's credit.
        self._credits[self._treasury] += accrued
        accrued = 0
    self._config = (config & _SETTINGS_MASK) | (accrued << _FEES_SHIFT)


@internal
def _deposit(amount: uint256):
    assert amount != 0, "router: zero amount"
    packed: uint256 = listener_balances.account[msg.sender]
    assert (packed & listener_balances.MAX_BALANCE) + amount <= listener_balances.MAX_BALANCE, "router: balance too large"
    self._pull(amount)
    listener_balances.account[msg.sender] = packed + amount
    log Deposit(listener=msg.sender, amount=amount)


@internal
def _skip(v: PlayVoucher, reason: uint8):
    log VoucherSkipped(listener=v.listener, nonce=v.nonce, reason=reason)


@internal
def _distribute(song_id: bytes32, info: uint256, net: uint256):
    n: uint256 = (info >> _COUNT_SHIFT) & 255
    if n == 0:
        self._credits[self._address_of(info)] += net
        return
    rest: uint256 = net
    first: uint256 = 0
    for i: uint256 in range(1, n, bound=MAX_SPLITS):
        packed: uint256 = self._split[song_id][i]
        share: uint256 = net * ((packed >> _BPS_SHIFT) & 65535) // BPS
        rest = unsafe_sub(rest, share)
        self._credits[self._address_of(packed)] += share
        if i <= 2:
            first |= (packed >> _FIRST_SHIFT) << (80 * (i - 1))
    if n < 3:
        first = self._split[song_id][0]
    self._credits[self._address_of(first)] += rest


@internal
def _pull(amount: uint256):
    # Credits promise what arrived: a fee-on-transfer (or otherwise
    # short) token would leave the last withdrawer unpaid.
    before: uint256 = staticcall token.balanceOf(self)
    assert extcall token.transferFrom(msg.sender, self, amount, default_return_value=True), "router: token transfer failed"
    assert staticcall token.balanceOf(self) >= before + amount, "router: short transfer"
