"""The engine is a plain library: importing all of it must not import Django."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import recommendations.engine

ROOT = Path(__file__).resolve().parents[2]


def test_engine_and_every_submodule_import_without_django():
    names = [
        f"recommendations.engine.{module.name}"
        for module in pkgutil.iter_modules(recommendations.engine.__path__)
    ]
    assert "recommendations.engine.tuning" in names and "recommendations.engine.cli" in names
    code = (
        "import importlib, sys\n"
        "import recommendations.engine as engine\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "for name in engine.__all__:\n"
        "    getattr(engine, name)\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)\n"
        "print('plain', len(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("plain")
