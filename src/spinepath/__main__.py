"""``python -m spinepath``: the same as the ``spinepath`` command."""

from spinepath.cli import main

main(prog_name="spinepath")
