"""Who takes part: four acts, their collaborators and a crowd of listeners.

Artists of record are dev accounts 1-4 (a wallet on the dev chain can sign in as them);
collaborators and listeners get keys derived from their names, so every run of the demo on the
same data directory meets the same people again (patrons renew, credits accumulate). These keys
are public knowledge, like the dev accounts': dev chains only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak

from mycelix.chain.connect import Chain
from mycelix.chain.units import ONE
from mycelix.sdk import Mycelix

GAS_MONEY = ONE  # 1 ETH of gas money for each derived account
GAS_TOP_UP_BELOW = ONE // 5
LISTENER_FLOW = Decimal(200)  # FLOW each listener holds at the start of a run
UNLIMITED = 2**256 - 1  # an unlimited approval: FLOW never decrements it


@dataclass(frozen=True)
class ActSpec:
    key: str
    name: str
    dev_index: int  # dev account of the artist of record
    frontperson: str


ACTS = (
    ActSpec("hyphae", "The Hyphae", 1, "Ada Moss"),
    ActSpec("choir", "Spore Choir", 2, "Sol Amanita"),
    ActSpec("rhizome", "Rhizome", 3, "Rhea Root"),
    ActSpec("fruiting", "Fruiting Body", 4, "Finn Cap"),
)

# key -> (name, what they do)
COLLABORATORS = {
    "bram": ("Bram Fenn", "The Hyphae, bass"),
    "cleo": ("Cleo Lichen", "The Hyphae, drums"),
    "oona": ("Oona Reyes", "producer"),
    "mara": ("Mara Vell", "featured vocalist"),
    "ivo": ("Ivo Grain", "mix engineer"),
    "pia": ("Pia Kelp", "songwriter"),
    "label": ("Cap & Stem Records", "label"),
    "nia": ("Nia Stipe", "manager"),
}

LISTENER_NAMES = (
    "Juniper", "Kai", "Linnea", "Milo", "Noor", "Otto", "Priya", "Quinn", "Rosa", "Sami",
    "Tove", "Umar", "Vera", "Wren", "Xavi", "Yara", "Zeno", "Aiko", "Bea", "Caspar",
)  # fmt: skip


def derived_account(label: str) -> LocalAccount:
    """A deterministic demo key (public knowledge: never hold anything of value with it)."""
    return Account.from_key(keccak(text=f"mycelix demo account: {label}"))


def listener_name(index: int) -> str:
    base = LISTENER_NAMES[index % len(LISTENER_NAMES)]
    return base if index < len(LISTENER_NAMES) else f"{base} {index // len(LISTENER_NAMES) + 1}"


@dataclass
class Person:
    key: str
    name: str
    about: str
    client: Mycelix

    @property
    def address(self) -> ChecksumAddress:
        return self.client.address


@dataclass
class Cast:
    deployer: Mycelix  # dev account 0: deployed the system, its address is the treasury
    artists: dict[str, Person]  # act key -> artist of record
    collaborators: dict[str, Person]
    listeners: list[Person]
    acts: dict[str, ActSpec] = field(default_factory=lambda: {a.key: a for a in ACTS})

    def person(self, key: str) -> Person:
        """An artist (by act key) or a collaborator (by key)."""
        return self.artists.get(key) or self.collaborators[key]

    def earners(self) -> Iterator[Person]:
        """Everyone who may be credited: artists and collaborators."""
        yield from self.artists.values()
        yield from self.collaborators.values()

    def everyone(self) -> Iterator[Person]:
        yield from self.earners()
        yield from self.listeners

    def labels(self) -> dict[str, str]:
        """Address -> display name, for the report."""
        names: dict[str, str] = {p.address: p.name for p in self.everyone()}
        names.setdefault(self.deployer.address, "protocol treasury")
        return names


def assemble(sdk: Mycelix, chain: Chain, listeners: int) -> Cast:
    """Clients for everyone; nothing is sent yet."""
    artists = {
        act.key: Person(
            act.key, act.frontperson, act.name, sdk.as_account(chain.dev_accounts[act.dev_index])
        )
        for act in ACTS
    }
    collaborators = {
        key: Person(key, name, about, sdk.as_account(derived_account(key)))
        for key, (name, about) in COLLABORATORS.items()
    }
    crowd = [
        Person(
            f"listener-{i}",
            listener_name(i),
            "listener",
            sdk.as_account(derived_account(f"listener-{i}")),
        )
        for i in range(listeners)
    ]
    return Cast(deployer=sdk, artists=artists, collaborators=collaborators, listeners=crowd)


def fund(cast: Cast, step: Callable[[str], None]) -> int:
    """Give derived accounts gas money, listeners FLOW from the faucet and an unlimited approval
    of the router; only what is missing (a second run sends little). Returns transactions sent."""
    w3 = cast.deployer.w3
    sent = 0
    derived = [*cast.collaborators.values(), *cast.listeners]
    for person in derived:
        if w3.eth.get_balance(person.address) < GAS_TOP_UP_BELOW:
            step(f"gas money for {person.name}")
            cast.deployer.sender.send_value(person.address, GAS_MONEY)
            sent += 1
    for person in cast.listeners:
        client = person.client
        balance = client.flow_balance()
        wanted = int(LISTENER_FLOW * ONE)
        if balance < wanted:
            step(f"FLOW for {person.name}")
            client.faucet(wanted - balance)
            sent += 1
        if (
            client.token.functions.allowance(client.address, client.manifest.router).call()
            != UNLIMITED
        ):
            step(f"{person.name} approves the router")
            client.ensure_allowance(UNLIMITED)
            sent += 1
    return sent
