"""Log lines for journald: one JSON line per record, its syslog priority in front, a traceback inside the line."""
import json
import logging

from bereik.calllog import JsonLineFormatter


def record(level: int, message: str, name: str = "bereik.service", exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, (), exc_info)


def test_each_line_carries_its_priority_for_journalctl_p():
    formatter = JsonLineFormatter(journald=True)
    assert formatter.format(record(logging.WARNING, "AMI connection lost")).startswith('<4>{"level": "warning"')
    assert formatter.format(record(logging.ERROR, "store down")).startswith("<3>")
    assert formatter.format(record(logging.INFO, '{"call": "1", "step": "entry"}', name="bereik.call")) == \
        '<6>{"call": "1", "step": "entry"}'


def test_a_traceback_stays_inside_its_one_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        line = JsonLineFormatter(journald=True).format(record(logging.ERROR, "failed", exc_info=sys.exc_info()))
    assert "\n" not in line and "ValueError: boom" in json.loads(line[3:])["error"]


def test_without_journald_the_lines_are_plain_json():
    assert JsonLineFormatter().format(record(logging.INFO, "started")) == \
        '{"level": "info", "logger": "bereik.service", "message": "started"}'
