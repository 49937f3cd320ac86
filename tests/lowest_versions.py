"""Check that every direct dependency is installed at the lower bound pyproject.toml declares.

`make test-min` runs this in `.venv-min` after uv's `--resolution lowest-direct` and before the
unit tests. uv installs the lowest versions that can be installed together, which are higher than
a declared bound when another dependency needs more (transformers needing a newer
huggingface_hub): the tests would then pass on a version the bound does not name. This says
which bound to raise instead. A bound matches at the precision it is written: `>=2.4` is met by
2.4.0 or 2.4.1 (a patch release may be yanked), not by 2.5.
"""

from __future__ import annotations

import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PROJECT = "hf-tweetbot"
EXTRAS = ("web", "gguf", "tensorboard", "dev")  # what `make test-min` installs


def lower_bounds() -> dict[str, Version]:
    """The highest `>=` bound of each direct dependency over the core and `EXTRAS`."""
    bounds: dict[str, Version] = {}
    for line in metadata.requires(PROJECT) or []:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name == PROJECT:  # [dev] names the other extras
            continue
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in EXTRAS):
            continue
        for spec in req.specifier:
            if spec.operator == ">=":
                bound = Version(spec.version)
                bounds[name] = max(bounds.get(name, bound), bound)
    return bounds


def main() -> int:
    wrong = []
    for name, bound in sorted(lower_bounds().items()):
        installed = Version(metadata.version(name))
        if installed.release[: len(bound.release)] != bound.release:
            wrong.append(f"{name}: declared >={bound}, installed {installed}")
    if wrong:
        print("Lower bounds that uv could not install (another dependency needs more):")
        print("\n".join(f"  {line}" for line in wrong))
        return 1
    print(f"{len(lower_bounds())} direct dependencies installed at their declared lower bound")
    return 0


if __name__ == "__main__":
    sys.exit(main())
