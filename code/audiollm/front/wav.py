"""WAV files in and out: step 0 of "Log-Mel spectrogram: the input feature" (getting samples in).

Every later stage (resample, STFT, mel) wants the same thing: a list of floats in [-1, 1) and the
sample rate. A WAV file is a RIFF container:

    "RIFF" <u32 size> "WAVE"  then chunks:  <4-byte id> <u32 little-endian size> <body, padded to even>

The "fmt " chunk says how samples are stored; the "data" chunk holds interleaved frames (one sample
per channel per frame). Other chunks (LIST, fact, cue, ...) are skipped. Reading gives the same
floats the soundfile library gives: 8-bit unsigned (x - 128) / 128, 16-bit x / 32768, 24-bit
x / 8388608, 32-bit x / 2147483648, float as stored, G.711 mu-law and A-law via 256-entry tables.
WAVE_FORMAT_EXTENSIBLE and RF64 wrappers around these are read too.

Speed in pure CPython comes from whole-block work in C: array.frombytes decodes a block, slicing
with steps deinterleaves, map over a 256-entry table decodes 8-bit formats, and one list
comprehension scales integers to floats. Memory is bounded by the real file size, never by a size
a header claims.
"""

import operator
import os
import stat
import struct
import sys
import warnings
from array import array

from ..base.errors import (MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, AudiollmError, AudioFormatError, check_choice, check_int,
                           check_path, check_sample_rate, check_samples, check_type)
from ..base.files import write_atomic

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_ALAW = 0x0006
WAVE_FORMAT_MULAW = 0x0007
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# An EXTENSIBLE subformat GUID is the 2-byte format tag followed by these 14 fixed bytes.
EXTENSIBLE_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")
FMT_BYTES_NEEDED = 40  # 16 basic + 2 cbSize + 22 EXTENSIBLE; nothing past this is read
STREAMING_SIZE = 0xFFFFFFFF  # data size left by recorders that never went back to fill it in
DEFAULT_BLOCK_FRAMES = 65536
FLOAT32_MAX = 3.4028234663852886e38

CONVERT_HINT = "convert it first, e.g. ffmpeg -i in.x -ac 1 -ar 16000 out.wav"
COMPRESSED_CODECS = {
    0x0002: "Microsoft ADPCM",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG audio",
    0x0055: "MP3",
    0x00FF: "AAC",
    0x0161: "Windows Media Audio",
    0x2000: "Dolby AC-3",
}
OTHER_FILE_MAGIC = [  # (first bytes, what the file is)
    (b"ID3", "an MP3 file (it starts with an ID3 tag)"),
    (b"fLaC", "a FLAC file"),
    (b"OggS", "an Ogg file (Vorbis or Opus)"),
    (b"FORM", "an AIFF file"),
    (b"RIFX", "a big-endian RIFX WAV file, which this reader does not support"),
    (b".snd", "a Sun/NeXT AU file"),
    (b"\x1a\x45\xdf\xa3", "a Matroska/WebM file"),
]

_BIG_ENDIAN_HOST = sys.byteorder == "big"  # WAV is little-endian; arrays are native-endian
_SEQUENCES = (list, tuple, array)


def _mulaw_to_int(byte):
    """G.711 mu-law byte -> 16-bit linear value (the Sun g711.c decoder libsndfile and audioop use)."""
    u = ~byte & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return 0x84 - magnitude if u & 0x80 else magnitude - 0x84


def _alaw_to_int(byte):
    """G.711 A-law byte -> 16-bit linear value (even bits are inverted on the wire, hence ^ 0x55)."""
    a = byte ^ 0x55
    segment = (a >> 4) & 0x07
    magnitude = ((a & 0x0F) << 4) + (8 if segment == 0 else 0x108)
    if segment > 1:
        magnitude <<= segment - 1
    return magnitude if a & 0x80 else -magnitude


