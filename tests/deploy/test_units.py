"""The service unit bereik systemd writes: what it may write under ProtectSystem=strict."""
from bereik import deploy


def test_the_service_may_write_asterisks_call_spool_for_call_backs():
    unit = deploy.files(deploy.Layout("/opt/bereik/bin/bereik"))["etc/systemd/system/bereik.service"]
    [paths] = [line for line in unit.splitlines() if line.startswith("ReadWritePaths=")]
    # The call file is written in /var/spool/asterisk and renamed into outgoing/ (the same file system).
    assert paths.split("=", 1)[1].split() == ["-/var/lib/asterisk/sounds/bereik", "-/etc/asterisk",
                                              "-/var/spool/asterisk"]
    assert "@CALL_SPOOL@" not in unit and "@SOUNDS@" not in unit  # the tokens filled
