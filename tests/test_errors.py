import pytest

from audiollm.errors import AudioFormatError, AudiollmError, check_int


def test_errors_are_value_errors():
    assert issubclass(AudiollmError, ValueError) and issubclass(AudioFormatError, AudiollmError)


def test_check_int_returns_value_within_bounds():
    assert check_int("n", 1) == 1
    assert check_int("n", 0, 0) == 0
    assert check_int("n", 7, 1, 7) == 7


@pytest.mark.parametrize("value", [True, False, 1.0, "3", None, 0, -5])
def test_check_int_rejects_non_ints_bools_and_small_values(value):
    with pytest.raises(AudiollmError, match=r"^n_queries must be an int >= 1, got "):
        check_int("n_queries", value)


def test_check_int_upper_bound_is_named():
    with pytest.raises(AudiollmError, match=r"^d_model must be an int from 1 to 4096, got 4097$"):
        check_int("d_model", 4097, 1, 4096)
