"""audiollm: the audio-language-model arc in pure Python, from a WAV file to the tokens an LLM reads.

Modules in lesson order: wav -> resample -> fft -> stft -> mel (log-Mel) -> encoder -> bridges -> picker;
beside them nn (the shared linear algebra), synth (test audio), png (pictures), diarize and experiment
(exercise 5 and the cascaded-vs-end-to-end experiment). Import functions by name: `from audiollm import fft`
gives the function fft (as in numpy), the module is `audiollm.fft` via `from audiollm.fft import ...`.
Data is plain lists, time-major: a log-Mel is n_frames rows of n_mels floats, (3000, 80) for 30 s.
"""
from .bridges import PooledMLPAdapter, QFormer, WindowQFormer, bridge_costs, format_cost_table, tokens_per_clip
from .diarize import Turn, der, diarize, format_turns, read_rttm, to_rttm
from .encoder import AcousticEncoder, FrameEncoder, concat_features, frame_mask
from .errors import AudioFormatError, AudiollmError
from .experiment import log_mel_shape, run_experiment
from .fft import fft, fft_columns, ifft, rfft
from .mel import (CHUNK_LENGTH, HOP_LENGTH, N_FFT, N_FRAMES, N_SAMPLES, SAMPLE_RATE, fft_frequencies, hz_to_mel,
                  log1p_mel, log_mel_spectrogram, log_mel_windows, mel_filters, mel_frequencies, mel_to_hz,
                  melspectrogram, pad_or_trim)
from .picker import Plan, format_plan, pick, render_skill, write_skill
from .png import heatmap_png, text_preview, write_png
from .resample import filter_half_width, load_audio, resample
from .stft import get_window, power_columns, power_spectrum, stft
from .synth import lesson_scene, two_speaker_dialogue
from .wav import iter_wav_blocks, open_wav, read_wav, write_wav

__all__ = [
    "AcousticEncoder", "AudioFormatError", "AudiollmError", "bridge_costs", "CHUNK_LENGTH", "concat_features",
    "der", "diarize", "fft", "fft_columns", "fft_frequencies", "filter_half_width", "format_cost_table",
    "format_plan", "format_turns", "frame_mask", "FrameEncoder", "get_window", "heatmap_png", "HOP_LENGTH",
    "hz_to_mel", "ifft", "iter_wav_blocks", "lesson_scene", "load_audio", "log1p_mel", "log_mel_shape",
    "log_mel_spectrogram", "log_mel_windows", "mel_filters", "mel_frequencies", "mel_to_hz", "melspectrogram",
    "N_FFT", "N_FRAMES", "N_SAMPLES", "open_wav", "pad_or_trim", "pick", "Plan", "PooledMLPAdapter",
    "power_columns", "power_spectrum", "QFormer", "read_rttm", "read_wav", "render_skill", "resample", "rfft",
    "run_experiment",
    "SAMPLE_RATE", "stft", "text_preview", "to_rttm", "tokens_per_clip", "Turn", "two_speaker_dialogue",
    "WindowQFormer", "write_png", "write_skill", "write_wav",
]
