import json
import pathlib

import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def frontend_golden():
    """Reference values from librosa / torch / whisper, made by fixtures/make_frontend_fixtures.py."""
    return json.loads((FIXTURES / "frontend.json").read_text())


@pytest.fixture
def json_parses(monkeypatch):
    """A list that gets one entry (the text's length) for every json.loads call while the test runs."""
    parses = []
    loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text: parses.append(len(text)) or loads(text))
    return parses
