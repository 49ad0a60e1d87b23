"""Puts libvtokc.so (vtok_stream.engine's library) inside the wheel when it has been built.

The metadata is in pyproject.toml; this file only adds the library. At build time (`pip install ./python`,
`pip wheel ./python`) the library is taken from $VTOK_LIBRARY, else from the source tree's
.build/release/libvtokc.so (`swift build -c release --product vtokc`), and copied to vtok_stream/libvtokc.so in
the wheel, which is then tagged for this platform (it holds a native library). Without one, the wheel is pure
Python as before and the engine looks for the library at run time (vtok_stream/engine.py, `find_library`).
VTOK_NO_LIBRARY=1 builds the pure wheel even when a library exists. Editable installs (`pip install -e`) copy
nothing: there the engine finds the build folder's library itself.

The library needs, on the machine that imports it, what it was linked against: the Swift runtime libraries (its
RUNPATH names /opt/swift/usr/lib/swift/linux and $ORIGIN, so they may also be copied next to it), oneDNN and
OpenBLAS (docs/scale-out.md).
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
LIBRARY_NAME = "libvtokc.so"


def library():
    """The libvtokc.so to bundle, or None."""
    if os.environ.get("VTOK_NO_LIBRARY"):
        return None
    env = os.environ.get("VTOK_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise SystemExit(f"vtok: VTOK_LIBRARY={env} is not a file (unset it to build without the library)")
        return env
    built = os.path.join(HERE, "..", ".build", "release", LIBRARY_NAME)
    return built if os.path.isfile(built) else None


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        lib = library()
        if lib and not getattr(self, "editable_mode", False):
            target = os.path.join(self.build_lib, "vtok_stream", LIBRARY_NAME)
            shutil.copyfile(lib, target)
            os.chmod(target, 0o755)
            print(f"vtok: bundled {os.path.abspath(lib)} as vtok_stream/{LIBRARY_NAME}")


class MaybeBinaryDistribution(Distribution):
    def has_ext_modules(self):
        return library() is not None   # a native library inside: a platform wheel, not py3-none-any


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=MaybeBinaryDistribution)
