"""The README's links and pictures point at files that exist in the repository."""

import re

from tests.helpers import ROOT


def test_every_local_link_and_picture_of_the_readme_exists():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text = re.sub(r"```.*?```|`[^`\n]*`", "", text, flags=re.S)  # code shows link syntax, links nothing
    targets = [t.split("#")[0] for t in re.findall(r"\]\(([^)\s]+)\)", text)]
    local = [t for t in targets if t and not re.match(r"[a-z]+:", t)]
    assert any(t.endswith(".png") for t in local), "the README shows its pictures"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == [], f"README links to missing files: {missing}"
