"""hf-tweetbot installed like any Python tool: one wheel, one import package, the commands work.

The wheel is built from this checkout and installed into a fresh virtual environment outside it.
The dependencies are borrowed from the test environment (its site-packages on the new one's path,
without its editable install of this checkout), so nothing is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "wrencalloway_archive.zip"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    (path,) = out.glob("hf_tweetbot-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv outside the checkout holding the wheel; returns its bin/ folder."""
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
         str(wheel)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # A plain path line: this environment's packages, but not the .pth files in them (so not
    # the editable finder that maps `publisher` to this checkout).
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "borrowed.pth").write_text("\n".join(sorted(borrowed)) + "\n")
    return env / "bin"


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow  # builds and installs the wheel
def test_the_wheel_holds_one_import_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"publisher"}
    # Every package of the source tree, the Space app and the card templates included.
    packages = {str(p.parent.relative_to(ROOT / "publisher")) for p in (ROOT / "publisher").rglob("__init__.py")}  # fmt: skip
    for package in packages - {"."}:
        assert f"publisher/{package}/__init__.py" in names
    assert {"publisher/space/app.py", "publisher/space/guard.py",
            "publisher/templates/model_card.md.j2", "publisher/py.typed"} <= set(names)  # fmt: skip
    assert "LICENSE" in {Path(n).name for n in names if ".dist-info/" in n}


@pytest.mark.slow
def test_the_installed_commands_run_outside_the_checkout(installed, tiny_model, tmp_path):
    where = run(installed, str(installed / "python"), "-c", "import publisher; print(publisher.__file__)", cwd=tmp_path)  # fmt: skip
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), where.stdout

    helped = run(installed, "hf-tweetbot", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "publish" in helped.stdout

    bot = tmp_path / "bots" / "wren"
    prepared = run(installed, "hf-tweetbot", "prepare", str(SAMPLE), "--base-model",
                   str(tiny_model), "--out", str(bot), cwd=tmp_path)  # fmt: skip
    assert prepared.returncode == 0, prepared.stderr
    assert (bot / "bot.json").is_file() and (bot / "data" / "posts.jsonl").is_file()

    # The card comes from the templates installed as package data.
    card = run(installed, "hf-tweetbot", "card", str(bot), cwd=tmp_path)
    assert card.returncode == 0, card.stderr
    assert card.stdout.startswith("---\n") and "Wren Calloway" in card.stdout
