"""The docs: the command reference is the CLI's own `--help`, and every doc is reachable."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"


def test_the_reference_is_the_clis_current_help():
    done = subprocess.run([sys.executable, str(DOCS / "generate.py"), "--check"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_every_doc_is_in_the_readmes_index_and_every_link_resolves():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for doc in DOCS.glob("*.md"):
        assert f"](docs/{doc.name})" in readme, f"README.md does not link docs/{doc.name}"
    for page in [REPO_ROOT / "README.md", *DOCS.glob("*.md")]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
