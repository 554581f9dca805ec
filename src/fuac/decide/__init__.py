"""Deciding over a batch of results: selection within quotas, titles across cycles."""
