import base64
import json
import math
import os
import struct
import tracemalloc
import warnings

import pytest

from audiollm.front import wav
from audiollm.base.errors import AudiollmError, AudioFormatError
from audiollm.front.resample import load_audio
from audiollm.front.wav import iter_wav_blocks, open_wav, read_wav, write_wav

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "wav.json")
GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")  # KSDATAFORMAT_SUBTYPE_* after the tag


# ---- building WAV bytes by hand ----

def chunk(chunk_id, body, size=None):
    """One RIFF chunk: id, u32 size (default: the body's), body, pad byte when the size is odd."""
    return chunk_id + struct.pack("<I", len(body) if size is None else size) + body + b"\0" * (len(body) & 1)


def fmt_body(tag, channels, rate, bits, block_align=None):
    block_align = channels * ((bits + 7) // 8) if block_align is None else block_align
    return struct.pack("<HHIIHH", tag, channels, rate, rate * block_align, block_align, bits)


def extensible_body(tag, channels, rate, bits):
    """fmt body for WAVE_FORMAT_EXTENSIBLE: cbSize 22, valid bits, channel mask, subformat GUID."""
    guid = struct.pack("<H", tag) + GUID_TAIL
    return fmt_body(0xFFFE, channels, rate, bits) + struct.pack("<HHI", 22, bits, 0) + guid


def riff(*chunks, riff_size=None, magic=b"RIFF"):
    body = b"WAVE" + b"".join(chunks)
    return magic + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


MONO16 = chunk(b"fmt ", fmt_body(1, 1, 8000, 16))
STEREO16 = chunk(b"fmt ", fmt_body(1, 2, 8000, 16))


def simple_wav(tag, channels, rate, bits, data):
    return riff(chunk(b"fmt ", fmt_body(tag, channels, rate, bits)), chunk(b"data", data))


@pytest.fixture
def put(tmp_path):
    """put(bytes) -> path of a file holding them."""
    counter = iter(range(1000))

    def put(data, name=None):
        path = tmp_path / (name or f"f{next(counter)}.wav")
        path.write_bytes(data)
        return str(path)
    return put


def pcm16(*ints):
    return struct.pack(f"<{len(ints)}h", *ints)


# ---- decoding each format against known values ----

def test_pcm_u8_is_offset_binary(put):
    samples, rate = read_wav(put(simple_wav(1, 1, 8000, 8, bytes([0, 128, 255, 64]))))
    assert (samples, rate) == ([-1.0, 0.0, 127 / 128, -0.5], 8000)


def test_pcm16_divides_by_32768(put):
    samples, _ = read_wav(put(simple_wav(1, 1, 16000, 16, pcm16(-32768, 0, 32767, 1, -1))))
    assert samples == [-1.0, 0.0, 32767 / 32768, 1 / 32768, -1 / 32768]


def test_pcm24_sign_extends(put):
    data = bytes.fromhex("000080" "ffff7f" "010000" "ffffff" "000000")
    samples, _ = read_wav(put(simple_wav(1, 1, 48000, 24, data)))
    assert samples == [-1.0, 8388607 / 8388608, 1 / 8388608, -1 / 8388608, 0.0]


def test_pcm32(put):
    data = struct.pack("<4i", -2**31, 2**31 - 1, 1, -1)
    samples, _ = read_wav(put(simple_wav(1, 1, 48000, 32, data)))
    assert samples == [-1.0, (2**31 - 1) / 2**31, 2**-31, -2**-31]


@pytest.mark.parametrize("bits, code", [(32, "f"), (64, "d")])
def test_float_is_returned_as_stored(put, bits, code):
    values = [1.5, -0.25, 0.0, -2.0]  # floats beyond +-1 are not clipped on read
    samples, _ = read_wav(put(simple_wav(3, 1, 8000, bits, struct.pack(f"<4{code}", *values))))
    assert samples == values


def test_mulaw_g711_values(put):
    # G.711 table: 0x00 -> -32124, 0x01 -> -31100, 0x7F and 0xFF -> 0, 0x80 -> 32124, 0xFE -> 8
    samples, _ = read_wav(put(simple_wav(7, 1, 8000, 8, bytes([0x00, 0x01, 0x7F, 0xFF, 0x80, 0xFE]))))
    assert samples == [v / 32768 for v in (-32124, -31100, 0, 0, 32124, 8)]


def test_alaw_g711_values(put):
    # G.711 table: 0xD5 -> 8, 0x55 -> -8, 0xAA -> 32256, 0x2A -> -32256, 0x80 -> 5504
    samples, _ = read_wav(put(simple_wav(6, 1, 8000, 8, bytes([0xD5, 0x55, 0xAA, 0x2A, 0x80]))))
    assert samples == [v / 32768 for v in (8, -8, 32256, -32256, 5504)]


def test_law_tables_match_audioop_when_present():
    audioop = pytest.importorskip("audioop")  # removed in Python 3.13
    every_byte = bytes(range(256))
    for table, convert in ((wav._MULAW_TABLE, audioop.ulaw2lin), (wav._ALAW_TABLE, audioop.alaw2lin)):
        linear = convert(every_byte, 2)
        assert table == [v / 32768 for v in struct.unpack("<256h", linear)]


@pytest.mark.parametrize("tag, bits, data, expected", [
    (1, 24, bytes.fromhex("000080ffff7f"), [-1.0, 8388607 / 8388608]),
    (3, 32, struct.pack("<2f", 0.5, -1.5), [0.5, -1.5]),
    (7, 8, bytes([0x00, 0x80]), [-32124 / 32768, 32124 / 32768]),
])
def test_extensible_uses_the_subformat_guid(put, tag, bits, data, expected):
    path = put(riff(chunk(b"fmt ", extensible_body(tag, 1, 44100, bits)), chunk(b"data", data)))
    with open_wav(path) as reader:
        assert reader.read(reader.n_frames) == expected


def test_odd_sized_unknown_chunks_are_skipped(put):
    data = riff(chunk(b"LIST", b"abc"), MONO16,
                chunk(b"junk", b"12345"), chunk(b"fact", b"\x02\0\0\0"), chunk(b"data", pcm16(100, -100)))
    assert read_wav(put(data)) == ([100 / 32768, -100 / 32768], 8000)


def test_chunks_after_data_are_not_samples(put):
    path = put(riff(MONO16, chunk(b"data", pcm16(1, 2)), chunk(b"id3 ", b"tag!")))
    with open_wav(path) as reader:
        assert reader.n_frames == 2
        assert reader.read(100) == [1 / 32768, 2 / 32768]
        assert reader.read(100) == []


def test_data_chunk_before_fmt_is_found(put):
    data = riff(chunk(b"data", pcm16(5, 6)), MONO16)
    assert read_wav(put(data))[0] == [5 / 32768, 6 / 32768]


def test_stereo_deinterleaves_and_mono_averages(put):
    path = put(simple_wav(1, 2, 8000, 16, pcm16(100, 300, -2, 4, 7, 7)))
    left, right = [v / 32768 for v in (100, -2, 7)], [v / 32768 for v in (300, 4, 7)]
    assert read_wav(path, mono=False)[0] == [left, right]
    assert read_wav(path)[0] == [200 / 32768, 1 / 32768, 7 / 32768]


def test_three_channels_average(put):
    samples, _ = read_wav(put(simple_wav(1, 3, 8000, 16, pcm16(1, 2, 6, -3, 0, 0))))
    assert samples == [(1 + 2 + 6) / 32768 / 3, -3 / 32768 / 3]


def test_rf64_takes_the_size_from_ds64(put):
    ds64 = struct.pack("<QQQ", 0, 4, 2)  # riff size (unused), data size, sample count
    data = riff(chunk(b"ds64", ds64), MONO16,
                chunk(b"data", pcm16(1, 2), size=0xFFFFFFFF), chunk(b"LIST", b"tail"),
                riff_size=0xFFFFFFFF, magic=b"RF64")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_wav(put(data))[0] == [1 / 32768, 2 / 32768]


def test_golden_files_written_by_soundfile(put):
    with open(FIXTURE) as f:
        golden = json.load(f)
    for case in golden["files"]:
        path = put(base64.b64decode(case["wav_base64"]))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            samples, rate = read_wav(path, mono=False)
        assert rate == case["sample_rate"]
        assert samples == case["channels"], (case["container"], case["subtype"])


# ---- recorders that never finished the header ----

def test_streaming_size_ffffffff_warns_and_reads_what_is_there(put):
    data = riff(MONO16, chunk(b"data", pcm16(1, 2, 3), size=0xFFFFFFFF),
                riff_size=0xFFFFFFFF)
    with pytest.warns(UserWarning, match="placeholder") as record:
        samples, _ = read_wav(put(data))
    assert samples == [1 / 32768, 2 / 32768, 3 / 32768]
    assert record[0].filename == __file__  # the warning points at the caller, not at wav.py


def test_streaming_size_zero_warns_and_reads_what_is_there(put):
    data = riff(MONO16, chunk(b"data", pcm16(7, 8), size=0), riff_size=0)
    with pytest.warns(UserWarning, match="placeholder"):
        assert read_wav(put(data))[0] == [7 / 32768, 8 / 32768]


def test_genuinely_empty_data_chunk_followed_by_a_chunk(put):
    data = riff(MONO16, chunk(b"data", b""), chunk(b"LIST", b"info"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_wav(put(data)) == ([], 8000)


def test_truncated_data_warns_and_keeps_whole_frames(put):
    # Claims 5 stereo frames (20 bytes); 2 frames and half of a third are present.
    data = riff(STEREO16, b"data" + struct.pack("<I", 20) + pcm16(1, 2, 3, 4, 5))
    with pytest.warns(UserWarning, match="claims 20 bytes but the file holds only 10"):
        samples, _ = read_wav(put(data), mono=False)
    assert samples == [[1 / 32768, 3 / 32768], [2 / 32768, 4 / 32768]]


def peak_memory(function):
    """(function's result, peak bytes Python allocated while it ran)."""
    tracemalloc.start()
    try:
        return function(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_huge_claimed_data_size_in_a_tiny_file_allocates_nothing(put):
    path = put(riff(MONO16, b"data" + struct.pack("<I", 0xFFFFFFF0) + pcm16(1, 2)))
    with pytest.warns(UserWarning, match="interrupted recording"):
        (samples, _), peak = peak_memory(lambda: read_wav(path))
    assert samples == [1 / 32768, 2 / 32768]
    assert peak < 1_000_000


def test_huge_claimed_fmt_size_reads_a_bounded_prefix(put):
    # A fmt chunk claiming 4 GB: only its first bytes are read, then the walk runs off the file.
    path = put(riff(chunk(b"fmt ", fmt_body(1, 1, 8000, 16), size=0xFFFFFFF0), chunk(b"data", pcm16(1))))

    def read_and_catch():
        with pytest.raises(AudioFormatError, match="no data chunk .*; the b'fmt ' chunk at byte 12 claims 4294967280 "
                           "bytes, past the end of the file"):
            read_wav(path)
    assert peak_memory(read_and_catch)[1] < 1_000_000


def test_zero_frame_file(put):
    path = put(simple_wav(1, 2, 8000, 16, b""))
    assert read_wav(path) == ([], 8000)
    assert read_wav(path, mono=False) == ([[], []], 8000)  # shape (channels, frames): two empty channels
    assert list(iter_wav_blocks(path, mono=False)) == [] and list(iter_wav_blocks(path)) == []


# ---- one test per bad file ----

def raises_format_error(path, *fragments):
    with pytest.raises(AudioFormatError) as info:
        read_wav(path)
    for fragment in fragments:
        assert fragment in str(info.value)
    return str(info.value)


def test_not_riff(put):
    message = raises_format_error(put(b"hello, this is text"), "not a WAV file", "b'hello, this '", "ffmpeg -i")
    assert "RIFF" in message


def test_mp3_with_id3_tag(put):
    raises_format_error(put(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" * 50), "MP3", "ID3", "ffmpeg -i")


def test_mp3_frames_without_tag(put):
    raises_format_error(put(b"\xff\xfb\x90\x64" + b"\0" * 100), "MPEG audio", "ffmpeg")


@pytest.mark.parametrize("head, name", [(b"fLaC\0\0\0\x22", "FLAC"), (b"OggS\0\x02", "Ogg"),
                                        (b"FORM\0\0\0\x10AIFF", "AIFF"), (b"RIFX\0\0\0\x10WAVE", "RIFX"),
                                        (b"\0\0\0\x20ftypM4A ", "MP4")])
def test_other_audio_containers_are_named(put, head, name):
    raises_format_error(put(head + b"\0" * 32), name, "ffmpeg")


def test_riff_but_not_wave(put):
    raises_format_error(put(b"RIFF\x10\0\0\0AVI LIST\0\0\0\0"), "RIFF file of type b'AVI '")


def test_empty_file(put):
    raises_format_error(put(b""), "empty")


def test_truncated_riff_header(put):
    raises_format_error(put(b"RIFF\x24\0"), "ends inside the 12-byte RIFF header")


def test_no_fmt_chunk(put):
    raises_format_error(put(riff(chunk(b"data", pcm16(1, 2)))), "no fmt chunk")


def test_no_data_chunk(put):
    raises_format_error(put(riff(MONO16, chunk(b"LIST", b"info"))),
                        "no data chunk")


def test_fmt_chunk_too_short(put):
    raises_format_error(put(riff(chunk(b"fmt ", fmt_body(1, 1, 8000, 16)[:14]), chunk(b"data", b""))),
                        "fmt chunk is too short (14 bytes")


def test_fmt_chunk_cut_off_by_end_of_file(put):
    raises_format_error(put(riff(b"fmt " + struct.pack("<I", 16) + fmt_body(1, 1, 8000, 16)[:10])),
                        "fmt chunk is too short (10 bytes")


def test_extensible_fmt_too_short(put):
    body = fmt_body(0xFFFE, 1, 8000, 16) + struct.pack("<H", 0)
    raises_format_error(put(riff(chunk(b"fmt ", body), chunk(b"data", b""))),
                        "WAVE_FORMAT_EXTENSIBLE fmt chunk is too short (18 bytes, need 40)")


def test_extensible_unknown_guid(put):
    body = extensible_body(1, 1, 8000, 16)[:-14] + b"\x11" * 14
    raises_format_error(put(riff(chunk(b"fmt ", body), chunk(b"data", b""))),
                        "unknown WAVE_FORMAT_EXTENSIBLE subformat GUID")


@pytest.mark.parametrize("tag, name", [(0x0002, "Microsoft ADPCM"), (0x0011, "IMA ADPCM"), (0x0055, "MP3")])
def test_compressed_codecs_are_named(put, tag, name):
    body = fmt_body(tag, 1, 8000, 4, block_align=256)
    raises_format_error(put(riff(chunk(b"fmt ", body), chunk(b"data", b"\0" * 256))),
                        f"compressed {name} audio (format tag 0x{tag:04X})", "ffmpeg -i")


def test_mp3_inside_extensible_is_named(put):
    raises_format_error(put(riff(chunk(b"fmt ", extensible_body(0x0055, 1, 8000, 0)), chunk(b"data", b""))),
                        "compressed MP3 audio")


def test_unknown_format_tag(put):
    raises_format_error(put(simple_wav(0x1234, 1, 8000, 16, b"")), "unsupported WAV format tag 0x1234")


def test_zero_channels(put):
    raises_format_error(put(simple_wav(1, 0, 8000, 16, b"")), "zero channels")


def test_zero_sample_rate(put):
    raises_format_error(put(simple_wav(1, 1, 0, 16, b"")), "sample rate 0")


@pytest.mark.parametrize("rate", [4, 999, 768001, 10 ** 9])
def test_a_header_rate_no_recorder_writes_is_refused_before_any_work(put, rate):
    # 100 KB of samples said to be at 4 Hz would be 3.5 hours, 200 M samples at 16 kHz.
    path = put(simple_wav(1, 1, rate, 16, b"\0" * 100_000))
    raises_format_error(path, f"fmt chunk says sample rate {rate} Hz; audio is recorded at 1000 to 768000 Hz")
    with pytest.raises(AudioFormatError, match="sample rate"):
        load_audio(path)


def test_bad_block_align(put):
    body = fmt_body(1, 2, 8000, 16, block_align=3)
    raises_format_error(put(riff(chunk(b"fmt ", body), chunk(b"data", b"\0" * 6))), "impossible block align 3")


def test_zero_bits_per_sample(put):
    raises_format_error(put(simple_wav(1, 1, 8000, 0, b"")), "fmt chunk says 0 bits per sample")


@pytest.mark.parametrize("tag, bits, kind", [(1, 40, "40-bit integer PCM"), (1, 64, "64-bit integer PCM"),
                                             (3, 16, "16-bit float"), (3, 24, "24-bit float"),
                                             (6, 16, "16-bit A-law"), (7, 12, "12-bit mu-law")])
def test_unsupported_bits_per_sample_are_named_with_the_ffmpeg_hint(put, tag, bits, kind):
    message = raises_format_error(put(simple_wav(tag, 1, 8000, bits, b"")), f"unsupported sample format: {kind} (",
                                  "ffmpeg -i in.x")
    assert "impossible" not in message


def test_two_data_chunks_are_refused(put):
    # soundfile refuses this file; Python's wave module reads the first chunk and scipy the last.
    path = put(riff(MONO16, chunk(b"data", pcm16(1) * 500), chunk(b"data", pcm16(2) * 1100)))
    raises_format_error(path, "2 data chunks (at bytes 36, 1044)", "would be a guess")


def test_rf64_with_ds64_after_the_data_is_refused(put):
    ds64 = struct.pack("<QQQI", 0, 4, 2, 0)  # 28 bytes that would otherwise be read as 14 more frames
    path = put(riff(MONO16, chunk(b"data", pcm16(1, 2), size=0xFFFFFFFF), chunk(b"ds64", ds64),
                    riff_size=0xFFFFFFFF, magic=b"RF64"))
    raises_format_error(path, "RF64 file with no ds64 chunk before its data chunk", "ds64 must come first")


def test_a_chunk_running_past_the_end_is_named(put):
    path = put(riff(chunk(b"LIST", b"info", size=5000), MONO16, chunk(b"data", pcm16(1))))
    raises_format_error(path, "no fmt chunk", "the b'LIST' chunk at byte 12 claims 5000 bytes, past the end")


def test_missing_file(tmp_path):
    raises_format_error(str(tmp_path / "nope.wav"), "no such file")


def test_directory(tmp_path):
    raises_format_error(str(tmp_path), "is a directory")


def test_path_must_be_a_path():
    with pytest.raises(AudiollmError, match=r"path must be a file path \(str or os.PathLike\), got 0"):
        read_wav(0)  # an int would make open() read a file descriptor


# ---- writing ----

@pytest.mark.parametrize("bits, step", [(16, 2**-15), (24, 2**-23), (32, 2**-31), ("float32", 2**-10)])
def test_round_trip_every_writable_format(tmp_path, bits, step):
    # Values on the format's grid, including both ends, survive exactly; stereo and mono.
    left = [-1.0, 1.0 - step, 0.0, step, -step, 12345 * step]
    right = [0.5, -0.5, 0.25, -0.75, 3 * step, -7 * step]
    path = str(tmp_path / "out.wav")
    write_wav(path, [left, right], 22050, bits=bits)
    assert read_wav(path, mono=False) == ([left, right], 22050)
    write_wav(path, left, 16000, bits=bits)
    assert read_wav(path) == (left, 16000)


def test_write_rounds_to_nearest_and_clips(tmp_path):
    path = str(tmp_path / "out.wav")
    lsb = 1 / 32768
    write_wav(path, [1.0, -1.0, 1.5, -1.5, 0.5 * lsb, 1.5 * lsb, 0.7 * lsb, -0.7 * lsb, 2.5 * lsb], 8000)
    data = open(path, "rb").read()[44:]
    assert struct.unpack("<9h", data) == (32767, -32768, 32767, -32768, 0, 2, 1, -1, 2)  # ties to even


def test_float32_write_keeps_values_beyond_one(tmp_path):
    path = str(tmp_path / "out.wav")
    write_wav(path, [1.5, -2.0], 8000, bits="float32")
    assert read_wav(path)[0] == [1.5, -2.0]


def test_written_headers_are_exact(tmp_path):
    path = str(tmp_path / "out.wav")
    write_wav(path, [0.5], 16000, bits=24)  # 3 data bytes: odd, so one pad byte
    expected = riff(chunk(b"fmt ", fmt_body(1, 1, 16000, 24)), chunk(b"data", b"\0\0\x40"))
    assert open(path, "rb").read() == expected
    write_wav(path, [[0.5], [-0.5]], 8000, bits="float32")  # non-PCM: cbSize in fmt and a fact chunk
    expected = riff(chunk(b"fmt ", fmt_body(3, 2, 8000, 32) + b"\0\0"), chunk(b"fact", struct.pack("<I", 1)),
                    chunk(b"data", struct.pack("<2f", 0.5, -0.5)))
    assert open(path, "rb").read() == expected


def test_write_empty(tmp_path):
    path = str(tmp_path / "out.wav")
    write_wav(path, [], 16000)
    assert read_wav(path) == ([], 16000)
    assert os.path.getsize(path) == 44


def test_write_is_atomic_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = str(tmp_path / "out.wav")
    write_wav(path, [0.25], 8000)
    assert os.listdir(tmp_path) == ["out.wav"]

    def fail(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(wav.os, "replace", fail)
    with pytest.raises(AudiollmError, match="cannot write .*No space left"):
        write_wav(path, [0.75], 8000)
    assert os.listdir(tmp_path) == ["out.wav"]
    assert read_wav(path)[0] == [0.25]  # the old file is untouched


@pytest.mark.parametrize("kwargs, message", [
    (dict(sample_rate=0), "sample_rate must be an int from 1000 to 768000, got 0"),
    (dict(sample_rate=999), "sample_rate must be an int from 1000 to 768000, got 999"),
    (dict(sample_rate=16000.0), "sample_rate must be an int from 1000 to 768000, got 16000.0"),
    (dict(sample_rate=True), "sample_rate must be an int from 1000 to 768000, got True"),
    (dict(bits=8), "bits: expected one of 16, 24, 32, 'float32', got 8"),
    (dict(bits="float64"), "bits: expected one of 16, 24, 32, 'float32', got 'float64'"),
    (dict(bits=16.0), "bits: expected one of 16, 24, 32, 'float32', got 16.0"),
    (dict(samples=[[0.1, 0.2], [0.3]]), "equal length: samples[0] has 2 frames, samples[1] has 1"),
    (dict(samples=[0.1, math.nan]), "samples[1] is nan; samples must be finite"),
    (dict(samples=[[0.1], [math.inf]]), "samples[1][0] is inf; samples must be finite"),
    (dict(samples=[0.1, "0.2"]), "samples must contain only real numbers"),
    (dict(samples=[[0.1], 0.2]), "samples[1] must be a list, tuple or array of numbers, got float"),
    (dict(samples=[1e39], bits="float32"), "samples has values beyond float32's range"),
    (dict(samples="abc"), "samples must be a list, tuple or array of numbers, got str"),
    (dict(samples=(x for x in [0.1])), "got generator"),
    (dict(path=os.path.join("no", "such", "dir", "x.wav")), "does not exist"),
])
def test_write_rejects_bad_arguments(tmp_path, kwargs, message):
    args = dict(path=str(tmp_path / "out.wav"), samples=[0.0, 0.1], sample_rate=8000, bits=16) | kwargs
    with pytest.raises(AudiollmError) as info:
        write_wav(**args)
    assert message in str(info.value)
    assert [p for p in os.listdir(tmp_path) if p.endswith(".tmp")] == []


# ---- block reading ----

@pytest.fixture
def stereo_path(tmp_path):
    path = str(tmp_path / "stereo.wav")
    left = [((i * 37) % 200 - 100) / 128 for i in range(1000)]
    write_wav(path, [left, [-x for x in left[::-1]]], 8000)
    return path


def test_reader_attributes(stereo_path):
    with open_wav(stereo_path) as reader:
        assert (reader.sample_rate, reader.channels, reader.n_frames) == (8000, 2, 1000)
        assert reader.sample_format == "pcm_16"
        assert "8000 Hz, 2 ch, 1000 frames" in repr(reader)


@pytest.mark.parametrize("mono", [True, False])
def test_blocks_equal_read_wav_slices(stereo_path, mono):
    whole, _ = read_wav(stereo_path, mono=mono)
    blocks = list(iter_wav_blocks(stereo_path, block_frames=300, mono=mono))
    assert [len(b if mono else b[0]) for b in blocks] == [300, 300, 300, 100]
    joined = sum(blocks, []) if mono else [sum((b[c] for b in blocks), []) for c in range(2)]
    assert joined == whole


def test_seek_then_read_equals_slices(stereo_path):
    whole, _ = read_wav(stereo_path, mono=False)
    with open_wav(stereo_path) as reader:
        reader.seek(990)
        assert reader.read(50, mono=False) == [whole[0][990:], whole[1][990:]]
        assert reader.read(50) == []
        reader.seek(10)
        assert reader.read(5) == [(a + b) / 2 for a, b in zip(whole[0][10:15], whole[1][10:15])]
        reader.seek(1000)
        assert reader.read(1) == []


@pytest.mark.parametrize("call, message", [
    (lambda r: r.seek(1001), "frame must be <= n_frames (1000), got 1001"),
    (lambda r: r.seek(-1), "frame must be an int >= 0, got -1"),
    (lambda r: r.read(-5), "n_frames must be an int >= 0, got -5"),
    (lambda r: r.read(5, mono="yes"), "mono must be True or False, got str"),
])
def test_reader_rejects_bad_arguments(stereo_path, call, message):
    with open_wav(stereo_path) as reader:
        with pytest.raises(AudiollmError) as info:
            call(reader)
    assert message in str(info.value)


def test_read_after_close(stereo_path):
    reader = open_wav(stereo_path)
    reader.close()
    with pytest.raises(AudiollmError, match="closed"):
        reader.read(1)


def test_iter_wav_blocks_checks_arguments_at_call_time(stereo_path):
    with pytest.raises(AudiollmError, match="block_frames must be an int >= 1, got 0"):
        iter_wav_blocks(stereo_path, block_frames=0)
    with pytest.raises(AudiollmError, match="mono must be True or False"):
        read_wav(stereo_path, mono=None)


# ---- parity with soundfile (reference environment only) ----

@pytest.mark.parametrize("container", ["WAV", "WAVEX", "RF64"])
def test_parity_with_soundfile(tmp_path, container):
    soundfile = pytest.importorskip("soundfile")
    np = pytest.importorskip("numpy")
    signal = np.random.default_rng(0).uniform(-1.2, 1.2, (301, 3))
    for subtype in ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"]:
        path = str(tmp_path / f"{subtype}.wav")
        soundfile.write(path, signal, 11025, subtype=subtype, format=container)
        expected, rate = soundfile.read(path, dtype="float64")
        assert read_wav(path, mono=False) == (expected.T.tolist(), rate), subtype
    for bits in [16, 24, 32, "float32"]:
        path = str(tmp_path / f"ours{bits}.wav")
        write_wav(path, signal.T.tolist(), 11025, bits=bits)
        assert soundfile.read(path, dtype="float64")[0].T.tolist() == read_wav(path, mono=False)[0], bits
