"""The one Jinja2 environment factory: every template of every format is loaded here, sandboxed.

A `--templates` folder may come from anyone, so every environment is an
`ImmutableSandboxedEnvironment` (no attribute starting with `_`, no mutating a list or dict, no
calling what is not safe) with `StrictUndefined`. The kinds differ only in their markup:

- `md` and `text`: Jinja2's own delimiters, nothing escaped;
- `html` and `svg`: the same delimiters, values HTML-escaped;
- `tex`: `\\BLOCK{…}`, `\\VAR{…}`, `\\#{…}`, `%%` line statements and `%#` line comments, so the
  delimiters never fight TeX's braces.

The built-in environment of a kind (with a given set of filters) is built once and shared, so each
template compiles once per process; a folder `extra` gets a fresh one every time, so an override
that appears while a notebook runs is seen.

Compiled templates are also kept between runs, in Jinja2's bytecode cache in the user's cache folder
(`platformdirs.user_cache_dir("derive")`, e.g. ~/.cache/derive/templates/): a run loads a template's
code instead of compiling it again. A cached template is used only for the very same source text
(Jinja2 stores a SHA-1 of the source with the code and compiles again when it differs, whatever the
file's time), the same template path, the same derive and Jinja2 versions (each has its own folder),
and the same environment (kind, delimiters, filters, and this module's own file: its code generator
writes the time checks into the code). Where the folder cannot be made or written, nothing is cached
and nothing is said.

Beyond the sandbox, a template from someone else is held to bounds (`render_template`):

- a template file must lie inside its folder once links are resolved, be a regular file and be at
  most `MAX_TEMPLATE_BYTES` long;
- `range` stops at the sandbox's 100,000 items; `*`, `**`, `+`, `%`, str methods and the filters
  refuse to build a string or list of more than `MAX_ITEMS` items (or a format wider than 7 digits)
  or a number of more than `MAX_DIGITS` digits;
- a rendering stops past `MAX_OUTPUT` characters or `TIME_BUDGET` seconds (checked at every call,
  operator, filter, piece of output and pass of a loop);
- any mistake in a template (syntax, an undefined name, a missing include, endless recursion, a bound
  passed) is one `DeriveError` naming the template file and line.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import os
import re
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache
from jinja2.sandbox import ImmutableSandboxedEnvironment

from derive.errors import DeriveError

MAX_TEMPLATE_BYTES = 1_000_000
MAX_ITEMS = 10_000_000  # characters of a string, items of a list, built by one operator or filter
MAX_DIGITS = 10_000  # digits of a number built by `**` or `*`
MAX_OUTPUT = 100_000_000  # characters one rendering may write
TIME_BUDGET = 120.0  # seconds one rendering may take

KINDS = ("md", "text", "html", "svg", "tex")
_TEX_SYNTAX = {
    "block_start_string": r"\BLOCK{",
    "block_end_string": "}",
    "variable_start_string": r"\VAR{",
    "variable_end_string": "}",
    "comment_start_string": r"\#{",
    "comment_end_string": "}",
    "line_statement_prefix": "%%",
    "line_comment_prefix": "%#",
}


def template_dir() -> Path:
    """templates/ inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "notes.md.j2").exists():
            return candidate
    raise FileNotFoundError("derive's templates are missing; reinstall with `pip install .`")


def environment(
    kind: str = "md", extra: Path | str | None = None, filters: Mapping[str, Callable[..., Any]] | None = None
) -> jinja2.Environment:
    """The sandboxed environment for templates of `kind`, with `filters` added; a folder `extra`
    overrides built-in templates of the same relative name."""
    if kind not in KINDS:
        raise ValueError(f"unknown template kind {kind!r}")
    items = tuple(sorted((filters or {}).items()))
    if extra is None:
        return _shared(kind, items)
    return _build(kind, Path(extra), items)


@lru_cache(maxsize=32)
def _shared(kind: str, filters: tuple) -> jinja2.Environment:
    return _build(kind, None, filters)


def _build(kind: str, extra: Path | None, filters: tuple) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [_FolderLoader(extra)] if extra else []
    loaders.append(_FolderLoader(template_dir()))
    env = _BoundedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=kind in ("html", "svg"),
        trim_blocks=kind != "html",
        lstrip_blocks=kind != "html",
        keep_trailing_newline=True,
        **(_TEX_SYNTAX if kind == "tex" else {}),
    )
    env.filters.update(dict(filters))
    for name, f in list(env.filters.items()):
        env.filters[name] = _bounded_filter(name, f)
    env.bytecode_cache = _bytecode_cache(kind, env)
    return env


# -- compiled templates kept between runs -------------------------------------------------------------


