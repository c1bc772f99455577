"""Limits on what input may hold, shared by the YAML and JSON readers.

Its own module, free of imports, so that reading a JSON case does not load
PyYAML just to learn a number (``spinepath.strict_yaml`` imports it at once).
"""

from __future__ import annotations

#: Longer numbers are refused before Python converts them: no case value needs one,
#: and converting thousands of digits is slow (and beyond 4,300 an error). Case files
#: in YAML (``spinepath.strict_yaml``) and in JSON (``spinepath.case.loading``) are
#: held to the same limit.
MAX_DIGITS = 30
