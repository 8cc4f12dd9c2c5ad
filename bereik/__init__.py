"""bereik: telephone reachability for Dutch municipalities."""
