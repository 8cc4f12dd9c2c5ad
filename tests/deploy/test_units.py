"""What bereik systemd writes: what the service may write under ProtectSystem=strict, and the directories
made for it."""
from bereik import deploy


def test_the_service_may_write_asterisks_call_spool_for_call_backs():
    unit = deploy.files(deploy.Layout("/opt/bereik/bin/bereik"))["etc/systemd/system/bereik.service"]
    [paths] = [line for line in unit.splitlines() if line.startswith("ReadWritePaths=")]
    # The call file is written in /var/spool/asterisk and renamed into outgoing/ (the same file system).
    assert paths.split("=", 1)[1].split() == ["-/var/lib/asterisk/sounds/bereik", "-/etc/asterisk",
                                              "-/var/spool/asterisk"]
    assert "@CALL_SPOOL@" not in unit and "@SOUNDS@" not in unit  # the tokens filled


def test_the_directory_of_asterisks_event_log_for_bereik_is_made_for_asterisk_to_write():
    """Asterisk's cel_custom never makes it, and Debian's package has none: without it no CEL is written."""
    layout = deploy.Layout("/opt/bereik/bin/bereik", cel="/var/log/asterisk/cel-custom/bereik.csv")
    tmpfiles = deploy.files(layout)["etc/tmpfiles.d/bereik.conf"]
    [entry] = [line for line in tmpfiles.splitlines() if line and not line.startswith("#")]
    assert entry.split() == ["d", "/var/log/asterisk/cel-custom", "0750", "asterisk", "asterisk", "-"]
    assert "systemd-tmpfiles --create bereik.conf" in deploy.NEXT_STEPS
