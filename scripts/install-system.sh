#!/usr/bin/env bash
# Prepare a fresh Debian bookworm machine for bereik's demo and tests (run as root).
# Idempotent: a second run installs nothing new and keeps the Asterisk chroot.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
packages=(
  python3 python3-venv
  mmdebstrap   # builds the Asterisk chroot (bookworm has no Asterisk package)
  sip-tester   # SIPp: simulated callers and desk phones
  espeak-ng sox  # Dutch prompts
  slapd ldap-utils  # a real directory for the LDAP tests
  chromium     # browser tests
  postgresql
  iproute2     # `ip netns`: several hosts for one test (the hosts fixture)
  prometheus   # promtool tests the shipped alert rules
  kamailio     # the SIP proxy in front of a platform's Asterisk nodes (dispatcher module)
)

step() { printf '\n==> %s\n' "$*"; }

if [[ $EUID -ne 0 ]]; then
  echo "install-system.sh: run as root (apt, mounts and chroot need it)" >&2
  exit 1
fi

step "Updating the package lists"
apt-get update

step "Installing ${packages[*]}"
DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"

# Debian starts Kamailio with its sample configuration on port 5060 of every address, which the demo's
# Asterisk needs; a platform's Kamailio runs with the configuration `bereik dialplan` writes.
if command -v systemctl >/dev/null && systemctl is-enabled --quiet kamailio 2>/dev/null; then
  step "Disabling Debian's sample Kamailio service"
  systemctl disable --now kamailio || true
fi

# The chroot is built from the Debian mirror this machine's apt already uses
# (read from its sources by bereik.sandbox; no host is written down here).
step "Debian mirror for the Asterisk chroot: $(cd "$repo" && python3 -m bereik.sandbox mirror)"

step "Building the Asterisk chroot if it is missing (about 30 s, 400 MB)"
(cd "$repo" && python3 -m bereik.sandbox build)

step "Done"
