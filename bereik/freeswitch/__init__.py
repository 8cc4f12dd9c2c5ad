"""FreeSWITCH: the same routing core behind an outbound event socket, and its configuration."""
