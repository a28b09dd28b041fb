# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title FLOW payment token
@custom:contract-name FlowToken
@license GNU Affero General Public License v3.0 only
@notice The ERC-20 (18 decimals, EIP-2612 permit) that Mycelix payments
        are made in on a dev chain, built on snekmate's `erc20`. When
        deployed with a non-zero `faucet_limit` anyone may mint up to
        that much per call, so dev and test accounts can fund themselves;
        production deployments pass zero (no faucet) or use an existing
        ERC-20 such as a stablecoin instead.
"""


from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: erc20.__interface__


# @dev Most one faucet call may mint; zero disables the faucet.
faucet_limit: public(immutable(uint256))


@deploy
def __init__(faucet_limit_: uint256):
    """
    @dev The deployer is the owner and a minter.
    @param faucet_limit_ Most one `faucet` call may mint; 0 disables it.
    """
    ownable.__init__()
    erc20.__init__("Mycelix Flow", "FLOW", 18, "Mycelix Flow", "1")
    faucet_limit = faucet_limit_


@external
def faucet(amount: uint256):
    """
    @dev Mints `amount` to the caller. Dev chains only.
    @param amount The 32-byte amount to mint, at most `faucet_limit`.
    """
    assert faucet_limit != 0, "flow: faucet disabled"
    assert amount != 0, "flow: zero amount"
    assert amount <= faucet_limit, "flow: above faucet limit"
    erc20._mint(msg.sender, amount)
