"""The strategies this repository ships (registry names). Tests that must hold for a
scaffolded strategy too iterate `mycelix.strategies.registry`; these name what must at least
be there, and what the invariant machine drives."""

SHIPPED = (
    "pay-per-stream-v1",
    "gift-economy-v1",
    "patronage-v1",
    "dutch-auction-v1",
    "freemium-v1",
    "pay-what-you-want-v1",
)
