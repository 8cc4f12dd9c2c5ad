"""The YAML model of a municipality and its validation."""
from bereik.config.load import ConfigError, Problem, load_config, parse_config
from bereik.config.model import Config

__all__ = ["Config", "ConfigError", "Problem", "load_config", "parse_config"]
