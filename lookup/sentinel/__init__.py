"""Sentinel I/O: incident payloads in, incident comments out."""
