"""Every file spinepath writes is whole or absent, respects the umask, and stays where asked."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.cli import main
from spinepath.files import replace_atomically

CASE = (
    "label: Mrs Example\nonset: chronic\ndisc_degeneration: true\nherniation: false\n"
    "facet_arthritis: false\nfacet_hypertrophy: false\nstenosis: none\n"
    "conservative_care: failed\nnon_invasive_therapy: failed\ndaily_life: cannot_live_normally\n"
)
SURGICAL = ["none", "chronic", "yes", "no", "no", "no", "1", "failed", "failed", "3"]


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(CASE)
    return path


@pytest.fixture
def umask_077() -> Iterator[None]:
    old = os.umask(0o077)
    yield
    os.umask(old)


def _spinepath(*args: str, cwd: Path, file_limit: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return subprocess.run(
        [sys.executable, "-m", "spinepath", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=120,
    )


def _listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --- whole or absent -------------------------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_a_write_cut_short_leaves_nothing(case_file: Path, tmp_path: Path, force: bool) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = ["report", str(case_file), "-o", "out/x.html", *(["--force"] if force else [])]
    result = _spinepath(*args, cwd=tmp_path, file_limit=20_000)  # `ulimit -f`
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"spinepath: error: {out / 'x.html'}: cannot be written")
    assert _listing(out) == []


def test_a_write_cut_short_keeps_the_old_file(case_file: Path, tmp_path: Path) -> None:
    old = tmp_path / "x.html"
    old.write_text("the old report")
    result = _spinepath(
        "report", str(case_file), "-o", "x.html", "--force", cwd=tmp_path, file_limit=20_000
    )
    assert result.returncode == 2
    assert old.read_text() == "the old report"
    assert _listing(tmp_path) == ["case.yaml", "x.html"]


def test_replace_atomically_cleans_up_after_a_failed_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "x.html"
    target.write_text("old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        replace_atomically(target, b"new")
    assert target.read_text() == "old"
    assert _listing(tmp_path) == ["x.html"]


# --- modes -------------------------------------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_a_new_report_respects_the_umask(
    case_file: Path, tmp_path: Path, umask_077: None, force: bool
) -> None:
    target = tmp_path / "x.html"
    args = ["report", str(case_file), "-o", str(target), *(["--force"] if force else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert target.stat().st_mode & 0o777 == 0o600


def test_force_keeps_the_mode_of_the_file_it_replaces(case_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "x.html"
    target.write_text("old")
    target.chmod(0o640)
    result = CliRunner().invoke(main, ["report", str(case_file), "-o", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert target.stat().st_mode & 0o777 == 0o640
    assert "Mrs Example" in target.read_text()


# --- where ------------------------------------------------------------------------


def test_missing_folders_are_not_created(
    case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", str(case_file), "-o", "a/b/x.html"])
    assert result.exit_code == 2
    assert result.stderr == "spinepath: error: a/b: no such directory (create it first)\n"
    assert not (tmp_path / "a").exists()


def test_the_default_report_is_beside_the_working_directory_not_in_reports(
    case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report", str(case_file)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'case.report.html'}\n"
    assert (tmp_path / "case.report.html").is_file()
    assert not (tmp_path / "reports").exists()


# --- consult's save ---------------------------------------------------------------


def _consult(target: str, *more: str) -> object:
    answers = [*SURGICAL, "q", target, *more]
    return CliRunner().invoke(main, ["consult"], input="\n".join(answers) + "\n")


def test_consult_refuses_to_save_through_a_symbolic_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "outside.yaml"
    (tmp_path / "link.yaml").symlink_to(outside)
    result = _consult("link.yaml", "")
    assert result.exit_code == 0, result.output
    assert "link.yaml: is a symbolic link; refusing to write through it" in result.stderr
    assert not outside.exists()


def test_consult_saves_whole_and_with_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_077: None
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _consult("saved.yaml")
    assert result.exit_code == 0, result.output
    assert "Saved saved.yaml." in result.output
    assert (tmp_path / "saved.yaml").stat().st_mode & 0o777 == 0o600
    assert _listing(tmp_path) == ["saved.yaml"]


def test_consult_asks_before_overwriting_and_keeps_the_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    existing = tmp_path / "saved.yaml"
    existing.write_text("old answers\n")
    existing.chmod(0o640)
    kept = _consult("saved.yaml", "n")
    assert "saved.yaml exists. Overwrite?" in kept.output and "Not saved." in kept.output
    assert existing.read_text() == "old answers\n"
    replaced = _consult("saved.yaml", "y")
    assert "Saved saved.yaml." in replaced.output
    assert "onset: chronic" in existing.read_text()
    assert existing.stat().st_mode & 0o777 == 0o640


def test_consult_does_not_create_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = _consult("a/b/saved.yaml", "")
    assert "a/b: no such directory (create it first)" in result.stderr
    assert not (tmp_path / "a").exists()


# --- what-if and explore HTML, written by spinepath itself ---------------------------


@pytest.mark.parametrize(
    "command", [["what-if", "{case}", "--set", "daily_life=limited"], ["explore", "{case}"]]
)
def test_what_if_and_explore_write_html_through_the_one_writer(
    case_file: Path, tmp_path: Path, umask_077: None, command: list[str]
) -> None:
    args = [part.format(case=case_file) for part in command]
    target = tmp_path / "page.html"
    first = CliRunner().invoke(main, [*args, "--format", "html", "-o", str(target)])
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{target}\n"
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert target.stat().st_mode & 0o777 == 0o600
    again = CliRunner().invoke(main, [*args, "--format", "html", "-o", str(target)])
    assert again.exit_code == 2
    assert again.stderr == (
        f"spinepath: error: {target}: already exists (use --force to replace it)\n"
    )
    target.chmod(0o640)
    forced = CliRunner().invoke(main, [*args, "--format", "html", "-o", str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    assert target.stat().st_mode & 0o777 == 0o640
    assert _listing(tmp_path) == ["case.yaml", "page.html"]


def test_output_file_needs_the_html_format(case_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["explore", str(case_file), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    assert result.stderr == "spinepath: error: -o writes HTML: add --format html\n"
    assert _listing(tmp_path) == ["case.yaml"]