class _QuietCache(FileSystemBytecodeCache):
    """Jinja2's file cache that never fails a run: a file it cannot read or write (a read-only or
    full disk, a file cut short, another run replacing it) is a template compiled as if uncached."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # whatever is wrong with the file (a truncated pickle, …), compiling is the answer
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def cache_folder() -> Path | None:
    """Where compiled templates are kept: one folder per derive and Jinja2 version (None: no cache)."""
    from derive.defaults import VERSION as __version__

    try:
        import platformdirs
    except ImportError:  # pragma: no cover - a dependency, but caching is only an optimisation
        return None
    return (
        Path(platformdirs.user_cache_dir("derive")) / "templates" / f"derive-{__version__}-jinja2-{jinja2.__version__}"
    )


def _bytecode_cache(kind: str, env: jinja2.Environment) -> jinja2.BytecodeCache | None:
    folder = _made(cache_folder())
    if folder is None:
        return None
    # What else shapes the compiled code: the kind's settings, each filter and how it is called
    # (Jinja2 compiles a call with the context for a @pass_context filter), and this module.
    here = os.stat(__file__)
    settings = [kind, env.block_start_string, env.variable_start_string, env.line_statement_prefix]
    settings += [f"{n}:{getattr(f, 'jinja_pass_arg', '')}" for n, f in sorted(env.filters.items())]
    settings += [str(here.st_mtime_ns), str(here.st_size)]
    digest = hashlib.sha1("\n".join(map(str, settings)).encode(), usedforsecurity=False).hexdigest()[:16]
    return _QuietCache(str(folder), f"{digest}-%s.cache")


@lru_cache(maxsize=4)
def _made(folder: Path | None) -> Path | None:
    """`folder`, made (private to the user) if need be and writable; None where it cannot be."""
    if folder is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK | os.X_OK) else None


class TemplateBoundError(jinja2.TemplateRuntimeError):
    """A template went past one of the bounds above."""


class _FolderLoader(jinja2.BaseLoader):
    """Templates from one folder; a file (or a folder on its way) that is a link leading out of it, a
    file that is not a regular file or one over MAX_TEMPLATE_BYTES is refused, not followed."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.root = os.path.realpath(folder)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        path = os.path.join(self.folder, *pieces)
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        real = os.path.realpath(path)
        if os.path.commonpath([self.root, real]) != self.root:
            raise DeriveError(
                f"{path}: the template is a link to {real}, outside the templates folder {self.folder}; "
                "copy the file into the folder instead"
            )
        if not os.path.isfile(real):
            raise DeriveError(f"{path}: the template is not a regular file; give a file of Jinja2 text")
        size = os.path.getsize(real)
        if size > MAX_TEMPLATE_BYTES:
            raise DeriveError(f"{path}: the template is {size:,} bytes, over the limit of {MAX_TEMPLATE_BYTES:,}")
        try:
            with open(real, encoding="utf-8") as handle:
                source = handle.read()
        except UnicodeDecodeError:
            raise DeriveError(f"{path}: the template is not UTF-8 text; save it as UTF-8") from None
        mtime = os.path.getmtime(real)
        return source, path, lambda: os.path.exists(real) and os.path.getmtime(real) == mtime

    def list_templates(self) -> list[str]:
        found = []
        for folder, _, files in os.walk(self.folder):
            found += [os.path.relpath(os.path.join(folder, f), self.folder).replace(os.sep, "/") for f in files]
        return sorted(found)


