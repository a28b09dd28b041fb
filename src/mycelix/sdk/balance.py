"""A listener's balance in the router, through the SDK: deposit once (with an EIP-2612 permit when
the token has one), then pay streams from the balance or sign play vouchers for the platform to
settle in batches. `Mycelix.balance` is this, for the client's account.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from web3.exceptions import BadFunctionCallOutput
from web3.types import TxReceipt

from mycelix.chain import vouchers
from mycelix.chain.errors import ContractRevert, InvalidInput
from mycelix.chain.permit import sign_permit, token_domain
from mycelix.chain.tx import call_errors
from mycelix.chain.units import PaymentType
from mycelix.sdk.types import Amount, amount_wei, song_id

if TYPE_CHECKING:
    from mycelix.sdk.client import Mycelix, SongRef

# How long a permit the SDK signs stays usable, and a voucher by default (well inside the
# router's one-day withdrawal notice, so a voucher can always settle before its balance leaves).
PERMIT_LIFETIME = 3_600
VOUCHER_LIFETIME = 6 * 3_600


class ListenerBalance:
    """The balance of one client's account; nonces of the vouchers it signs are counted here."""

    def __init__(self, client: Mycelix) -> None:
        self.client = client
        self._nonce: int | None = None
        self._lock = threading.Lock()

    @property
    def _router(self) -> Any:
        return self.client.router

    # ------------------------------------------------------------------ reads

    def amount(self, who: str | None = None) -> int:
        """The unspent balance of `who` (default: this account), in wei."""
        return int(self.client._view(self._router.functions.balance_of(who or self.client.address)))

    def withdrawal_unlocks_at(self) -> int:
        """When this account's requested withdrawal may be made (unix time), 0 if none."""
        return int(
            self.client._view(self._router.functions.withdrawal_unlocks_at(self.client.address))
        )

    def covers(self, charge: int) -> bool:
        """Whether the balance pays a charge of `charge` wei."""
        return self.amount() >= charge

    # ----------------------------------------------------------------- deposit

    def deposit(self, amount: Amount, *, permit: bool = True) -> TxReceipt:
        """Move `amount` of this account's FLOW into its router balance. With `permit` (the
        default) and a token that supports EIP-2612, one transaction signed with a permit;
        otherwise an `approve` for the amount (when the allowance is short), then `deposit`."""
        wei = amount_wei(amount)
        if wei == 0:
            raise InvalidInput("a deposit must be greater than 0")
        held = self.client.flow_balance()
        if held < wei:
            raise InvalidInput(f"Insufficient balance: {held} wei, the deposit needs {wei}")
        if permit and self.client.allowance() < wei:
            domain = self._permit_domain()
            if domain is not None:
                token = self.client.token
                nonce = int(self.client._view(token.functions.nonces(self.client.address)))
                deadline = self._now() + PERMIT_LIFETIME
                p = sign_permit(
                    self.client.sender.account, domain, self._router.address, wei, nonce, deadline
                )
                return self.client._send(
                    self._router.functions.deposit_with_permit(wei, deadline, p.v, p.r, p.s)
                )
        self.client.ensure_allowance(wei)
        return self.client._send(self._router.functions.deposit(wei))

    def _permit_domain(self) -> dict[str, Any] | None:
        """The token's EIP-712 domain, or None for a token without EIP-5267/EIP-2612."""
        try:
            with call_errors("eip712Domain"):
                return token_domain(self.client.token.functions.eip712Domain().call())
        except (ContractRevert, BadFunctionCallOutput):
            return None

    def _now(self) -> int:
        return int(self.client.w3.eth.get_block("latest")["timestamp"])

    # -------------------------------------------------------------------- pay

    def pay(
        self, song: SongRef, amount: Amount, payment_type: PaymentType = PaymentType.STREAM
    ) -> TxReceipt:
        """Pay for a song from the balance: one transaction, no token transfer. The strategy
        decides the charge (at most `amount`), which must be within the balance."""
        wei = amount_wei(amount)
        kind = PaymentType(payment_type)
        sid = song_id(song)
        charge = wei if kind == PaymentType.TIP else min(wei, self.client.quote(sid, kind))
        have = self.amount()
        if have < charge:
            raise InvalidInput(f"Insufficient router balance: {have} wei, payment needs {charge}")
        # Without the `option` argument (the router's default, 0): 32 calldata bytes fewer.
        return self.client._send(self._router.functions.pay_from_balance(sid, wei, int(kind)))

    # ---------------------------------------------------------------- vouchers

    def next_nonce(self) -> int:
        """The nonce of the next voucher this client signs: counted here, starting where the
        router says this account's settled vouchers end."""
        with self._lock:
            if self._nonce is None:
                self._nonce = int(
                    self.client._view(
                        self._router.functions.next_voucher_nonce(self.client.address)
                    )
                )
            nonce = self._nonce
            self._nonce += 1
            return nonce

    def sign_voucher(
        self,
        song: SongRef,
        max_price: Amount | None = None,
        *,
        nonce: int | None = None,
        expiry: int | None = None,
    ) -> vouchers.SignedVoucher:
        """Sign a voucher for one stream of `song`: at most `max_price` (default: the live
        quote, if within the client's `max_payment`), settleable until `expiry` (default:
        six hours from the chain's latest block). Nothing is sent: give it to a platform (its
        `POST /api/vouchers`) or settle it with `settle`. The balance must cover it when it is
        settled, not now."""
        sid = song_id(song)
        if max_price is None:
            quoted = self.client.quote(sid, PaymentType.STREAM)
            cap = self.client._within(quoted, self.client.max_payment, "a play")
        else:
            cap = amount_wei(max_price, what="max_price")
        chosen = self.next_nonce() if nonce is None else nonce
        if not 0 <= chosen <= vouchers.MAX_NONCE:
            raise InvalidInput(f"a voucher nonce is 0 to {vouchers.MAX_NONCE}")
        until = self._now() + VOUCHER_LIFETIME if expiry is None else expiry
        voucher = vouchers.Voucher(self.client.address, sid, cap, chosen, until)
        return vouchers.sign(
            self.client.sender.account,
            voucher,
            self.client.manifest.chain_id,
            self._router.address,
        )

    def settle(self, signed: list[vouchers.SignedVoucher]) -> TxReceipt:
        """Submit vouchers (anyone's) for settlement in one transaction; bad ones are skipped
        by the router with a `VoucherSkipped` event, never failing the rest."""
        if not 0 < len(signed) <= 128:
            raise InvalidInput(f"a settlement holds 1 to 128 vouchers, got {len(signed)}")
        return self.client._send(
            self._router.functions.settle_vouchers([s.as_tuple() for s in signed])
        )

    # --------------------------------------------------------------- withdraw

    def request_withdrawal(self) -> TxReceipt:
        """Give notice; `withdraw` works once `withdrawal_unlocks_at()` has passed."""
        return self.client._send(self._router.functions.request_withdrawal())

    def withdraw(self, amount: Amount | None = None) -> int:
        """Take `amount` (default: all) of the balance back after the notice; returns it."""
        wei = self.amount() if amount is None else amount_wei(amount)
        if wei == 0:
            raise InvalidInput("nothing to withdraw")
        self.client._send(self._router.functions.withdraw_balance(wei))
        return wei
