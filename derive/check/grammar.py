"""The grammar of answers: arithmetic, powers, the network's names, numbers, σ/exp/log/tanh, d/d
and ∂ notation, in plain text or a LaTeX subset. Kept in a module (not a data file) so it installs
with the code."""

from __future__ import annotations

import lark

# A name: letters and digits, then optional subscripts written _4, _{21} or _a (w_4, O_{21}, O1_12).
NAME_PATTERN = r"[A-Za-z][A-Za-z0-9]*(?:_(?:\{[A-Za-z0-9_]+\}|[A-Za-z0-9]+))*"
# The top or bottom of a derivative: a name, or z(name).
QN_PATTERN = rf"z\s*\(\s*{NAME_PATTERN}\s*\)|{NAME_PATTERN}"

LATEX_COMMANDS = {
    "frac",
    "dfrac",
    "tfrac",
    "partial",
    "cdot",
    "times",
    "left",
    "right",
    "sigma",
    "exp",
    "ln",
    "log",
    "tanh",
    "delta",
    "eta",
    "quad",
    "qquad",
    "approx",
}

GRAMMAR = r"""
?start: equation
equation: sum (EQ sum)*

?sum: product
    | sum _PLUS product            -> add
    | sum _MINUS product           -> sub

?product: signed
    | product _TIMES signed        -> mul
    | product _DIV signed          -> div
    | product power                -> imul

?signed: power
    | _MINUS signed                -> neg
    | _PLUS signed                 -> pos

?power: atom
    | atom POW signed              -> pow
    | atom SQUARE                  -> square

?atom: NUMBER                      -> number
    | NAME                         -> name
    | DERIV                        -> deriv
    | ZOF NAME _RP                 -> zof
    | _LP sum _RP                  -> group
    | _LB sum _RB                  -> group
    | FUNC PRIME? arg              -> call
    | _FRAC _LB sum _RB _LB sum _RB -> frac
    | _FRAC _LB DPART qn _RB _LB DPART qn _RB -> partial_frac
    | PARTIAL qn _DIV PARTIAL qn   -> partial_slash

?arg: _LP sum _RP                  -> group
    | _LB sum _RB                  -> group
    | NAME                         -> name
    | NUMBER                       -> number

qn: NAME                           -> qn_name
  | ZOF NAME _RP                   -> qn_z

NUMBER: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/
NAME.1: /(?:\\delta|\\eta|δ|η|NAMEPAT)(?:_(?:\{[A-Za-z0-9_]+\}|[A-Za-z0-9]+))*/
DERIV.3: /[d∂]\s*(?:QNPAT)\s*\/\s*[d∂]\s*(?:QNPAT)/
ZOF.3: /z\s*\(/
FUNC.2: /(?:\\(?:sigma|exp|ln|log|tanh)|sigmoid|sigma|σ|exp|log|ln|tanh)(?![A-Za-z0-9_])/
PRIME: /['′]/
PARTIAL.2: /\\partial|∂/
DPART.4: /\\partial|∂|d(?=[A-Za-z\\])/  // ∂ or d, only right after \frac{ and }{
EQ: /=|≈|\\approx/
POW.2: /\*\*|\^/
SQUARE: "²"
_PLUS: "+"
_MINUS: /[-−–]/
_TIMES: /\*|\\cdot|\\times|·|×/
_DIV: "/"
_LP: /\\left\s*[(\[]|[(\[]/
_RP: /\\right\s*[)\]]|[)\]]/
_LB: "{"
_RB: "}"
_FRAC: /\\[dt]?frac/
%ignore /\s+|\\[,;:! ]|\\q?quad/
""".replace("QNPAT", QN_PATTERN).replace("NAMEPAT", r"[A-Za-z][A-Za-z0-9]*")

# How the parser's terminals are named to a person.
TERMINAL_WORDS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "DERIV": "a derivative such as dL/dw1",
    "ZOF": "z(…)",
    "FUNC": "a function",
    "PRIME": "′",
    "PARTIAL": "∂",
    "DPART": "d",
    "EQ": "=",
    "POW": "^",
    "SQUARE": "²",
    "_PLUS": "+",
    "_MINUS": "-",
    "_TIMES": "*",
    "_DIV": "/",
    "_LP": "(",
    "_RP": ")",
    "_LB": "{",
    "_RB": "}",
    "_FRAC": "\\frac",
    "$END": "the end",
}


def syntax_message(exc, text: str) -> tuple[str, int | None, str]:
    """What a parse error means to a person: (message, character index, hint)."""
    pos = getattr(exc, "pos_in_stream", None)
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        return _unexpected_character(text, pos)
    token = getattr(exc, "token", None)
    if token is None or token.type == "$END":
        return (
            "the expression ends too early",
            len(text) - 1 if text else None,
            "an operator or a bracket is missing its other side",
        )
    expected = sorted({TERMINAL_WORDS.get(t, t) for t in getattr(exc, "expected", ())})
    hint = "expected " + ", ".join(expected[:8]) if expected else ""
    return f"`{token}` is not expected here", token.start_pos, hint


def _unexpected_character(text: str, pos: int | None) -> tuple[str, int | None, str]:
    ch = text[pos] if pos is not None and pos < len(text) else ""
    if not ch:
        return "the expression ends too early", pos, "an operator or a bracket is missing its other side"
    if ch in "'\"`":
        return (
            f"a quote `{ch}`: quotes have no meaning in maths",
            pos,
            "answers are maths with the network's names, not program code",
        )
    if ch == "_":
        return "`_` cannot start a name", pos, "names start with a letter, like w1 or O_2"
    if ch == "." and pos and (text[pos - 1].isalnum() or text[pos - 1] in ")]"):
        return "`.` after a name: attribute access is not maths", pos, "decimals are written 0.5; multiply with *"
    if ch in ",;:":
        return f"`{ch}` has no meaning here", pos, "functions take one argument, like exp(-z_1); multiply with *"
    return f"`{ch}` is not understood here", pos, "use + - * / ^, brackets, names, numbers, σ, exp, log, tanh"
