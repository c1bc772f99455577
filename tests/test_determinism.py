"""The same case gives byte-identical output, whatever the hash seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spinepath.kb.teaching import load_teaching_case
from tests.helpers import KNOWLEDGE


@pytest.mark.parametrize("output_format", ["json", "text"])
def test_output_is_identical_across_hash_seeds(output_format: str, tmp_path: Path) -> None:
    # A case with unknowns, a prior operation and several rules per option: the most
    # order-sensitive kind.
    teaching = load_teaching_case(KNOWLEDGE / "cases" / "36_prior_discectomy_lamina_unknown.yaml")
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(teaching.case))
    outputs = set()
    for seed in ("0", "1", "123", "4294967295"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "spinepath",
                "assess",
                str(case_file),
                "--format",
                output_format,
            ],
            capture_output=True,
            env=env,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert len(next(iter(outputs))) > 1000
