"""audiollm: the audio-language-model arc in pure Python, from a WAV file to the tokens an LLM reads.

Modules in lesson order: wav -> resample -> fft -> stft -> mel (log-Mel) -> encoder -> bridges -> listen (the
trained Q-former: what it heard) -> picker; beside them train (its training), corpus (captioned clips), nn (the
shared linear algebra), synth (test audio), png (pictures), diarize and experiment
(exercise 5 and the cascaded-vs-end-to-end experiment). Every module is reachable by its name
(`import audiollm.fft as F`); a function named like its module is imported from it:
`from audiollm.fft import fft`, `from audiollm.stft import stft`, `from audiollm.resample import resample`,
`from audiollm.diarize import diarize`. Everything else is also exported here.
Data is plain lists, time-major: a log-Mel is n_frames mel frames of n_mels floats, (3000, 80) for 30 s.
"""
from .bridges import PooledMLPAdapter, QFormer, WindowQFormer, bridge_costs, format_cost_table, tokens_per_clip
from .diarize import Turn, der, format_turns, read_rttm, to_rttm
from .encoder import AcousticEncoder, FrameEncoder, SummaryEncoder, concat_features, frame_mask
from .errors import AudioFormatError, AudiollmError
from .experiment import log_mel_shape, run_experiment
from .fft import dft, fft_columns, fft_recursive, ifft, rfft
from .listen import Listener, format_timeline, load_listener, timeline
from .mel import (CHUNK_LENGTH, HOP_LENGTH, N_FFT, N_FRAMES, N_SAMPLES, SAMPLE_RATE, fft_frequencies, hz_to_mel,
                  log10_mel, log1p_mel, log_mel_literal, log_mel_spectrogram, log_mel_windows, mel_filters,
                  mel_frequencies, mel_to_hz, melspectrogram, pad_or_trim)
from .picker import Plan, format_plan, pick, render_skill, write_skill
from .png import heatmap_png, text_preview, write_png
from .resample import filter_half_width, load_audio
from .stft import get_window, power_columns, power_spectrum
from .synth import lesson_scene, two_speaker_dialogue
from .wav import iter_wav_blocks, open_wav, read_wav, write_wav

__all__ = [
    "AcousticEncoder", "AudioFormatError", "AudiollmError", "bridge_costs", "CHUNK_LENGTH", "concat_features",
    "der", "dft", "fft_columns", "fft_frequencies", "fft_recursive", "filter_half_width", "format_cost_table",
    "format_plan", "format_timeline", "format_turns", "frame_mask", "FrameEncoder", "get_window", "heatmap_png",
    "HOP_LENGTH", "hz_to_mel", "ifft", "iter_wav_blocks", "lesson_scene", "Listener", "load_audio", "load_listener",
    "log10_mel", "log1p_mel", "log_mel_literal", "log_mel_shape", "log_mel_spectrogram", "log_mel_windows",
    "mel_filters", "mel_frequencies", "mel_to_hz", "melspectrogram", "N_FFT", "N_FRAMES", "N_SAMPLES", "open_wav",
    "pad_or_trim", "pick", "Plan", "PooledMLPAdapter", "power_columns", "power_spectrum", "QFormer", "read_rttm",
    "read_wav", "render_skill", "rfft", "run_experiment", "SAMPLE_RATE", "SummaryEncoder", "text_preview",
    "timeline", "to_rttm", "tokens_per_clip", "Turn", "two_speaker_dialogue", "WindowQFormer", "write_png",
    "write_skill", "write_wav",
]
