"""``python -m spinepath``: the same as the ``spinepath`` command."""

from spinepath.cli import entry_point

entry_point()
