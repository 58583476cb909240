"""The cache of drawn figures (derive.pictures.figures): a figure is kept under a hash of every call it
makes on matplotlib, so the same network reads the same file back, a changed network draws a new one,
a damaged file is drawn again, and a warm run does not import matplotlib at all."""

import os
import subprocess
import sys
import time

import matplotlib
import pytest

from derive import load_network
from derive.pictures import figures
from tests.helpers import ROOT

PASS_FAIL = (ROOT / "examples" / "pass_fail.yaml").read_text(encoding="utf-8")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of the test's own, and a list of the formats matplotlib really drew."""
    folder = tmp_path / "figures"
    monkeypatch.setattr(figures, "cache_folder", lambda: folder)
    drawn: list[str] = []
    real = figures._save

    def save(fig, kind):
        drawn.append(kind)
        return real(fig, kind)

    monkeypatch.setattr(figures, "_save", save)
    return folder, drawn


def _descent(text=PASS_FAIL, param="w4"):
    return figures.descent_curve(load_network(text=text), 1, param)


def _fresh(make, monkeypatch):
    """What matplotlib draws with no cache at all."""
    with monkeypatch.context() as m:
        m.setattr(figures, "cache_folder", lambda: None)
        return make()


def test_the_same_figure_is_read_back_not_drawn_again(cache, monkeypatch):
    folder, drawn = cache
    first = _descent()["svg"]
    assert drawn == ["svg"] and len(list(folder.iterdir())) == 1
    again = _descent()["svg"]  # a new plan of the same network: the cached file
    assert drawn == ["svg"]
    assert again == first == _fresh(lambda: _descent()["svg"], monkeypatch)


def test_a_changed_network_is_a_changed_figure(cache, monkeypatch):
    """w3 is not the plotted weight, but the loss along w4 depends on it: a new file, drawn afresh."""
    folder, drawn = cache
    before = _descent()["svg"]
    assert "w3: 0.03" in PASS_FAIL  # the seed's w3, changed below
    changed_text = PASS_FAIL.replace("w3: 0.03", "w3: 0.04")
    after = _descent(changed_text)["svg"]
    assert drawn == ["svg", "svg"] and len(list(folder.iterdir())) == 2
    assert after != before
    assert after == _fresh(lambda: _descent(changed_text)["svg"], monkeypatch)


def test_each_format_has_its_own_file(cache):
    folder, drawn = cache
    plot = _descent()
    svg, pdf = plot["svg"], plot["pdf"]
    assert isinstance(svg, str) and pdf.startswith(b"%PDF")
    assert sorted(p.suffix for p in folder.iterdir()) == [".pdf", ".svg"]
    again = _descent()
    assert again["pdf"] == pdf and again["svg"] == svg and drawn == ["svg", "pdf"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # cut short
        lambda raw: raw[:-10] + b"0123456789",  # the end overwritten
        lambda raw: b"",  # empty
        lambda raw: raw[:32],  # the checksum alone
    ],
)
def test_a_damaged_cache_file_is_drawn_again_and_repaired(cache, damage):
    folder, drawn = cache
    good = _descent()["svg"]
    (path,) = folder.iterdir()
    path.write_bytes(damage(path.read_bytes()))
    assert _descent()["svg"] == good
    assert drawn == ["svg", "svg"]
    assert _descent()["svg"] == good and drawn == ["svg", "svg"]  # repaired: read back again


def test_a_change_in_the_drawing_code_is_a_new_file(cache, monkeypatch):
    folder, drawn = cache
    _descent()["svg"]
    monkeypatch.setattr(figures, "_source_digest", lambda: b"another version of figures.py")
    _descent()["svg"]
    assert drawn == ["svg", "svg"] and len(list(folder.iterdir())) == 2


def test_an_unusable_cache_folder_is_no_cache_and_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setattr(figures, "cache_folder", lambda: blocker / "figures")
    assert _descent()["svg"] == _fresh(lambda: _descent()["svg"], monkeypatch)


def test_the_folder_keeps_at_most_cache_files_files(cache, monkeypatch):
    folder, _ = cache
    monkeypatch.setattr(figures, "CACHE_FILES", 2)
    for param in ("w1", "w2", "w3", "w4"):
        _descent(param=param)["svg"]
    assert len(list(folder.iterdir())) == 2


def test_a_matplotlibrc_does_not_change_the_figure(monkeypatch):
    """The key holds what derive asks of matplotlib, not a user's settings: the drawing ignores them."""
    plain = _fresh(lambda: _descent()["svg"], monkeypatch)
    with matplotlib.rc_context({"lines.linewidth": 5, "font.size": 20, "axes.facecolor": "yellow"}):
        styled = _fresh(lambda: _descent()["svg"], monkeypatch)
        assert matplotlib.rcParams["lines.linewidth"] == 5  # and the user's settings are left as they were
    assert styled == plain


def _modules_after(args, env):
    probe = (
        "import sys\nfrom derive.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
        "    assert not e.code, e.code\nprint('loaded:' + ','.join(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    r = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:")
    return [m for m in last.removeprefix("loaded:").split(",") if m]


@pytest.mark.slow
def test_a_second_run_of_the_same_notes_imports_no_matplotlib(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    seed = str(ROOT / "examples" / "pass_fail.yaml")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert "matplotlib" in _modules_after([seed, "-o", str(tmp_path / "a" / "notes.md")], env)
    assert _modules_after([seed, "-o", str(tmp_path / "b" / "notes.md")], env) == []
    plot = "pass_fail_files/descent_w4.svg"
    assert (tmp_path / "a" / plot).read_bytes() == (tmp_path / "b" / plot).read_bytes()
    assert (tmp_path / "a" / "notes.md").read_text() == (tmp_path / "b" / "notes.md").read_text()


def test_another_version_of_a_drawing_library_is_another_cache_folder(tmp_path, monkeypatch):
    """matplotlib (or its layout solver, text parser, font or PNG library) upgraded: the old files are
    not served. Here a stand-in library, found by its dist-info folder as the real ones are."""
    import importlib

    (tmp_path / "standin").mkdir()
    (tmp_path / "standin" / "__init__.py").write_text("")
    (tmp_path / "standin-1.0.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(figures, "DRAWING_LIBRARIES", {"standin": "standin"})
    figures._libraries.cache_clear()
    old = figures._libraries()
    (tmp_path / "standin-1.0.dist-info").rename(tmp_path / "standin-1.1.dist-info")
    figures._libraries.cache_clear()
    importlib.invalidate_caches()
    new = figures._libraries()
    figures._libraries.cache_clear()
    assert old != new
    monkeypatch.undo()
    assert str(figures.cache_folder()).endswith(f"-libraries-{figures._libraries()}")


def test_a_file_left_half_written_long_ago_is_cleared_and_a_fresh_one_kept(cache):
    """A run stopped while writing leaves its temporary file; after an hour it is removed by the next
    run that writes, but a recent one (perhaps another run's, being written) is left alone."""
    folder, _ = cache
    folder.mkdir(parents=True)
    stale, fresh = folder / ".part-stale", folder / ".part-fresh"
    stale.write_bytes(b"half a figure")
    fresh.write_bytes(b"half a figure")
    long_ago = time.time() - 2 * 3600
    os.utime(stale, (long_ago, long_ago))
    _descent()["svg"]
    assert not stale.exists() and fresh.exists()
