"""Run derive's command line in this process and record how long its imports and its work took.

    python bench/timed.py TIMES.json -- [derive arguments...]

TIMES.json gets {"import": seconds, "work": seconds}: "import" is `import derive.cli` (with
everything it pulls in), "work" is the command itself (reading the network, the numbers, the notes,
writing the file). The interpreter's own start-up is in neither; bench/run.py measures the whole
process from outside.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    out, args = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    from derive.cli import main as derive_main

    imported = time.perf_counter()
    code = 0
    try:
        derive_main(args, standalone_mode=False)
    except SystemExit as exc:
        code = exc.code or 0
    done = time.perf_counter()
    Path(out).write_text(json.dumps({"import": imported - START, "work": done - imported}))
    sys.exit(code)


if __name__ == "__main__":
    main()
