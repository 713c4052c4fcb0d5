"""audiollm: the audio-language-model arc in pure Python, from a WAV file to the tokens an LLM reads.

Modules in lesson order: wav -> resample -> fft -> stft -> mel (log-Mel) -> encoder -> bridges -> picker.
Data is plain lists, time-major: a log-Mel is n_frames rows of n_mels floats, (3000, 80) for 30 s.
"""
from .bridges import PooledMLPAdapter, QFormer, WindowQFormer, bridge_costs, format_cost_table, tokens_per_clip
from .encoder import AcousticEncoder, FrameEncoder, concat_features, frame_mask
from .errors import AudioFormatError, AudiollmError
from .fft import fft, fft_columns, ifft, rfft
from .mel import (CHUNK_LENGTH, HOP_LENGTH, N_FFT, N_FRAMES, N_SAMPLES, SAMPLE_RATE, fft_frequencies, hz_to_mel,
                  log1p_mel, log_mel_spectrogram, log_mel_windows, mel_filters, mel_frequencies, mel_to_hz,
                  melspectrogram, pad_or_trim)
from .picker import Plan, format_plan, pick, render_skill, write_skill
from .resample import filter_half_width, load_audio, resample
from .stft import get_window, power_columns, power_spectrum, stft
from .wav import iter_wav_blocks, open_wav, read_wav, write_wav

__all__ = [
    "AcousticEncoder", "AudioFormatError", "AudiollmError", "CHUNK_LENGTH", "FrameEncoder", "HOP_LENGTH", "N_FFT",
    "N_FRAMES", "N_SAMPLES", "Plan", "PooledMLPAdapter", "QFormer", "SAMPLE_RATE", "WindowQFormer", "bridge_costs",
    "concat_features", "fft", "fft_columns", "fft_frequencies", "filter_half_width", "format_cost_table",
    "format_plan", "frame_mask", "get_window", "hz_to_mel", "ifft", "iter_wav_blocks", "load_audio", "log1p_mel",
    "log_mel_spectrogram", "log_mel_windows", "mel_filters", "mel_frequencies", "mel_to_hz", "melspectrogram",
    "open_wav", "pad_or_trim", "pick", "power_columns", "power_spectrum", "read_wav", "render_skill", "resample",
    "rfft", "stft", "tokens_per_clip", "write_skill", "write_wav",
]
