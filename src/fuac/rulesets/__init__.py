"""The built-in schemes: one TOML file each, each registered by a plugin module of its own
(``fuac.rulesets.guangdong_2020`` …, listed in ``fuac.plan.engine.DEFAULT_PLUGINS``), exactly
like a third-party package's, so that ``fuac list`` names each scheme's plugin and
``FUAC_BLOCK`` can leave one out."""
