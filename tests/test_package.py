"""The package's top level: every module is reachable by its name, and everything exported exists."""
import importlib

import pytest

import audiollm


@pytest.mark.parametrize("name", ["fft", "stft", "resample", "diarize", "mel", "wav", "encoder", "bridges"])
def test_a_module_is_not_shadowed_by_its_function(name):
    module = importlib.import_module(f"audiollm.{name}")
    namespace = {}
    exec(f"import audiollm.{name} as imported", namespace)  # the issue's `import audiollm.diarize as D`
    assert getattr(audiollm, name) is module and namespace["imported"] is module


def test_every_exported_name_exists_once():
    assert all(hasattr(audiollm, name) for name in audiollm.__all__)
    assert len(set(audiollm.__all__)) == len(audiollm.__all__)
