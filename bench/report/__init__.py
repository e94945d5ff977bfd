"""RESULTS.md from the harness's results (everything in it comes from ``results.json``).

:mod:`.targets` judges the issue's targets; :mod:`.document` writes RESULTS.md from one
module per section (:mod:`.scale`, :mod:`.scoring`, :mod:`.queries`, :mod:`.detection`
with :mod:`.misses`); :mod:`.readme` writes the README's performance and detection
paragraphs.
"""

from __future__ import annotations

from bench.report.document import render
from bench.report.readme import readme_sections
from bench.report.targets import targets

__all__ = ["readme_sections", "render", "targets"]
