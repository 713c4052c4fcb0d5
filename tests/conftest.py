import json
import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def frontend_golden():
    """Reference values from librosa / torch / whisper, made by fixtures/make_frontend_fixtures.py."""
    return json.loads((FIXTURES / "frontend.json").read_text())
