"""Run a real Asterisk in a chroot, and SIPp callers and desk phones against it."""

from bereik.sandbox.chroot import (
    AmiLogin,
    Asterisk,
    SandboxError,
    ami_login_from,
    build_root,
    debian_mirror,
    default_cache_dir,
    default_root,
    observer_section,
)

__all__ = [
    "AmiLogin",
    "Asterisk",
    "SandboxError",
    "ami_login_from",
    "build_root",
    "debian_mirror",
    "default_cache_dir",
    "default_root",
    "observer_section",
]
