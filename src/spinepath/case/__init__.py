"""The case: what is known about one patient, validated against the contract's vocabulary."""

from spinepath.case.loading import load_case, parse_case
from spinepath.case.model import Case

__all__ = ["Case", "load_case", "parse_case"]
