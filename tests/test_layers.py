"""The layers of docs/architecture.md, checked by import-linter's contracts in
pyproject.toml: they hold on the code as it is, and a wrong-way import breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "knowledge_base", "channels", "eval")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},  # this tree's packages, not the installed
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy_of_the_code(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc", "static")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_layers_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        # The index must know nothing of conversations.
        ("knowledge_base/terms.py", "import assistant.turns", "Layers point one way"),
        # The assistant knows no channel (no Twilio, HTTP or HTML).
        ("assistant/service.py", "import channels.sms.delivery", "Layers point one way"),
        # One channel does not lean on another.
        ("channels/rasa/actions.py", "import channels.sms.webhook", "does not import another"),
        # A cycle: the composer already imports the answer's types.
        ("assistant/answer.py", "import assistant.composer", "No import cycles"),
    ],
)
def test_a_wrong_way_import_breaks_a_contract(
    copy_of_the_code: Path, module: str, wrong_import: str, contract: str
) -> None:
    path = copy_of_the_code / module
    path.write_text(path.read_text("utf-8") + f"\n{wrong_import}  # noqa\n", "utf-8")
    result = lint_imports(copy_of_the_code)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout, result.stdout
