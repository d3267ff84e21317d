"""`fleet facts`: the outside facts the toolkit judges against (the tables live in policies/baseline/facts/)."""
