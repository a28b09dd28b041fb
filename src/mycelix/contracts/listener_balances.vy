# pragma version ~=0.4.3
"""
@title Listener balances and play vouchers
@custom:contract-name listener_balances
@license GNU Affero General Public License v3.0 only
@notice Storage and bookkeeping of the router's listener balances: what
        each listener deposited and has not spent, the replay window of
        their signed play vouchers, and their pending withdrawal. The
        router moves the money; this module only keeps the books, so
        its rules can be read (and tested) in one place.

        One slot per listener, because a voucher settles for about the
        price of one cold slot read and write on top of its signature
        check: balance (bits 0-127) | highest voucher nonce settled
        (128-191) | window (192-255), where window bit `i` says nonce
        `highest - i` has been settled. A voucher whose nonce is above
        the highest moves the window up; one up to 63 below it settles
        if its bit is clear, so a batch may carry a listener's vouchers
        in any order; older ones are refused as replayed. Nonces start
        at 0 and a client counts up from there.

        A withdrawal of unspent balance needs notice: the listener asks,
        and only `WITHDRAWAL_NOTICE` later may they take the money out,
        so vouchers they signed before asking can still be settled.

        Voucher digests are EIP-712 (`PlayVoucher`, below) under the
        domain ("Mycelix Router", "1", chain id, router address).
"""


from snekmate.utils import eip712_domain_separator

uses: eip712_domain_separator


# @dev `keccak256` of the EIP-712 type of a play voucher: the listener
# authorises `amount` (at most) for one stream of `song_id`, once
# (`nonce`), until `expiry` (a unix time, inclusive).
VOUCHER_TYPEHASH: constant(bytes32) = keccak256(
    "PlayVoucher(address listener,bytes32 song_id,uint256 amount,uint256 nonce,uint256 expiry)"
)

# @dev Seconds between asking to withdraw a balance and being allowed to.
WITHDRAWAL_NOTICE: constant(uint256) = 86_400

# @dev Most a balance may hold: it has 128 bits of its listener's slot.
MAX_BALANCE: constant(uint256) = (1 << 128) - 1

# @dev How far below the highest settled nonce a voucher may still settle.
NONCE_WINDOW: constant(uint256) = 64

# @dev Where the highest settled nonce and the window sit in the slot
# (each 64 bits). The router's settlement loop reads and writes them
# inline: a call per voucher would cost more than the arithmetic.
HIGH_SHIFT: constant(uint256) = 128
WINDOW_SHIFT: constant(uint256) = 192
_MASK_64: constant(uint256) = (1 << 64) - 1

# @dev Per listener: balance | highest nonce | window (see above).
account: HashMap[address, uint256]

# @dev Per listener: when their requested withdrawal unlocks, 0 if none.
withdrawal_at: HashMap[address, uint256]


@pure
@internal
def _nonce_used(packed: uint256, nonce: uint256) -> bool:
    high: uint256 = (packed >> HIGH_SHIFT) & _MASK_64
    if nonce > high:
        return False
    below: uint256 = high - nonce
    if below >= NONCE_WINDOW:
        # Too old to tell apart from a settled one: refused as replayed.
        return True
    return (packed >> (WINDOW_SHIFT + below)) & 1 != 0


@view
@internal
def _voucher_digest(listener: address, song_id: bytes32, amount: uint256, nonce: uint256, expiry: uint256) -> bytes32:
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(VOUCHER_TYPEHASH, listener, song_id, amount, nonce, expiry))
    )
