import math

import pytest

from audiollm.base.errors import AudiollmError
from audiollm.synthetic import rooms

SR = 16000


def sine(hz, seconds=0.5):
    return [math.sin(2 * math.pi * hz * i / SR) for i in range(round(seconds * SR))]


def rms(x):
    return math.sqrt(sum(v * v for v in x) / len(x))


def test_the_telephone_keeps_its_band_and_cuts_the_rest():
    def gain_db(hz):
        x = sine(hz)
        return 20 * math.log10(rms(rooms.telephone(x)[4000:]) / rms(x[4000:]))
    assert abs(gain_db(1000)) < 1.0
    assert gain_db(100) < -30 and gain_db(7000) < -20


def test_reverb_echoes_die_away_in_rt60():
    impulse = [1.0] + [0.0] * SR * 2
    tail = rooms.reverb(impulse, rt60_s=0.5, wet=1.0)
    assert tail[0] != 0.0 and len(tail) == len(impulse)
    early = rms(tail[800:2400])           # 0.05-0.15 s
    late = rms(tail[8800:10400])           # 0.55-0.65 s: 0.5 s later, 60 dB down
    assert 45 < 20 * math.log10(early / late) < 75
    assert rooms.reverb(impulse, 0.5, 0.0) == impulse  # dry: the sound itself


def test_reverb_checks_its_room():
    with pytest.raises(AudiollmError, match="rt60_s"):
        rooms.reverb([0.0] * 10, 0.0, 0.5)
    with pytest.raises(AudiollmError, match="wet"):
        rooms.reverb([0.0] * 10, 0.5, 2.0)
