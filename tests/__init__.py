"""The tests are a package so that their shared helpers are imported by name (`from tests.helpers
import ROOT`, `from tests import oracle`) instead of through a sys.path entry: the repository root is on
sys.path under `python -m pytest` (the current directory) and under plain `pytest` (rootdir insertion of a
package's parent), with either import mode, and no helper module can shadow an installed one."""
