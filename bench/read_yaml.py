"""Time the reading of one YAML file in this process, derive's way and the bare library's way.

    python bench/read_yaml.py FILE.yaml TIMES.json [REPEAT]

TIMES.json gets the fastest of REPEAT runs (default 3), in seconds, of:
- "yaml_c_load": `yaml.load(text, Loader=yaml.CSafeLoader)`, libyaml parsing and constructing Python
  objects, nothing checked: the floor for reading the file at all;
- "yaml_c_compose": `yaml.compose(text, Loader=yaml.CSafeLoader)`, libyaml's nodes with their marks;
- "derive_compose": derive.spec.source.compose, derive's node tree with every refusal (libyaml's
  parser where installed);
- "derive_compose_pure": the same with PyYAML's pure-Python parser (derive's reader before issue 16);
- "derive_load": derive.load_network, the file read, composed and validated into a Network.
Interpreter start-up and imports are in none of them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from derive import load_network
from derive.spec import source


def fastest(f, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    text = source.read_text(path)
    times = {
        "bytes": len(text.encode("utf-8")),
        "libyaml": bool(yaml.__with_libyaml__),
        "yaml_c_load": fastest(lambda: yaml.load(text, Loader=yaml.CSafeLoader), repeat),
        "yaml_c_compose": fastest(lambda: yaml.compose(text, Loader=yaml.CSafeLoader), repeat),
        "derive_compose": fastest(lambda: source.compose(text, path), repeat),
        "derive_compose_pure": fastest(lambda: source.compose(text, path, source.LOADERS[-1]), repeat),
        "derive_load": fastest(lambda: load_network(path), repeat),
    }
    Path(out).write_text(json.dumps(times))


if __name__ == "__main__":
    main()
