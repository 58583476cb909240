"""Regenerate output/: every examples/*.yaml rendered as Markdown and JSON.

Run from the top of the repository:  python scripts/render_examples.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from derive import explain  # noqa: E402
from derive.output import write  # noqa: E402

FORMATS = {"md": "md", "json": "json"}


def networks() -> list[Path]:
    """The example networks (answer files for `derive check` end in _answers.yaml)."""
    return [p for p in sorted((ROOT / "examples").glob("*.yaml")) if not p.stem.endswith("_answers")]


def expected_outputs() -> dict[Path, str]:
    """Every file output/ should hold, with its content (examples named relative to the repo)."""
    files = {}
    for example in networks():
        rel = example.relative_to(ROOT).as_posix()
        for fmt, ext in FORMATS.items():
            files[ROOT / "output" / f"{example.stem}.{ext}"] = explain(str(example), name=rel, fmt=fmt).text
    return files


def main() -> None:
    for path, text in expected_outputs().items():
        write(text, str(path))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
