"""Backends: where the aggregate questions are answered (local DuckDB, Log Analytics)."""
