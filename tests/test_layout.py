"""The repository's shape: nothing at the top level may shadow a standard-library module."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def top_level_modules():
    for entry in ROOT.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.suffix == ".py":
            yield entry.stem
        elif entry.is_dir() and (entry / "__init__.py").exists():
            yield entry.name


def test_no_top_level_module_shadows_the_standard_library():
    shadowing = sorted(set(top_level_modules()) & set(sys.stdlib_module_names))
    assert shadowing == [], f"rename these: {shadowing}"


def test_platform_folder_is_not_an_importable_package():
    assert (ROOT / "platform").is_dir()
    assert not (ROOT / "platform" / "__init__.py").exists()
    import platform

    assert platform.system()  # the standard library's module, not ours
