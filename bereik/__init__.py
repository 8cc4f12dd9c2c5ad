"""bereik: telephone reachability for Dutch municipalities."""
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version


def version() -> str:
    """The installed release (pyproject.toml's version), as `bereik --version` and /metrics show it."""
    try:
        return _distribution_version("bereik")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
