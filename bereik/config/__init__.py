"""The YAML model of a municipality and its validation."""
from bereik.config.load import Checked, ConfigError, Problem, check_file, check_text, load_config, parse_config
from bereik.config.model import Config

__all__ = ["Checked", "Config", "ConfigError", "Problem", "check_file", "check_text", "load_config", "parse_config"]
