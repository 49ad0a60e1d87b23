import os
import sys

import pytest

# Run the tests against the source tree without installing the package.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray with 2 CPUs for one test module (started here unless one is already running)."""
    import ray
    from vtok_stream import raydata
    if ray.is_initialized():
        yield
        return
    raydata.local_ray(2, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()
