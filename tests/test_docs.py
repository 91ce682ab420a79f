"""Every documentation reference in the code and the docs resolves inside the project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("boundcalc/**/*.py"), *ROOT.glob("docs/*.md"), *ROOT.glob("examples/*.py"), ROOT / "README.md"])
_REF = re.compile(r"(docs/[\w.-]+\.md)(?:\s*§(\d+))?")


def _sections(path: Path) -> set[str]:
    return set(re.findall(r"^#+ §(\d+)", path.read_text(), re.M))


def _refs() -> list[tuple[Path, str, str | None]]:
    out = []
    for src in SOURCES:
        for m in _REF.finditer(src.read_text()):
            out.append((src, m.group(1), m.group(2)))
    return out


def test_there_are_references():
    assert len(_refs()) > 10


@pytest.mark.parametrize("src,doc,section", _refs(), ids=lambda x: str(x) if not isinstance(x, Path) else x.name)
def test_reference_resolves(src, doc, section):
    target = ROOT / doc
    assert target.is_file(), f"{src.relative_to(ROOT)} points to {doc}, which does not exist"
    if section is not None:
        assert section in _sections(target), f"{src.relative_to(ROOT)} points to {doc} §{section}, which has no such section"


def test_nothing_points_outside_the_project():
    for src in SOURCES:
        assert "../shared" not in src.read_text(), f"{src.relative_to(ROOT)} points outside the project"


def test_markdown_links_between_docs_resolve():
    for page in ROOT.glob("docs/*.md"):
        for link in re.findall(r"\]\(([\w.-]+\.md)\)", page.read_text()):
            assert (page.parent / link).is_file(), f"{page.name} links to {link}"


def readme_commands() -> list[str]:
    """Every boundcalc command line of the README: console lines ("$ boundcalc …"), inline code
    spans and the Quick start's (after its last "&&"); prose mentions with "…" are not commands."""
    text = (ROOT / "README.md").read_text()
    found = re.findall(r"^\$ (boundcalc .+)$", text, re.M) + re.findall(r"`(boundcalc [^`]+)`", text)
    found += [line.rsplit("&& ", 1)[1] for line in text.splitlines() if line.startswith("python3 -m venv") and "boundcalc " in line]
    named = {"boundcalc measure"}  # prose naming a command, not a command line
    return sorted({c for c in found if "…" not in c and c not in named})


def test_readme_has_commands():
    assert len(readme_commands()) >= 15


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs_as_written(command, tmp_path, monkeypatch):
    """From the repository root, as a reader would paste it (outputs land in a scratch folder)."""
    import shlex

    from typer.testing import CliRunner

    from boundcalc.cli import app

    if " plot " in f" {command} " and " -o " in command:
        pytest.importorskip("matplotlib")
    if "measure" in command:
        pytest.importorskip("torch")
    if "tensorboard" in command or "lightning_tb" in command:
        pytest.importorskip("tensorboard")
    for folder in ("examples", "tests"):  # the repository root, as a reader has it (outputs stay in tmp_path)
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    res = CliRunner().invoke(app, shlex.split(command)[1:])
    assert res.exit_code == 0, f"{command}\n{res.output}"
