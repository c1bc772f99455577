"""``python -m spinepath``: the same as the ``spinepath`` command."""

from spinepath.start import entry_point

entry_point()
