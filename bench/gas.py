"""Gas per operation, measured as real transactions on a live chain.

Deploys the whole system on an in-process py-evm chain (web3.py's eth-tester backend) or on
any JSON-RPC dev node (`--rpc-url`, e.g. anvil, whose dev accounts are unlocked), brings it
to a steady state (accounts funded and approved, every recipient already holding credits,
the router holding a balance), then sends each measured operation as its own transaction,
so every storage slot starts cold, and prints the receipt's gasUsed beside the figure the
earlier attempt's contracts needed for the same operation.

    python bench/gas.py                        # embedded py-evm chain (in a temp dir)
    python bench/gas.py --anvil                # anvil from node_modules, started and stopped here
    python bench/gas.py --rpc-url http://127.0.0.1:8545   # a running dev node
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from mycelix.chain import artifacts, vouchers
from mycelix.chain.connect import Chain, open_chain
from mycelix.chain.deploy import deploy_system
from mycelix.chain.tx import Sender
from mycelix.chain.units import DAY, HOUR, ONE, PaymentType
from mycelix.config import Settings
from mycelix.sdk import Mycelix
from mycelix.strategies.ids import strategy_id

# Test-only helpers (tests/support) are not installed with the package: import them from the
# checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.anvil import run_anvil

ALLOWANCE = 10**30  # large but finite, as a wallet would approve: the allowance is written


@dataclass
class Row:
    operation: str
    gas: int
    reference: int | None  # None: the earlier attempt had no such operation
    target: int

    @property
    def ratio(self) -> str:
        return "—" if self.reference is None else f"{self.gas / self.reference:.2f}"


class Bench:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        w3 = self.w3 = chain.w3
        accounts = [a.address for a in chain.dev_accounts]
        (
            self.owner,
            self.artist,
            self.listener,
            self.patron1,
            self.patron2,
            self.buyer1,
            self.buyer2,
        ) = accounts[:7]
        self.members = [Web3.to_checksum_address(keccak(text=f"member {i}")[:20]) for i in range(5)]
        self.manifest = deploy_system(w3, Sender(w3, chain.dev_accounts[0]))
        self.c = {
            name: w3.eth.contract(address=address, abi=artifacts.load(name).abi)
            for name, address in self.manifest.addresses.items()
        }
        self.router = self.c["EconomicStrategyRouter"]
        self.rows: list[Row] = []

    # -- plumbing

    def send(self, sender: str, fn: Any) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
        if receipt["status"] != 1:
            raise RuntimeError(f"{fn.fn_name} reverted")
        return receipt

    def measure(
        self,
        operation: str,
        reference: int | None,
        target: int,
        sender: str,
        fn: Any,
        per: int = 1,
    ) -> None:
        gas = self.send(sender, fn)["gasUsed"] // per
        self.rows.append(Row(operation, gas, reference, target))

    def advance(self, seconds: int) -> None:
        self.chain.advance_time(seconds)

    def register(self, name: str, strategy: str, artist: str | None = None) -> bytes:
        artist = artist or self.artist
        salt = keccak(text=name)
        self.send(artist, self.router.functions.register_song(salt, strategy_id(strategy)))
        return bytes(self.router.functions.song_id_of(artist, salt).call())

    def split(self, sid: bytes, n: int) -> None:
        recipients = [self.artist, *self.members[: n - 1]]
        bps = [10_000 - 1_000 * (n - 1)] + [1_000] * (n - 1)
        self.send(
            self.artist,
            self.router.functions.configure_splits(sid, recipients, bps, list(range(n))),
        )

    def pay(self, sender: str, sid: bytes, amount: int, ptype: int, option: int = 0) -> Any:
        return self.router.functions.pay(sid, amount, ptype, option)

    # -- the operations

    def balance_rows(self, three_way: bytes, price: int) -> None:
        """Streams paid from listener balances: directly, and as signed vouchers settled 50 at a
        time, each voucher by a different listener who has settled one before."""
        self.split(three_way, 3)
        flow = self.c["FlowToken"]
        self.send(self.listener, self.router.functions.deposit(1_000 * ONE))
        # As the SDK sends it: the default `option` left out.
        pay = self.router.functions.pay_from_balance(three_way, price, PaymentType.STREAM)
        self.send(self.listener, pay)
        self.measure(
            "stream paid from a listener balance, 3-recipient split",
            None,
            65_000,
            self.listener,
            pay,
        )

        # The SDK as a listener calls it: every transaction `stream()` sends is counted.
        sdk = Mycelix(self.w3, self.manifest, self.chain.dev_accounts[2])
        assert sdk.address == self.listener
        sdk.stream(three_way)
        first = self.w3.eth.block_number + 1
        sdk.stream(three_way)
        sent = [
            self.w3.eth.get_transaction_receipt(tx["hash"])
            for n in range(first, self.w3.eth.block_number + 1)
            for tx in self.w3.eth.get_block(n, full_transactions=True)["transactions"]
            if tx["from"] == self.listener
        ]
        self.rows.append(
            Row(
                f"SDK stream(), 3-recipient split, all its transactions ({len(sent)})",
                sum(r["gasUsed"] for r in sent),
                None,
                65_000,
            )
        )

        funder = Sender(self.w3, self.chain.dev_accounts[0])
        listeners = [Account.from_key(keccak(text=f"voucher listener {i}")) for i in range(50)]
        for account in listeners:
            funder.send_value(account.address, ONE // 10)
            sender = Sender(self.w3, account)
            sender.transact(flow.functions.faucet(10 * ONE))
            sender.transact(flow.functions.approve(self.router.address, ALLOWANCE))
            sender.transact(self.router.functions.deposit(10 * ONE))
        chain_id, expiry = self.w3.eth.chain_id, 2**40

        def batch(nonce: int) -> list[tuple[Any, ...]]:
            return [
                vouchers.sign(
                    account,
                    vouchers.Voucher(account.address, three_way, price, nonce, expiry),
                    chain_id,
                    self.router.address,
                ).as_tuple()
                for account in listeners
            ]

        self.send(self.owner, self.router.functions.settle_vouchers(batch(0)))
        self.measure(
            "batch of 50 vouchers, distinct listeners, 3-recipient split, per stream",
            None,
            20_000,
            self.owner,
            self.router.functions.settle_vouchers(batch(1)),
            per=50,
        )

    def run(self) -> list[Row]:
        flow = self.c["FlowToken"]
        for account in (self.listener, self.patron1, self.patron2, self.buyer1, self.buyer2):
            self.send(account, flow.functions.faucet(1_000_000 * ONE))
            self.send(account, flow.functions.approve(self.router.address, ALLOWANCE))
        pps, price = "pay-per-stream-v1", 10**16

        self.register("warm-up", pps)
        self.measure(
            "register a song",
            93_441,
            70_000,
            self.artist,
            self.router.functions.register_song(keccak(text="registered"), strategy_id(pps)),
        )

        three = self.register("three-way", pps)
        recipients = [self.artist, *self.members[:2]]
        self.measure(
            "configure a 3-recipient split",
            325_463,
            160_000,
            self.artist,
            self.router.functions.configure_splits(
                three, recipients, [8_000, 1_000, 1_000], [0, 1, 2]
            ),
        )
        self.send(self.listener, self.pay(self.listener, three, price, PaymentType.STREAM))
        self.measure(
            "stream payment, 3-recipient split",
            315_857,
            90_000,
            self.listener,
            self.pay(self.listener, three, price, PaymentType.STREAM),
        )

        # Strategies added through the seam, against this run's pay-per-stream payment above
        # (the reference column; target: within 5 % of it).
        pps_gas = self.rows[-1].gas
        freemium = self.register("freemium three-way", "freemium-v1")
        self.split(freemium, 3)
        self.send(self.artist, self.c["Freemium"].functions.configure(freemium, 1, price))
        for _ in range(2):  # the free play, then a paid one: recipients hold credits
            self.send(self.listener, self.pay(self.listener, freemium, price, PaymentType.STREAM))
        self.measure(
            "freemium paid play, 3-recipient split",
            pps_gas,
            pps_gas * 105 // 100,
            self.listener,
            self.pay(self.listener, freemium, price, PaymentType.STREAM),
        )
        pwyw = self.register("pwyw three-way", "pay-what-you-want-v1")
        self.split(pwyw, 3)
        self.send(self.listener, self.pay(self.listener, pwyw, price, PaymentType.STREAM))
        self.measure(
            "pay-what-you-want payment, 3-recipient split",
            pps_gas,
            pps_gas * 105 // 100,
            self.listener,
            self.pay(self.listener, pwyw, price + 1, PaymentType.STREAM),
        )

        five = self.register("five-way", pps)
        self.split(five, 5)
        self.send(self.listener, self.pay(self.listener, five, price, PaymentType.STREAM))
        self.measure(
            "stream payment, 5-recipient split",
            353_335,
            110_000,
            self.listener,
            self.pay(self.listener, five, price, PaymentType.STREAM),
        )

        album = [self.register(f"album track {i}", pps) for i in range(50)]
        for track in album:
            self.split(track, 3)
        batch = [(track, price, PaymentType.STREAM, 0) for track in album]
        self.send(self.listener, self.router.functions.pay_batch(batch))
        self.measure(
            "batch of 50 streams, 3-recipient split, per stream",
            210_086,
            25_000,
            self.listener,
            self.router.functions.pay_batch(batch),
            per=50,
        )

        self.balance_rows(three_way=self.register("balance song", pps), price=price)

        gift = self.register("gift song", "gift-economy-v1")
        self.send(
            self.artist, self.c["GiftEconomy"].functions.configure(gift, ONE, 10 * ONE, 100, 15_000)
        )
        self.send(self.listener, self.pay(self.listener, gift, 0, PaymentType.STREAM))
        self.advance(HOUR)
        self.measure(
            "gift tip",
            275_017,
            100_000,
            self.listener,
            self.pay(self.listener, gift, ONE, PaymentType.TIP),
        )

        patronage = self.c["Patronage"]
        self.send(
            self.artist,
            patronage.functions.configure(
                ["supporter", "inner circle"],
                [5 * ONE, 20 * ONE],
                [False, True],
                [0, 500, 1_000, 2_000],
                0,
            ),
        )
        channel = self.register("patron channel", "patronage-v1")
        self.send(self.patron1, self.pay(self.patron1, channel, 20 * ONE, PaymentType.PATRONAGE, 1))
        self.measure(
            "patronage: second patron joins",
            140_809,
            110_000,
            self.patron2,
            self.pay(self.patron2, channel, 20 * ONE, PaymentType.PATRONAGE, 1),
        )
        self.advance(30 * DAY)
        self.measure(
            "patronage: renewal",
            74_918,
            90_000,
            self.patron1,
            self.pay(self.patron1, channel, 20 * ONE, PaymentType.PATRONAGE, 1),
        )

        release = self.register("limited release", "dutch-auction-v1")
        now = self.w3.eth.get_block("latest")["timestamp"]
        self.send(
            self.artist,
            self.c["DutchAuction"].functions.create_auction(
                release, 100 * ONE, 10 * ONE, now + 1, 7 * DAY, 100
            ),
        )
        self.advance(HOUR)
        # A purchase names the auction the buyer saw (DutchAuction refuses any other number).
        number = self.c["DutchAuction"].functions.auction(release).call()[0]
        self.send(
            self.buyer1, self.pay(self.buyer1, release, 100 * ONE, PaymentType.ACCESS, number)
        )
        self.measure(
            "Dutch auction purchase",
            82_022,
            110_000,
            self.buyer2,
            self.pay(self.buyer2, release, 100 * ONE, PaymentType.ACCESS, number),
        )

        # Two-step transfer of the 3-way split song: the new artist names the splits digest.
        self.measure(
            "transfer: offer a song",
            None,
            55_000,
            self.artist,
            self.router.functions.offer_song(three, self.patron1),
        )
        digest = self.router.functions.splits_digest(three).call()
        self.measure(
            "transfer: accept it (3-recipient split digest)",
            None,
            50_000,
            self.patron1,
            self.router.functions.accept_song(three, digest),
        )
        self.measure(
            "quarantine a strategy",
            None,
            60_000,
            self.owner,
            self.router.functions.quarantine_strategy(strategy_id("gift-economy-v1")),
        )
        return self.rows


def render(rows: list[Row], chain: str) -> str:
    lines = [
        f"chain: {chain}",
        "",
        "| operation | gasUsed | reference | ratio | target | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        met = "yes" if r.gas <= r.target else f"no (+{r.gas - r.target:,})"
        lines.append(
            f"| {r.operation} | {r.gas:,} | {'—' if r.reference is None else f'{r.reference:,}'} "
            f"| {r.ratio} "
            f"| ≤ {r.target:,} | {met} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpc-url", help="a JSON-RPC dev node with unlocked accounts (anvil)")
    parser.add_argument(
        "--anvil", action="store_true", help="start anvil (from node_modules) and use it"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        rpc_url = stack.enter_context(run_anvil()) if args.anvil else args.rpc_url
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        chain = stack.enter_context(open_chain(Settings(data_dir=Path(tmp), rpc_url=rpc_url)))
        kind = (
            "embedded py-evm"
            if chain.embedded
            else f"anvil at {rpc_url}"
            if args.anvil
            else rpc_url
        )
        client = chain.w3.client_version
        rows = Bench(chain).run()
        print(render(rows, f"{kind}, {client} (chain id {chain.w3.eth.chain_id})"))


if __name__ == "__main__":
    main()
