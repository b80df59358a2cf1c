"""Reusable code for the Dagster location: plain functions over a clickhouse-connect client.

Nothing here imports dagster, so the CLI and tests use it without the 3-4 s dagster import.
"""
