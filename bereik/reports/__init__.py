"""Monthly reachability reports in the Telan terms."""
