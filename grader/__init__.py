"""grader: autograde numerical homework in isolation and explain every verdict."""

import os as _os

__version__ = "0.1.0"

# In a source checkout, reference/, rubrics/ and templates/ sit beside grader/ (an installed
# copy has them inside the package as grader.reference, grader.rubrics, grader.templates):
# let those names resolve there too, however the checkout is put on sys.path.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_root, "pyproject.toml")) and _os.path.isdir(_os.path.join(_root, "rubrics")):
    __path__.append(_root)  # noqa: F821 - __path__ is defined for packages
