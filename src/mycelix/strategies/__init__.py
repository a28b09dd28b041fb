"""Economic strategies off chain: their registry ids (`ids`), and the API's view of them —
config schemas, split previews and earnings calculators (`endpoints`, `service`, `schemas`).
Each strategy's rules live in its contract (`mycelix/contracts/*.vy`)."""
