"""The generated dialplan of a menu option's outside organisation: the YAML's number (never a channel
variable's) dialled through the class of service, the same way out as every call, and back to the front office
with why when the organisation does not answer; nothing of it without such an option."""
from pathlib import Path

from bereik.config import parse_config
from bereik.freeswitch.generate import generate as freeswitch
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.dialplan import generate
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

from test_dialplan import section  # one reading of a generated context for every dialplan test
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config()
SECRETS = Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26})
NOT_REACHED = "Sociale Zaken Heemstede is nu niet bereikbaar. Een medewerker van de gemeente helpt u verder."
SOCIALE_ZAKEN = ('    - key: "5"\n      forward_to: "0235485868"\n      organisation: Sociale Zaken Heemstede\n      text: '
                 '"Voor werk, inkomen of een uitkering bij Sociale Zaken in Heemstede, toets 5."\n')


def extensions(config=CONFIG) -> str:
    return generate(config, SECRETS)["extensions.conf"]


def put_through(extension: str, not_reached: str) -> list[str]:
    """A put-through context's lines: the YAML's number through the class of service, then the front office."""
    return [
        f"exten => {extension},1,Dial(Local/0235485868@bereik-outbound/n,30,r)",
        ' same => n,GotoIf($["${DIALSTATUS}" = "ANSWER"]?answered)',
        ' same => n,Set(BEREIK_FAILED=${IF($["${DIALSTATUS}" = "BUSY"]?busy:${IF($["${DIALSTATUS}" = "NOANSWER"]'
        '?noanswer:unavailable)})})',
        f" same => n,Playback({PromptLibrary(Path(), 'nl').sound_name(not_reached)})",
        " same => n,Goto(bereik-queue,tic,1)",
        " same => n(answered),Hangup()",
        "exten => _X!,1,Goto(bereik-queue,tic,1)",
    ]


def assert_freeswitch_bridges_only_0235485868_then_the_front_office(prefix: str) -> None:
    xml = freeswitch(CONFIG)["dialplan/bereik.xml"]
    assert f'expression="^{prefix}-(0235485868)$"' in xml
    after = xml.split(f'expression="^{prefix}-(0235485868)$"', 1)[1].split("</condition>", 1)[0]
    assert 'data="continue_on_fail=true"' in after and 'data="sofia/gateway/trunk/$1"' in after
    assert after.rstrip().endswith('<action application="transfer" data="bereik-queue-tic XML bereik" />')


def test_the_entry_sends_a_put_through_to_the_outside_context_by_the_key_pressed():
    entry = section(extensions(), "bereik-entry")
    routed = [line for line in entry if "BEREIK_ACTION" in line and "outside" in line]
    assert routed and all(line.endswith('GotoIf($["${BEREIK_ACTION}" = "outside"]?bereik-outside,${BEREIK_CHOICE},1)')
                          for line in routed)
    assert len(routed) == len(CONFIG.entry_numbers)


def test_the_yamls_number_is_dialled_through_the_class_of_service_and_a_failure_goes_to_the_front_office():
    assert section(extensions(), "bereik-outside") == put_through("5", NOT_REACHED)


def test_the_class_of_service_is_the_only_way_to_the_trunk_from_the_outside_context():
    outside = "\n".join(section(extensions(), "bereik-outside"))
    assert "trunk" not in outside and "BEREIK_FORWARD_TO" not in outside


def test_what_the_caller_hears_is_rendered_ahead():
    texts = spoken_texts(CONFIG)
    assert "U wordt doorverbonden met Sociale Zaken Heemstede." in texts and NOT_REACHED in texts


def test_without_an_outside_option_there_is_no_outside_context_nor_way_to_it():
    without = parse_config(EXAMPLE.read_text().replace(SOCIALE_ZAKEN, ""))
    text = extensions(without)
    assert "[bereik-outside]" not in text and "bereik-outside," not in text
    assert "bereik-outside" not in freeswitch(without)["dialplan/bereik.xml"]


def test_freeswitch_bridges_only_the_yamls_numbers_and_falls_back_to_the_front_office():
    assert_freeswitch_bridges_only_0235485868_then_the_front_office("bereik-outside")


# Another municipality on the shared 14 number (Heemstede, key 2 of the municipality choice) is put through the
# same way: the YAML's number, then the front office with why, never a hang-up when it is busy.
HEEMSTEDE_NOT_REACHED = ("De gemeente Heemstede is nu niet bereikbaar. Een medewerker van de gemeente helpt u "
                         "verder.")
SHARED_NUMBER = ('shared_number:            # 14023 is shared; the caller first picks a municipality\n'
                 '  our_key: "1"\n  others:\n    - key: "2"\n      name: Heemstede\n      forward_to: "0235485868"\n')


def test_the_entry_sends_a_forward_to_the_other_municipalitys_context_by_its_number():
    entry = section(extensions(), "bereik-entry")
    routed = [line for line in entry if '"forward"' in line]
    assert routed == [' same => n,GotoIf($["${BEREIK_ACTION}" = "forward"]?bereik-other-municipality,'
                      '${BEREIK_FORWARD_TO},1)'] * len(CONFIG.entry_numbers)
    assert not [line for line in entry if "bereik-outbound" in line]  # never straight to the way out


def test_the_other_municipalitys_number_is_dialled_and_a_failure_goes_to_the_front_office():
    assert section(extensions(), "bereik-other-municipality") == put_through("0235485868", HEEMSTEDE_NOT_REACHED)
    assert HEEMSTEDE_NOT_REACHED in spoken_texts(CONFIG)


def test_the_other_municipalitys_text_is_english_in_an_english_file():
    english = parse_config(EXAMPLE.read_text().replace("language: nl", "language: en"))
    assert english.language == "en"
    assert ("The municipality of Heemstede cannot be reached now. One of the municipality's staff will help you."
            in spoken_texts(english))


def test_without_a_shared_number_there_is_no_other_municipality_context_nor_way_to_it():
    assert SHARED_NUMBER in EXAMPLE.read_text()
    without = parse_config(EXAMPLE.read_text().replace(SHARED_NUMBER, ""))
    text = extensions(without)
    assert "bereik-other-municipality" not in text and '"forward"' not in text
    assert "bereik-forward" not in freeswitch(without)["dialplan/bereik.xml"]


def test_freeswitch_forwards_only_the_other_municipalitys_number_and_falls_back_to_the_front_office():
    assert_freeswitch_bridges_only_0235485868_then_the_front_office("bereik-forward")
