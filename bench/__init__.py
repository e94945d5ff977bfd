"""Benchmark and detection-quality harness (issue 6): ``python -m bench [--quick]``.

Everything here measures the package in ``lookup/`` and compares it with the original
notebook's algorithm and with msticpy's STL method; nothing here is imported by the
package itself. See ``bench/RESULTS.md`` for the latest numbers and how to reproduce them.
"""
