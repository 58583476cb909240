"""The whole-process anchor of issue 16: a ~30-line back-propagation in mpmath at derive's 50 digits,
reading an explicit network file (`derive --expand`: dense, sigmoid, squared error, one data point)
with PyYAML's C loader and writing every gradient and updated value as JSON with 20 significant digits.

    python bench/mpmath_script.py NETWORK.yaml OUT.json
"""

import json
import sys
from pathlib import Path

import mpmath
import yaml

mpmath.mp.dps = 50
doc = yaml.load(Path(sys.argv[1]).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
num = lambda v: mpmath.mpf(str(v))  # noqa: E731 - the decimal as written
params = {k: num(v) for k, v in doc["parameters"].items()}
point, outputs, neurons = doc["data"][0], doc["outputs"], doc["neurons"]
ys = point["y"] if isinstance(point["y"], list) else [point["y"]]
value = {x: num(point[x]) for x in doc["inputs"]}
for name, n in neurons.items():  # written in forward order
    z = mpmath.fsum([params[n["bias"]]] + [params[w] * value[s] for s, w in n["from"].items()])
    value[name] = 1 / (1 + mpmath.exp(-z))
back = {name: mpmath.mpf(0) for name in neurons}
for o, y in zip(outputs, ys, strict=True):
    back[o] = -2 * (num(y) - value[o])
grads = {}
for name in reversed(list(neurons)):
    n = neurons[name]
    delta = value[name] * (1 - value[name]) * back[name]
    grads[n["bias"]] = delta
    for s, w in n["from"].items():
        grads[w] = delta * value[s]
        if s in back:
            back[s] += params[w] * delta
eta = num(doc["learning_rate"])
out = {p: {"gradient": mpmath.nstr(g, 20), "updated": mpmath.nstr(params[p] - eta * g, 20)} for p, g in grads.items()}
Path(sys.argv[2]).write_text(json.dumps(out), encoding="utf-8")
