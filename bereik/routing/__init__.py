"""Pure routing decisions: where a call goes and what the caller hears."""
