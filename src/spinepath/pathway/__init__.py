"""The pathway: the engine's conclusions for one case, as the contract's JSON shape."""
