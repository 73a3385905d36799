"""Installed from a wheel, the package finds its own prompts and models, never a decoy's."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.mark.slow
def test_installed_wheel_uses_its_own_data(tmp_path: Path, wheel: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    with zipfile.ZipFile(wheel) as archive:  # what an installer does with a pure wheel
        archive.extractall(site)
    # Another distribution that put top-level prompts/ and models/ in site-packages.
    for decoy in ("prompts", "models"):
        (site / decoy).mkdir()
        (site / decoy / "customer.yaml").write_text("id: decoy\n")
        (site / decoy / "taxonomy.yaml").write_text("touchpoints: []\n")
    found = subprocess.run(
        [
            str(python),
            "-c",
            "from cjm_interview.config import prompts_dir, models_dir; "
            "print(prompts_dir()); print(models_dir())",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout.split()
    assert found == [
        str(site / "cjm_interview" / "_data" / "prompts"),
        str(site / "cjm_interview" / "_data" / "models"),
    ]
    assert (Path(found[0]) / "customer.yaml").read_text() != "id: decoy\n"
