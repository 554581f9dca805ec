"""The rule kinds: how one item of a points table is scored, explained and recovered."""
