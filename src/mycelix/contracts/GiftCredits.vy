# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title CGC gift credits
@custom:contract-name GiftCredits
@license GNU Affero General Public License v3.0 only
@notice The ERC-20 (18 decimals, EIP-2612 permit) that the gift-economy
        strategy mints to listeners. The deployer makes the strategy the
        minter and then renounces ownership (snekmate's
        `renounce_ownership` also drops the owner's own minter role), so
        from then on only the strategy can mint.
"""


from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: erc20.__interface__


@deploy
def __init__():
    """
    @dev The deployer is the owner and a minter until it renounces.
    """
    ownable.__init__()
    erc20.__init__("Mycelix Gift Credits", "CGC", 18, "Mycelix Gift Credits", "1")
