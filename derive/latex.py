"""TeX for the names a user chose. (SymPy's LaTeX printer that writes them unchanged is in
derive.latex_sympy, so that reading these names never imports SymPy.)"""

from __future__ import annotations

import re

_INDEXED = re.compile(r"^([A-Za-z]+)(\d+)$")


def tex_name(name: str) -> str:
    """`w4` → `w_{4}`, `O21` → `O_{21}`, `IQ` → `\\mathrm{IQ}`, `h_a` → `\\mathrm{h\\_a}`."""
    m = _INDEXED.match(name)
    if m:
        letters, digits = m.groups()
        return f"{_letters(letters)}_{{{digits}}}"
    return _letters(name)


def _letters(text: str) -> str:
    if len(text) == 1:
        return text
    return r"\mathrm{" + text.replace("_", r"\_") + "}"


def z_names(neurons: list[str]) -> dict[str, str]:
    """The TeX of each neuron's weighted sum: z_{1} for O1, z_{21} for O21; z_{\\mathrm{h}} otherwise,
    falling back to the full name wherever two neurons would share a subscript."""
    return {n: f"z_{{{sub}}}" for n, sub in _subscripts(neurons).items()}


def delta_names(neurons: list[str]) -> dict[str, str]:
    """The TeX of each neuron's δ = ∂L/∂z, with the same subscript as its z: \\delta_{1} beside z_{1}."""
    return {n: rf"\delta_{{{sub}}}" for n, sub in _subscripts(neurons).items()}


def _subscripts(neurons: list[str]) -> dict[str, str]:
    """A neuron's subscript: the digits of O21, else its TeX name; the full TeX name for every neuron
    when two would share one."""

    def sub(n: str) -> str:
        m = _INDEXED.match(n)
        return m.group(2) if m else tex_name(n)

    subs = {n: sub(n) for n in neurons}
    clash = len(set(subs.values())) < len(subs)
    return {n: tex_name(n) if clash else subs[n] for n in neurons}


def partial(top: str, bottom: str) -> str:
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


def number(text: str) -> str:
    """A plain-text number (`1.2e-7`, `-0.5`) as TeX."""
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


RELATIONS = (" = ", " \\approx ")  # the relations a worked line is made of, as the notes write them


def top_level_split(line: str, seps: tuple[str, ...]) -> list[tuple[str, str]]:
    """A line of TeX cut at each of `seps` outside braces, brackets and \\left…\\right: [("", first), (sep, part), …]."""
    parts: list[tuple[str, str]] = []
    depth, start, sep_before, i = 0, 0, "", 0
    while i < len(line):
        if line.startswith("\\left", i) and not line[i + 5 : i + 6].isalpha():
            depth += 1
        elif line.startswith("\\right", i) and not line[i + 6 : i + 7].isalpha():
            depth -= 1
        ch = line[i]
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth == 0:
            sep = next((s for s in seps if line.startswith(s, i)), None)
            if sep and line[start:i].strip():
                parts.append((sep_before, line[start:i].strip()))
                sep_before, start = sep.strip(), i + len(sep)
                i = start
                continue
        i += 1
    parts.append((sep_before, line[start:].strip()))
    return parts
