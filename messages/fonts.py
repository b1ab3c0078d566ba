"""The Japanese font every drawing uses: IPAexGothic from the locked matplotlib-fontja wheel.

Found without importing matplotlib, so a process that draws nothing never loads it.
"""

from importlib.util import find_spec
from pathlib import Path

_SPEC = find_spec("matplotlib_fontja")
assert _SPEC is not None and _SPEC.submodule_search_locations is not None  # a locked dependency
_PACKAGE = Path(_SPEC.submodule_search_locations[0])
IPAEX_GOTHIC = _PACKAGE / "fonts" / "ipaexg.ttf"