# The deadline and characters left of the rendering under way in this thread (set by render_template).
_BUDGET: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("derive_template_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None and time.monotonic() > budget[0]:
        raise TemplateBoundError(f"the template took longer than {TIME_BUDGET:g} seconds")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else 0


def _check_result(value: Any, what: str) -> Any:
    if isinstance(value, (str, bytes, list, tuple)) and len(value) > MAX_ITEMS:
        raise TemplateBoundError(f"{what} would make {len(value):,} items, over the limit of {MAX_ITEMS:,}")
    return value


def _digits(n: int) -> int:
    return int(abs(n).bit_length() * 0.30103) + 1


def _bounded_binop(op: str, left: Any, right: Any) -> Any:
    """`*`, `**`, `+` and `%`, refusing to build anything too big before building it."""
    _tick()
    numbers = all(isinstance(x, int) and not isinstance(x, bool) for x in (left, right))
    if op == "**":
        if numbers and right > 0 and abs(left) > 1 and _digits(left) * right > MAX_DIGITS:
            raise TemplateBoundError(f"{left} ** {right} would have more than {MAX_DIGITS:,} digits")
        if not numbers and isinstance(right, int) and abs(right) > MAX_DIGITS:
            raise TemplateBoundError(f"a power of {right} is refused (at most {MAX_DIGITS:,})")
        return left**right
    if op == "*":
        if numbers:
            if _digits(left) + _digits(right) > MAX_DIGITS:
                raise TemplateBoundError(f"a product would have more than {MAX_DIGITS:,} digits")
            return left * right
        for seq, n in ((left, right), (right, left)):
            if isinstance(n, int) and _size(seq) * max(n, 0) > MAX_ITEMS:
                raise TemplateBoundError(
                    f"repetition would make {_size(seq) * n:,} items, over the limit of {MAX_ITEMS:,}"
                )
        return left * right
    if op == "%":
        if isinstance(left, str) and _wide(left):
            raise TemplateBoundError("a format with a width of more than 7 digits is refused")
        return left % right
    if _size(left) + _size(right) > MAX_ITEMS:
        raise TemplateBoundError(f"joining would make more than {MAX_ITEMS:,} items")
    return left + right


class _TickingCodeGenerator(jinja2.compiler.CodeGenerator):
    """Compiles every block body (each pass of a loop, each branch, each macro) to start by checking
    the time budget, so loops that call nothing cannot spin past it."""

    def blockvisit(self, nodes: Any, frame: Any) -> None:
        self.writeline("environment.derive_tick()")
        super().blockvisit(nodes, frame)


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with operators, calls and attribute look-ups checked against the bounds."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _TickingCodeGenerator
    derive_tick = staticmethod(_tick)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        return _bounded_binop(operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # the sandbox wraps str.format
        if isinstance(owner, (str, bytes, list, tuple)) or __obj is __self.globals.get("range"):
            _refuse_big(args, kwargs, "a call")
            if isinstance(owner, str) and getattr(__obj, "__name__", "") in ("format", "format_map") and _wide(owner):
                raise TemplateBoundError("a format with a width of more than 7 digits is refused")
        return _check_result(super().call(__context, __obj, *args, **kwargs), "a call")

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)


# Jinja2's filters whose numbers say how big a result to build.
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "truncate", "batch", "slice", "format"})


def _refuse_big(args: tuple, kwargs: dict, what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ITEMS:
            raise TemplateBoundError(f"{what} with the number {value} is refused (at most {MAX_ITEMS:,})")


def _wide(fmt: str) -> bool:
    """Whether a format string asks for a width or precision of 8 digits or more."""
    return re.search(r"\d{8,}", fmt) is not None


def _bounded_filter(name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        if name in _WIDTH_FILTERS:
            _refuse_big(args, kwargs, f"the filter {name}")
        if name == "format" and args and isinstance(args[0], str) and _wide(args[0]):
            raise TemplateBoundError("a format with a width of more than 7 digits is refused")
        strings = sum(len(value) for value in (*args, *kwargs.values()) if isinstance(value, str))
        if (
            name == "replace"
            and len(args) >= 3
            and isinstance(args[2], str)
            and strings * (len(args[2]) + 1) > MAX_ITEMS
        ):
            raise TemplateBoundError(f"the filter replace could make more than {MAX_ITEMS:,} characters")
        return _check_result(f(*args, **kwargs), f"the filter {name}")

    return bounded


def render_template(env: jinja2.Environment, name: str, **context: Any) -> str:
    """`name` from `env` rendered with `context`, within the bounds above; a mistake in the template
    becomes one DeriveError naming its file and line."""
    token = _BUDGET.set([time.monotonic() + TIME_BUDGET])
    try:
        parts: list[str] = []
        written = 0
        for piece in env.get_template(name).generate(**context):
            written += len(piece)
            if written > MAX_OUTPUT:
                raise TemplateBoundError(f"the template wrote more than {MAX_OUTPUT:,} characters")
            _tick()
            parts.append(piece)
        return "".join(parts)
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise DeriveError(f"{where}: template syntax error: {exc.message}; fix the template") from None
    except jinja2.TemplateNotFound as exc:
        raise DeriveError(
            f"{_where(exc, name)}: the template asks for {exc.name!r}, which is in no templates folder"
        ) from None
    except (
        jinja2.TemplateError,
        OverflowError,
        RecursionError,
        TypeError,
        ValueError,
        ArithmeticError,
        LookupError,
    ) as exc:
        what = (
            "endless recursion"
            if isinstance(exc, RecursionError)
            else str(exc).splitlines()[0]
            if str(exc)
            else type(exc).__name__
        )
        raise DeriveError(f"{_where(exc, name)}: template error: {what}; fix the template") from None
    finally:
        _BUDGET.reset(token)


def _where(exc: BaseException, name: str) -> str:
    """file:line of the innermost template frame in the traceback (Jinja2 rewrites frames to the
    template's own file and line), else the template's name."""
    found = name
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found
