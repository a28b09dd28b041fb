# pragma version ~=0.4.3
# pragma evm-version cancun
"""
@title CGC gift credits
@custom:contract-name GiftCredits
@license GNU Affero General Public License v3.0 only
@notice The ERC-20 (18 decimals, EIP-2612 permit) that the gift-economy
        strategy mints to listeners. The strategy is named at
        construction and is the only minter, for ever: the minter is
        immutable, there is no owner and no way to add another minter.
        (An immutable rather than snekmate's `is_minter` mapping: the
        mapping costs a cold read, 2,100 gas, on every rewarded listen.)
        The deployer learns the strategy's address before deploying it
        (the CREATE address from its own nonce), and the strategy
        refuses to deploy unless this token names it.
"""


from snekmate.auth import ownable
from snekmate.tokens import erc20
from ethereum.ercs import IERC20

initializes: ownable
initializes: erc20[ownable := ownable]

# @dev snekmate's ERC-20 without its owner and minter-role functions:
# `mint` and `is_minter` are ours, below.
exports: (
    erc20.transfer,
    erc20.approve,
    erc20.transferFrom,
    erc20.burn,
    erc20.burn_from,
    erc20.permit,
    erc20.DOMAIN_SEPARATOR,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.decimals,
    erc20.name,
    erc20.symbol,
    erc20.nonces,
    erc20.eip712Domain,
)


# @dev The gift-economy strategy, the only address that can mint.
minter: public(immutable(address))


@deploy
def __init__(minter_: address):
    """
    @dev Names the only minter. snekmate's constructor makes the
         deployer owner and minter; both are dropped here, so the
         deployer keeps no role.
    @param minter_ The 20-byte address of the gift-economy strategy
           (it may not exist yet: it is deployed after this token).
    """
    assert minter_ != empty(address), "cgc: minter is the zero address"
    ownable.__init__()
    erc20.__init__("Mycelix Gift Credits", "CGC", 18, "Mycelix Gift Credits", "1")
    erc20.is_minter[msg.sender] = False
    log erc20.RoleMinterChanged(minter=msg.sender, status=False)
    ownable._transfer_ownership(empty(address))
    minter = minter_


@external
def mint(owner: address, amount: uint256):
    """
    @dev Creates `amount` tokens and assigns them to `owner`.
    @notice Only the minter (the gift strategy) can call it. Note that
            `owner` cannot be the zero address.
    @param owner The 20-byte owner address.
    @param amount The 32-byte token amount to be created.
    """
    assert msg.sender == minter, "cgc: caller is not the minter"
    # `erc20._mint` without its two empty hooks: their internal calls
    # cost ~180 gas on every rewarded listen.
    assert owner != empty(address), "cgc: mint to the zero address"
    erc20.totalSupply += amount
    erc20.balanceOf[owner] = unsafe_add(erc20.balanceOf[owner], amount)
    log IERC20.Transfer(sender=empty(address), receiver=owner, value=amount)


@view
@external
def is_minter(account: address) -> bool:
    """
    @dev Whether `account` can mint: true for the minter only.
    @param account The 20-byte address.
    @return bool True for the gift strategy.
    """
    return account == minter
