"""Administration: what a change does, importing an existing PBX, reloading safely."""
