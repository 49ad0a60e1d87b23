"""The installed package (issue 11): `pip install ./python` carries libvtokc.so when it has been built, and the
engine found from the installed copy alone encodes; `import vtok_stream` never needs the library.

The install test needs the built library (scripts/test.sh builds it first); outside CI it skips without one,
in CI it fails."""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIBRARY = os.path.join(ROOT, ".build", "release", "libvtokc.so")
MODEL = os.path.join(ROOT, "models", "vtok-4x8x8.safetensors")
IN_CI = bool(os.environ.get("CI"))

needs_library = pytest.mark.skipif(not os.path.isfile(LIBRARY) and not IN_CI,
                                   reason="needs .build/release/libvtokc.so (swift build -c release --product vtokc)")


def python(code, cwd, **env):
    """Runs `code` in a fresh interpreter that sees only what env's PYTHONPATH gives (not this source tree)."""
    full = {k: v for k, v in os.environ.items() if k not in ("VTOK_LIBRARY", "PYTHONPATH", "VTOK_MODEL")}
    full.update(env)
    r = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=full, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def source_copy(tmp_path):
    """python/ without tests, build or egg-info folders: pip's in-tree build then leaves the source tree alone."""
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "python"), src,
                    ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__", "*.so"))
    return src


def test_import_and_lazy_engine_names_without_the_library(tmp_path):
    out = python(
        "import sys, vtok_stream\n"
        "assert 'vtok_stream.engine' not in sys.modules, 'the engine is imported lazily'\n"
        "from vtok_stream import Tokenizer, LibraryNotFoundError, engine\n"
        "assert Tokenizer is engine.Tokenizer and 'Tokenizer' in vtok_stream.__all__\n"
        "try:\n"
        "    Tokenizer()\n"
        "except LibraryNotFoundError as e:\n"
        "    print('refused:', e)\n",
        cwd=str(tmp_path), PYTHONPATH=os.path.join(ROOT, "python"), VTOK_LIBRARY=str(tmp_path / "none.so"))
    assert out.startswith("refused: cannot load")
    with pytest.raises(AttributeError):
        import vtok_stream
        vtok_stream.NotAName  # noqa: B018


@needs_library
def test_pip_install_carries_the_library_and_the_installed_engine_encodes(tmp_path):
    src = source_copy(tmp_path)
    wheels = tmp_path / "wheels"
    env = dict(os.environ, VTOK_LIBRARY=LIBRARY)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(src)], check=True, env=env, timeout=300, capture_output=True)
    (wheel,) = os.listdir(wheels)
    assert not wheel.endswith("-none-any.whl"), wheel          # a platform wheel: it holds a native library
    with zipfile.ZipFile(wheels / wheel) as z:
        assert "vtok_stream/libvtokc.so" in z.namelist()
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                    str(wheels / wheel)], check=True, timeout=300, capture_output=True)

    out = python(
        "import numpy as np, vtok_stream\n"
        "from vtok_stream import Tokenizer, find_library\n"
        "print(find_library())\n"
        f"tok = Tokenizer({MODEL!r})\n"
        "frames = np.random.default_rng(0).integers(0, 256, (5, 256, 256, 3), dtype=np.uint8)\n"
        "t = tok.encode(frames)\n"
        "print(t.shape, t.dtype)\n",
        cwd=str(tmp_path), PYTHONPATH=str(site))
    found, shape = out.splitlines()
    assert found == str(site / "vtok_stream" / "libvtokc.so")
    assert shape == "(2, 32, 32) uint16"


def test_without_a_library_the_wheel_stays_pure(tmp_path):
    src = source_copy(tmp_path)
    wheels = tmp_path / "wheels"
    env = dict(os.environ, VTOK_NO_LIBRARY="1")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(src)], check=True, env=env, timeout=300, capture_output=True)
    (wheel,) = os.listdir(wheels)
    assert wheel.endswith("-py3-none-any.whl"), wheel
    with zipfile.ZipFile(wheels / wheel) as z:
        assert not [n for n in z.namelist() if n.endswith(".so")]
