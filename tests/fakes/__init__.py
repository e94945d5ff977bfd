"""Test doubles: a local Log Analytics query endpoint backed by DuckDB (duckdb-kql)."""
