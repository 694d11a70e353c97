"""Engines a dataset runs on: embedded DuckDB (the default), ClickHouse (a server or embedded chdb), PostgreSQL.

An engine runs one read-only, bounded SELECT and returns rows; it knows nothing of specs.
``base`` holds the interface, the errors and DSN handling; each engine is its own module and
imports its client library only when opened (they are the optional ``engines`` extra).
"""
