import os
import sys

# Run the tests against the source tree without installing the package.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
