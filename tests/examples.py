"""The example municipality's YAML, read once per test process (over sixty test modules use it)."""
import functools
from pathlib import Path

from bereik.config.load import load_config
from bereik.config.model import Config

EXAMPLE_FILE = Path(__file__).parents[1] / "examples" / "bloemendaal.yaml"


@functools.cache
def example_config() -> Config:
    return load_config(EXAMPLE_FILE)
