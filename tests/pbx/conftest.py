import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

from bereik.ivr.prompts import PromptLibrary  # noqa: E402
from bereik.pbx.call_files import CallFiles  # noqa: E402


@pytest.fixture(scope="module")
def prompts(tmp_path_factory):
    return PromptLibrary(tmp_path_factory.mktemp("sounds"))


@pytest.fixture(scope="module")
def companions(tmp_path_factory):
    return CallFiles(tmp_path_factory.mktemp("outgoing")).companion