# Every 8-bit format is a lookup: one float per possible byte, computed once.
_U8_TABLE = [(b - 128) / 128 for b in range(256)]
_MULAW_TABLE = [_mulaw_to_int(b) / 32768 for b in range(256)]
_ALAW_TABLE = [_alaw_to_int(b) / 32768 for b in range(256)]


def _native(typecode, raw):
    """Little-endian bytes -> array of `typecode` ('h' and 'i' are 2 and 4 bytes on every CPython)."""
    values = array(typecode)
    values.frombytes(raw)
    if _BIG_ENDIAN_HOST:
        values.byteswap()
    return values


def _decode_u8(raw):
    return list(map(_U8_TABLE.__getitem__, raw))


def _decode_mulaw(raw):
    return list(map(_MULAW_TABLE.__getitem__, raw))


def _decode_alaw(raw):
    return list(map(_ALAW_TABLE.__getitem__, raw))


def _decode_pcm16(raw):
    return [x * (1 / 32768) for x in _native("h", raw)]


def _decode_pcm24(raw):
    # Put each 3-byte sample in the top of a 4-byte int (low byte 0), so array('i') does the sign
    # extension in C; x / 2**31 then equals the 24-bit value / 2**23.
    wide = bytearray(len(raw) // 3 * 4)
    wide[1::4], wide[2::4], wide[3::4] = raw[0::3], raw[1::3], raw[2::3]
    return [x * (1 / 2147483648) for x in _native("i", wide)]


def _decode_pcm32(raw):
    return [x * (1 / 2147483648) for x in _native("i", raw)]


def _decode_float32(raw):
    return _native("f", raw).tolist()


def _decode_float64(raw):
    return _native("d", raw).tolist()


SAMPLE_FORMATS = {  # (format tag, bytes per sample) -> (name, decoder: raw bytes -> interleaved floats)
    (WAVE_FORMAT_PCM, 1): ("pcm_u8", _decode_u8),
    (WAVE_FORMAT_PCM, 2): ("pcm_16", _decode_pcm16),
    (WAVE_FORMAT_PCM, 3): ("pcm_24", _decode_pcm24),
    (WAVE_FORMAT_PCM, 4): ("pcm_32", _decode_pcm32),
    (WAVE_FORMAT_IEEE_FLOAT, 4): ("float32", _decode_float32),
    (WAVE_FORMAT_IEEE_FLOAT, 8): ("float64", _decode_float64),
    (WAVE_FORMAT_MULAW, 1): ("mulaw", _decode_mulaw),
    (WAVE_FORMAT_ALAW, 1): ("alaw", _decode_alaw),
}


def _split(samples, channels):
    """Interleaved samples (frames * channels,) -> channels lists of (frames,)."""
    return [samples[c::channels] for c in range(channels)]


def _mix(samples, channels):
    """Interleaved samples -> mono (frames,): the average of the channels in each frame."""
    if channels == 1:
        return samples
    first, *rest = _split(samples, channels)
    for channel in rest:  # one C-level pass per channel instead of a Python tuple per frame
        first = list(map(operator.add, first, channel))
    return [total / channels for total in first]


def _warn(message):
    """warnings.warn, pointed at the first caller outside this module (callers come in at different depths)."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    warnings.warn(message, stacklevel=level)


def _describe_start(head):
    """Name what a non-WAV file looks like from its first bytes."""
    if not head:
        return "the file is empty"
    if head[:4] == b"RIFF":
        if len(head) < 12:
            return "the file ends inside the 12-byte RIFF header"
        return f"a RIFF file of type {head[8:12]!r}, not 'WAVE'"
    for magic, what in OTHER_FILE_MAGIC:
        if head.startswith(magic):
            return f"it looks like {what}"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "it looks like raw MPEG audio (MP3 or AAC frames)"
    if head[4:8] == b"ftyp":
        return "it looks like an MP4/M4A file"
    return f"it starts with {head[:12]!r}, not b'RIFF....WAVE'"


def _open_regular_file(path):
    """Open a regular file for reading; missing files, directories and devices are AudioFormatErrors."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AudioFormatError(f"{path}: no such file") from None
    except OSError as error:
        raise AudioFormatError(f"{path}: cannot read it ({error.strerror})") from None
    if stat.S_ISDIR(mode):
        raise AudioFormatError(f"{path}: is a directory, not a WAV file")
    if not stat.S_ISREG(mode):  # a FIFO or device could block or never end
        raise AudioFormatError(f"{path}: not a regular file")
    try:
        return open(path, "rb")
    except OSError as error:
        raise AudioFormatError(f"{path}: cannot open it ({error.strerror})") from None


def _parse_fmt(body, path):
    """fmt chunk body -> (sample format name, decoder, channels, sample rate, bytes per frame)."""
    if len(body) < 16:
        raise AudioFormatError(f"{path}: fmt chunk is too short ({len(body)} bytes; a WAV fmt chunk has "
                               "at least 16)")
    tag, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(body) < FMT_BYTES_NEEDED:
            raise AudioFormatError(f"{path}: WAVE_FORMAT_EXTENSIBLE fmt chunk is too short "
                                   f"({len(body)} bytes, need {FMT_BYTES_NEEDED})")
        guid = body[24:40]
        if guid[2:] != EXTENSIBLE_GUID_TAIL:
            raise AudioFormatError(f"{path}: unknown WAVE_FORMAT_EXTENSIBLE subformat GUID {guid.hex()}; "
                                   + CONVERT_HINT)
        tag = int.from_bytes(guid[:2], "little")
    if tag in COMPRESSED_CODECS:
        raise AudioFormatError(f"{path}: compressed {COMPRESSED_CODECS[tag]} audio (format tag 0x{tag:04X}) "
                               f"is not supported; {CONVERT_HINT}")
    if tag not in {t for t, _ in SAMPLE_FORMATS}:
        raise AudioFormatError(f"{path}: unsupported WAV format tag 0x{tag:04X}; {CONVERT_HINT}")
    if channels == 0:
        raise AudioFormatError(f"{path}: fmt chunk says zero channels")
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise AudioFormatError(f"{path}: fmt chunk says sample rate {rate} Hz; audio is recorded at {MIN_SAMPLE_RATE} "
                               f"to {MAX_SAMPLE_RATE} Hz, so the header is damaged or this is not audio")
    if bits == 0:
        raise AudioFormatError(f"{path}: fmt chunk says 0 bits per sample")
    width = (bits + 7) // 8  # PCM may use fewer bits than its container; the container decides
    if (tag, width) not in SAMPLE_FORMATS or (tag != WAVE_FORMAT_PCM and bits != 8 * width):
        kind = {WAVE_FORMAT_PCM: "integer PCM", WAVE_FORMAT_IEEE_FLOAT: "float", WAVE_FORMAT_ALAW: "A-law",
                WAVE_FORMAT_MULAW: "mu-law"}[tag]
        raise AudioFormatError(f"{path}: unsupported sample format: {bits}-bit {kind} (this reader takes 8-32-bit "
                               f"PCM, 32- and 64-bit float, 8-bit A-law and mu-law); {CONVERT_HINT}")
    if block_align != channels * width:
        raise AudioFormatError(f"{path}: impossible block align {block_align}: {channels} channel(s) of "
                               f"{width} byte(s) make {channels * width}-byte frames")
    name, decode = SAMPLE_FORMATS[tag, width]
    return name, decode, channels, rate, block_align


def _read_header(file, path, file_size):
    """Walk the chunks -> (name, decoder, channels, rate, block_align, data offset, frames present)."""
    head = file.read(12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64", b"BW64") or head[8:12] != b"WAVE":
        raise AudioFormatError(f"{path}: not a WAV file: {_describe_start(head)}; {CONVERT_HINT}")
    riff_end = 8 + int.from_bytes(head[4:8], "little")
    fmt = ds64_data_size = overrun = None
    data = []  # (offset, claimed size) of every data chunk
    position = 12
    while position + 8 <= file_size:  # every chunk to the end of the file: a second data chunk is an error
        file.seek(position)
        chunk_id, size = struct.unpack("<4sI", file.read(8))
        if chunk_id == b"fmt " and fmt is None:
            fmt = file.read(min(size, FMT_BYTES_NEEDED))  # bounded: a huge claimed size allocates nothing
        elif chunk_id == b"ds64":  # RF64: 64-bit sizes for files over 4 GiB
            sizes = file.read(16)
            ds64_data_size = int.from_bytes(sizes[8:16], "little") if len(sizes) == 16 else None
        elif chunk_id == b"data":
            data.append((position + 8, size))
            if size == STREAMING_SIZE and head[:4] != b"RIFF":
                if ds64_data_size is None:
                    raise AudioFormatError(f"{path}: RF64 file with no ds64 chunk before its data chunk, so the "
                                           f"size of its samples is unknown (ds64 must come first); {CONVERT_HINT}")
                size = ds64_data_size
            elif size == STREAMING_SIZE or (size == 0 and riff_end <= position + 8):
                break  # a placeholder: the samples run to the end of the file, nothing after them is a chunk
        if position + 8 + size > file_size:
            overrun = f"the {chunk_id!r} chunk at byte {position} claims {size} bytes, past the end of the file"
        position += 8 + size + (size & 1)  # odd-sized chunks carry one pad byte
    if fmt is None:
        raise AudioFormatError(f"{path}: no fmt chunk (the chunk that says how samples are stored)"
                               + (f"; {overrun}" if overrun else ""))
    name, decode, channels, rate, block_align = _parse_fmt(fmt, path)
    if not data:
        raise AudioFormatError(f"{path}: no data chunk (the file holds no samples)"
                               + (f"; {overrun}" if overrun else ""))
    if len(data) > 1:
        raise AudioFormatError(f"{path}: {len(data)} data chunks (at bytes {', '.join(str(o - 8) for o, _ in data)}); "
                               "a WAV file has one, and which one holds the recording would be a guess; "
                               + CONVERT_HINT)
    offset, claimed = data[0]
    present = file_size - offset
    # RF64 keeps the real size in ds64. Otherwise 0xFFFFFFFF, or 0 when the RIFF size also stops at
    # the data chunk (a genuinely empty data chunk may be followed by other chunks), means "to the end".
    if claimed == STREAMING_SIZE and ds64_data_size is not None:
        claimed = ds64_data_size
    elif claimed == STREAMING_SIZE or (claimed == 0 and present > 0 and riff_end <= offset):
        _warn(f"{path}: data chunk size is a placeholder ({claimed:#x}, left by a streaming recorder); "
              f"reading the {present // block_align} frames in the file")
        claimed = present
    if claimed > present:
        _warn(f"{path}: data chunk claims {claimed} bytes but the file holds only {present} "
              "(an interrupted recording, or a size a streaming writer never filled in); "
              f"reading the {present // block_align} whole frames present")
    return name, decode, channels, rate, block_align, offset, min(claimed, present) // block_align


class WavReader:
    """An open WAV file read block by block; make one with open_wav(path) and use it in a `with`.

    Attributes: sample_rate (Hz), channels, n_frames (frames really in the file), sample_format
    (one of pcm_u8, pcm_16, pcm_24, pcm_32, float32, float64, mulaw, alaw), path.
    """

    def __init__(self, path):
        self.path = check_path("path", path)
        self._file = _open_regular_file(self.path)
        try:
            file_size = os.fstat(self._file.fileno()).st_size
            (self.sample_format, self._decode, self.channels, self.sample_rate, self._block_align,
             self._data_offset, self.n_frames) = _read_header(self._file, self.path, file_size)
        except BaseException:
            self._file.close()
            raise
        self._next_frame = 0

    def read(self, n_frames, mono=True):
        """Read up to n_frames frames from the current position (fewer at the end; [] when none are left).

        mono=True: a list of floats, shape (frames,), each the average of the channels.
        mono=False: one list per channel, shape (channels, frames); at the end, one empty list per channel.
        """
        check_int("n_frames", n_frames, 0)
        check_type("mono", mono, bool, "True or False")
        if self._file.closed:
            raise AudiollmError(f"{self.path}: read() on a closed WavReader")
        n_frames = min(n_frames, self.n_frames - self._next_frame)
        self._file.seek(self._data_offset + self._next_frame * self._block_align)
        raw = self._file.read(n_frames * self._block_align)
        n_frames = len(raw) // self._block_align  # the file may have shrunk since it was opened
        if n_frames == 0:
            return [] if mono else [[] for _ in range(self.channels)]
        self._next_frame += n_frames
        samples = self._decode(raw[: n_frames * self._block_align])
        return _mix(samples, self.channels) if mono else _split(samples, self.channels)

    def seek(self, frame):
        """Make the next read() start at `frame` (0 <= frame <= n_frames)."""
        check_int("frame", frame, 0)
        if frame > self.n_frames:
            raise AudiollmError(f"frame must be <= n_frames ({self.n_frames}), got {frame}")
        self._next_frame = frame

    def close(self):
        """Close the file (a `with` block does it on leaving)."""
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return (f"WavReader({self.path!r}: {self.sample_rate} Hz, {self.channels} ch, "
                f"{self.n_frames} frames, {self.sample_format})")


def open_wav(path):
    """Open a WAV file for block reading -> WavReader (a context manager). Raises AudioFormatError."""
    return WavReader(path)


def read_wav(path, mono=True):
    """Read a whole WAV file -> (samples, sample_rate in Hz).

    samples: mono=True -> list of floats in [-1, 1), shape (frames,), channels averaged;
    mono=False -> one list per channel, shape (channels, frames). A file with no frames gives [] (mono)
    or one empty list per channel.
    Float files return their values as stored (possibly beyond +-1).
    """
    check_type("mono", mono, bool, "True or False")
    with open_wav(path) as reader:
        return reader.read(reader.n_frames, mono), reader.sample_rate


def iter_wav_blocks(path, block_frames=DEFAULT_BLOCK_FRAMES, mono=True):
    """Yield consecutive blocks of up to block_frames frames, in read()'s format; memory stays one block."""
    path = check_path("path", path)
    check_int("block_frames", block_frames, 1)
    check_type("mono", mono, bool, "True or False")
    return _blocks(path, block_frames, mono)


def _blocks(path, block_frames, mono):
    with open_wav(path) as reader:
        while True:
            block = reader.read(block_frames, mono)
            if not (block if mono else block[0]):
                return
            yield block


def _quantize(samples, bits):
    """Floats -> ints of `bits` bits: scale by 2**(bits-1), round to nearest (ties to even), clip."""
    full = 1 << (bits - 1)
    low, high = -full, full - 1
    ints = [round(x * full) for x in samples]
    if ints and (min(ints) < low or max(ints) > high):  # the clipping pass runs only when needed
        ints = [min(max(v, low), high) for v in ints]
    return ints


def _little_endian(values):
    if _BIG_ENDIAN_HOST:
        values.byteswap()
    return values.tobytes()


def _encode_pcm16(samples):
    return _little_endian(array("h", _quantize(samples, 16)))


def _encode_pcm24(samples):
    # The low 3 bytes of a little-endian int32 are the 24-bit two's-complement sample.
    wide = _little_endian(array("i", _quantize(samples, 24)))
    raw = bytearray(len(wide) // 4 * 3)
    raw[0::3], raw[1::3], raw[2::3] = wide[0::4], wide[1::4], wide[2::4]
    return bytes(raw)


def _encode_pcm32(samples):
    return _little_endian(array("i", _quantize(samples, 32)))


def _encode_float32(samples):
    if max(map(abs, samples), default=0.0) > FLOAT32_MAX:  # array('f') would silently store inf
        raise AudiollmError(f"samples has values beyond float32's range (+-{FLOAT32_MAX:.4g}); use bits=32 "
                            "or scale them")
    return _little_endian(array("f", samples))


WRITE_FORMATS = {  # bits argument -> (format tag, bytes per sample, encoder: floats -> raw bytes)
    16: (WAVE_FORMAT_PCM, 2, _encode_pcm16),
    24: (WAVE_FORMAT_PCM, 3, _encode_pcm24),
    32: (WAVE_FORMAT_PCM, 4, _encode_pcm32),
    "float32": (WAVE_FORMAT_IEEE_FLOAT, 4, _encode_float32),
}


def _channels(samples):
    """samples (a flat list, or a list of channel lists) -> checked channels (errors.check_samples) of equal
    length."""
    if isinstance(samples, _SEQUENCES) and len(samples) > 0 and isinstance(samples[0], _SEQUENCES):
        channels = [check_samples(f"samples[{c}]", channel) for c, channel in enumerate(samples)]
    else:
        channels = [check_samples("samples", samples)]
    for c, channel in enumerate(channels):
        if len(channel) != len(channels[0]):
            raise AudiollmError(f"channels must have equal length: samples[0] has {len(channels[0])} frames, "
                                f"samples[{c}] has {len(channel)}")
    return channels


def _interleave(channels):
    """channels lists of (frames,) -> one list (frames * channels,), frame by frame."""
    if len(channels) == 1:
        return channels[0]
    out = [0.0] * (len(channels) * len(channels[0]))
    for c, channel in enumerate(channels):
        out[c :: len(channels)] = channel
    return out


def write_wav(path, samples, sample_rate, bits=16):
    """Write samples to a WAV file, atomically (a reader never sees a half-written file).

    samples: a list of floats (mono) or a list of equal-length channel lists, nominally in [-1, 1).
    sample_rate: Hz, a positive int. bits: 16, 24 or 32 for integer PCM (values scaled by
    2**(bits-1), rounded to nearest, clipped to the integer range, so 1.0 becomes the largest
    integer) or "float32" for IEEE float (values stored as they are, no clipping).
    soundfile (libsndfile 1.2) floors instead of rounding for 16 and 24 bits, so its files can
    differ from ours by one step for values between grid points; values on the grid agree.
    """
    path = check_path("path", path)
    check_sample_rate("sample_rate", sample_rate)
    check_choice("bits", bits, tuple(WRITE_FORMATS))
    channels = _channels(samples)
    tag, width, encode = WRITE_FORMATS[bits]
    n_frames, block_align = len(channels[0]), len(channels) * width
    if block_align > 0xFFFF or sample_rate * block_align > 0xFFFFFFFF:
        raise AudiollmError(f"{len(channels)} channels at sample_rate {sample_rate} do not fit a WAV header")
    fmt = struct.pack("<HHIIHH", tag, len(channels), sample_rate, sample_rate * block_align, block_align,
                      8 * width)
    extra = b""
    if tag != WAVE_FORMAT_PCM:  # non-PCM formats need cbSize in fmt and a fact chunk (frame count)
        fmt += b"\0\0"
        extra = b"fact" + struct.pack("<II", 4, n_frames)
    data_size = n_frames * block_align
    pad = b"\0" * (data_size & 1)  # chunks are padded to even length
    riff_size = 4 + 8 + len(fmt) + len(extra) + 8 + data_size + len(pad)
    if riff_size > 0xFFFFFFFF:
        raise AudiollmError(f"samples are too long for a WAV file ({data_size} data bytes; the limit is 4 GiB)")
    header = (b"RIFF" + struct.pack("<I", riff_size) + b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
              + extra + b"data" + struct.pack("<I", data_size))
    write_atomic(path, b"".join([header, encode(_interleave(channels)), pad]))
