"""Explaining results: the rectification list (gaps) and the difference between two rule sets."""
