import math

import pytest

from audiollm.base.errors import (MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, AudioFormatError, AudiollmError, check_choice,
                                  check_float, check_int, check_matrix, check_sample_rate, check_samples, check_args,
                                  check_type)


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


def test_check_samples_returns_a_new_list_of_floats():
    from array import array
    source = [1, 0.5, -2]
    values = check_samples("samples", source)
    assert values == [1.0, 0.5, -2.0] and values is not source and all(type(v) is float for v in values)
    assert check_samples("x", (0.25,)) == [0.25] and check_samples("x", array("h", [0, 3])) == [0.0, 3.0]
    assert check_samples("x", []) == []


@pytest.mark.parametrize("samples, message", [
    ([[0.1, 0.2], [0.3, 0.4]], r"^audio looks two-dimensional \(2 rows, the first of 2 values\); pass one channel"),
    ([(0.1, 0.2)] * 5, r"^audio looks two-dimensional \(5 rows"),
    ("0.5", r"^audio must be a list, tuple or array of numbers, got str$"),
    ((x for x in [0.5]), r"^audio must be a list, tuple or array of numbers, got generator$"),
    ({0.5}, "got set"), (None, "got NoneType"),
    ([0.5, "0.5"], r"^audio must contain only real numbers"), ([1j], "only real numbers"), ([10 ** 400], "real"),
    ([0.0, math.nan], r"^audio\[1\] is nan; samples must be finite"), ([math.inf], r"^audio\[0\] is inf"),
    ([0.0, -1e151], r"^audio\[1\] is -1e\+151; samples must be finite and within \+-1e\+150$"),
])
def test_check_samples_names_what_is_wrong(samples, message):
    with pytest.raises(AudiollmError, match=message):
        check_samples("audio", samples)


def test_check_sample_rate_bounds():
    assert check_sample_rate("sr", MIN_SAMPLE_RATE) == 1000 and check_sample_rate("sr", MAX_SAMPLE_RATE) == 768000
    for bad in (4, 999, 768001, 16000.0, True):
        with pytest.raises(AudiollmError, match=rf"^orig_sr must be an int from 1000 to 768000, got {bad!r}$"):
            check_sample_rate("orig_sr", bad)


def test_check_float():
    assert check_float("gain", 2) == 2.0 and type(check_float("gain", 2)) is float
    assert check_float("p", 4.0, 0.0, 4.0) == 4.0
    for bad in (math.nan, math.inf, "1", None, True):
        with pytest.raises(AudiollmError, match=r"^gain must be a finite number, got "):
            check_float("gain", bad)
    with pytest.raises(AudiollmError, match=r"^p must be a finite number from 0 to 4, got 5$"):
        check_float("p", 5, 0.0, 4.0)


def test_check_float_with_an_open_lower_bound():
    assert check_float("seconds", 1e-9, above=0.0) == 1e-9
    for bad in (0, -1.0, math.inf, True):
        with pytest.raises(AudiollmError, match=r"^seconds must be a finite number above 0, got "):
            check_float("seconds", bad, above=0.0)
    with pytest.raises(AudiollmError, match=r"^power must be a finite number above 0 and at most 10, got 11$"):
        check_float("power", 11, maximum=10, above=0.0)
    with pytest.raises(AudiollmError, match=r"^lr must be a finite number >= 0, got -1$"):
        check_float("lr", -1, 0.0)


def test_check_choice_wants_one_of_the_choices_of_the_same_type():
    assert check_choice("bits", "float32", (16, "float32")) == "float32" and check_choice("bits", 16, (16,)) == 16
    for bad in (16.0, True, "16", 8, None):
        with pytest.raises(AudiollmError, match=r"^bits: expected one of 16, 24, 'float32', got "):
            check_choice("bits", bad, (16, 24, "float32"))


def test_check_type_names_the_type_it_got():
    assert check_type("meta", {}, dict, "a dict") == {}
    with pytest.raises(AudiollmError, match=r"^meta must be a dict, got list$"):
        check_type("meta", [], dict, "a dict")


def test_check_matrix_limit():
    assert check_matrix("m", [[1e308, -1e308]], limit=math.inf) == (1, 2)
    with pytest.raises(AudiollmError, match=r"^m: every value must be a finite number with \|x\| <= 1e\+100$"):
        check_matrix("m", [[1e308]])
    with pytest.raises(AudiollmError, match=r"^m: every value must be a finite number$"):
        check_matrix("m", [[math.nan]], limit=math.inf)


def test_check_args_checks_every_size_at_once_by_its_name():
    check_args(("d_model",), d_model=8, n_heads=2, n_layers=1, seed=0)  # a good model passes
    for sizes, message in [({"d_model": 4097}, r"^d_model must be an int from 1 to 4096, got 4097$"),
                           ({"n_layers": 33}, r"^n_layers must be an int from 1 to 32"),
                           ({"seed": -1}, r"^seed must be an int >= 0"),
                           ({"d_model": 10, "n_heads": 3}, r"^d_model=10 must be divisible by n_heads=3$"),
                           ({"n_mels": 80, "n_bands": 7}, r"^n_mels=80 must be divisible by n_bands=7$")]:
        with pytest.raises(AudiollmError, match=message):
            check_args(**sizes)
    with pytest.raises(AudiollmError, match=r"^d_model must be even and at least 4 \(sin/cos position pairs\)"):
        check_args(("d_model",), d_model=2)
