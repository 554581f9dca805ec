"""Checking a rule set against its hand-computed case files (`fuac test`), and the case files
against changed rule files (`fuac test --mutants`)."""
