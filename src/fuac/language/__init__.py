"""The rule-file language: reading TOML, the models of a rule file, the expression language."""
