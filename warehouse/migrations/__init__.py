"""Numbered warehouse migrations: `NNNN_name.py` modules, each with a `STATEMENTS` list.

Every statement is idempotent (IF NOT EXISTS / OR REPLACE), so applying a migration twice is
harmless; `warehouse.migrate` records what was applied in `schema_migrations`.
"""
