"""ClickHouse HTTP protocol pieces used by the warehouse server.

Each module is small and pure (no engine): errors, auth, request parameters,
body framing and compression, SQL statement shape, output formats.
"""
