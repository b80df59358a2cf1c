"""Dagster definitions split by domain; `assets.definitions` merges them."""
