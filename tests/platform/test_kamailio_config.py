"""Kamailio's configuration from the platform file: Debian's kamailio accepts it, and it says what the platform is."""
import re
from pathlib import Path

import pytest

from bereik.platform.kamailio import PROBING, TRUNK_SET, generate, set_of
from bereik.platform.load import check_platform
from bereik.sandbox.kamailio import Kamailio, KamailioError

REGIO = Path(__file__).parents[2] / "examples" / "regio"


@pytest.fixture(scope="module")
def region():
    return check_platform(REGIO / "platform.yaml")


def test_kamailio_accepts_the_generated_configuration(region, tmp_path):
    kamailio = Kamailio(region, tmp_path)
    kamailio.write()
    said = kamailio.check()  # kamailio -c: every module, parameter, route and function as Kamailio 5.6 reads them
    assert "config file ok" in said
    assert "udp: 10.77.0.1 [10.77.0.1]:5060" in said


def test_kamailio_minus_c_is_a_real_check(region, tmp_path):
    kamailio = Kamailio(region, tmp_path)
    kamailio.write()
    kamailio.config.write_text(kamailio.config.read_text().replace("ds_next_dst()", "ds_next_destination()"))
    with pytest.raises(KamailioError, match="unknown command"):
        kamailio.check()


def test_the_dispatcher_sets_each_municipality_s_instance_on_every_node_checked_and_the_trunk(region, tmp_path):
    lines = [line.split() for line in generate(region, tmp_path)["dispatcher.list"].splitlines()
             if line and not line.startswith("#")]
    assert [(int(s), uri, int(flags)) for s, uri, flags, *_ in lines] == [
        (1, "sip:10.77.0.2:5061", PROBING), (1, "sip:10.77.0.3:5061", PROBING), (1, "sip:10.77.0.4:5061", PROBING),
        (2, "sip:10.77.0.2:5062", PROBING), (2, "sip:10.77.0.3:5062", PROBING), (2, "sip:10.77.0.4:5062", PROBING),
        (TRUNK_SET, "sip:10.77.0.5:5060", 0)]
    assert lines[0][4] == "node=noord;municipality=bloemendaal"


def test_each_number_leads_to_the_set_of_the_municipality_that_answers_it(region, tmp_path):
    cfg = generate(region, tmp_path)["kamailio.cfg"]
    cases = dict(re.findall(r'case "(\d+)":\s+\$var\(set\) = (\d+);', cfg))
    assert cases == {number: str(set_of(region, m.id)) for number, m in region.answering().items()}
    assert cases["14023"] == "1" and cases["0235485868"] == "2"


def test_calls_from_outside_come_from_the_trunk_only_and_nodes_fail_over(region, tmp_path):
    cfg = generate(region, tmp_path)["kamailio.cfg"]
    main = cfg[cfg.index("request_route {"):cfg.index("route[WITHINDLG]")]
    trunk, node, refused = (main.index(f'ds_is_from_list("{TRUNK_SET}", "3")'), main.index('ds_is_from_list("-1", "3")'),
                            main.index('sl_send_reply("403", "Forbidden")'))
    assert trunk < node < refused  # the trunk, then the nodes (calls out), anyone else refused
    assert 'ds_select_dst("$var(set)", "4", "3")' in cfg  # round robin over the three nodes, each call
    assert "modparam(\"dispatcher\", \"ds_probing_threshold\", 2)" in cfg
    assert "modparam(\"dispatcher\", \"ds_ping_interval\", 1)" in cfg
    assert "modparam(\"tm\", \"fr_timer\", 1500)" in cfg
    failure = cfg[cfg.index("failure_route[NEXT_NODE]"):cfg.index("failure_route[NEXT_TRUNK]")]
    assert 'ds_mark_dst("ip")' in failure and "ds_next_dst()" in failure
