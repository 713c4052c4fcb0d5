"""The lesson's five exercises as tests. Each class asks one of the lesson's questions, each test one part of it;
the test computes the answer with the library and checks what the lesson says about it. Read the assertions
for the answer.

Run one with `python3 -m pytest tests/test_exercises.py -k Exercise1` (or Exercise2 ... Exercise5).
"""
import math
import re

import pytest

from audiollm.model.bridges import QFormer, bridge_costs
from audiollm.use.diarize import der, diarize, format_turns, to_rttm
from audiollm.use.experiment import log_mel_shape
from audiollm.front.mel import (N_FFT, SAMPLE_RATE, fft_frequencies, log10_mel, log_mel_spectrogram, mel_filters,
                                mel_frequencies, melspectrogram, pad_or_trim)
from audiollm.use.picker import PROFILES, pick
from audiollm.front.resample import resample
from audiollm.front.stft import power_columns
from audiollm.synthetic.synth import noise_event, note_hz, tone, two_speaker_dialogue, vowel


def mean_frame(samples, n_mels=80):
    """Whisper log-Mel of a clip, averaged over its steady middle (5 mel frames dropped at each end)."""
    frames = log_mel_spectrogram(samples, n_mels)[5:-5]
    return [sum(column) / len(frames) for column in zip(*frames)]


def mean_power(samples):
    """Power per sample: by Parseval, the same number at any sample rate for the same sound."""
    return sum(x * x for x in samples) / len(samples)


class TestExercise1LogMelShape:
    """Exercise 1: compute the log-Mel spectrogram dimension for a 30-second clip at 16 kHz, 25 ms window,
    10 ms hop, 80 mel bins. How does this change at 48 kHz?
    """

    SECONDS, WINDOW_MS, HOP_MS, N_MELS = 30, 25, 10, 80

    @pytest.fixture(scope="class")
    def front_end(self):
        """sr -> (n_fft, hop, FFT bins per frame, log-Mel): 30 s through the real front end at each rate.

        One second of a tone, then silence (the STFT skips the FFTs of silent frames, so 30 s at 48 kHz stay
        fast); the mel filters, then Whisper's last-frame drop and log.
        """
        out = {}
        for sr in (16000, 48000):
            n_fft, hop = sr * self.WINDOW_MS // 1000, sr * self.HOP_MS // 1000
            samples = pad_or_trim(tone(440.0, 1.0, sr=sr), self.SECONDS * sr)
            bins = len(power_columns(samples[:sr], n_fft, hop))
            mel = melspectrogram(samples, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=self.N_MELS)
            out[sr] = n_fft, hop, bins, log10_mel(mel[:-1])
        return out

    def test_30_s_at_16_khz(self, front_end):
        """How many mel frames of how many values does 30 s at 16 kHz give, and does Whisper's own function agree?"""
        n_fft, hop, bins, features = front_end[16000]
        shape = (len(features), len(features[0]))
        assert shape == (self.SECONDS * 1000 // self.HOP_MS, self.N_MELS)  # one mel frame per 10 ms hop
        whisper = log_mel_spectrogram(pad_or_trim(tone(440.0, 1.0)))
        assert (len(whisper), len(whisper[0])) == shape == log_mel_shape(self.SECONDS, 16000)["shape"]
        assert bins == n_fft // 2 + 1  # each mel frame sums the power of one FFT's non-negative bins

    def test_at_48_khz_the_shape_stays_and_each_frame_grows(self, front_end):
        """At 48 kHz, what changes: the number of mel frames and mel bins, or the work inside each frame?"""
        (n16, hop16, bins16, f16), (n48, hop48, bins48, f48) = front_end[16000], front_end[48000]
        assert (len(f48), len(f48[0])) == (len(f16), len(f16[0]))  # the hop is 10 ms at any rate
        assert (n48, hop48) == (3 * n16, 3 * hop16)  # the same milliseconds hold three times the samples
        assert bins48 - 1 == 3 * (bins16 - 1)  # a three-times longer FFT
        for sr, (n_fft, hop, bins, features) in front_end.items():
            shape = log_mel_shape(self.SECONDS, sr)
            assert (shape["n_fft"], shape["hop"], shape["bins"], shape["shape"]) == (
                n_fft, hop, bins, (len(features), len(features[0])))

    def test_at_48_khz_the_filters_reach_above_8_khz(self, front_end):
        """How high do the 80 mel filters reach at each rate?"""
        for sr, (n_fft, _, _, _) in front_end.items():
            top = mel_filters(sr, n_fft, self.N_MELS)[-1]
            highest = fft_frequencies(sr, n_fft)[max(k for k, w in enumerate(top) if w > 0)]
            assert sr / 2 - sr / n_fft <= highest <= sr / 2  # up to the Nyquist frequency, within one FFT bin
        above_8k = {sr: sum(f > 8000 for f in mel_frequencies(self.N_MELS + 2, 0.0, sr / 2)[1:-1]) for sr in front_end}
        assert above_8k[48000] > above_8k[16000] == 0  # filters for sound a 16 kHz signal cannot carry


class TestExercise2WhisperOnMusic:
    """Exercise 2: why does Whisper underperform on music? What audio features does BEATs capture that
    Whisper does not?
    """

    def test_what_lies_above_8_khz_never_reaches_whisper(self):
        """How much of a broadband sound (a hiss, like a cymbal) lies above 8 kHz, and what survives 16 kHz?"""
        hiss = noise_event("rain", 0.5, seed=1, sr=48000)
        freqs = fft_frequencies(48000, 1200)
        power = [sum(column) for column in power_columns(hiss, 1200, 300)]
        above = sum(p for f, p in zip(freqs, power) if f > 8000)
        share_above = above / sum(power)
        assert share_above > 0.5  # most of a hiss's power is up there
        at_16k = resample(hiss, 48000, 16000)
        assert mean_power(at_16k) / mean_power(hiss) == pytest.approx(1 - share_above, abs=0.03)  # only the rest
        back = [sum(column) for column in power_columns(resample(at_16k, 16000, 48000), 1200, 300)]
        assert sum(p for f, p in zip(freqs, back) if f > 8000) < 1e-4 * above  # over 40 dB down: gone

    def test_a_bass_semitone_is_narrower_than_an_fft_bin(self):
        """Can Whisper's 25-ms, 400-point FFT tell A1 from A#1? A5 from A#5?"""
        bin_hz = SAMPLE_RATE / N_FFT
        assert note_hz("A#1") - note_hz("A1") < bin_hz < note_hz("A#5") - note_hz("A5")

    @pytest.mark.parametrize("n_mels", [80, 128])
    def test_the_log_mel_hears_vowels_not_bass_semitones(self, n_mels):
        """Does a bass semitone change the log-Mel as much as a vowel or a treble semitone does? With BEATs'
        128 mel bins?"""
        bass = math.dist(mean_frame(tone(note_hz("A1"), 0.5), n_mels), mean_frame(tone(note_hz("A#1"), 0.5), n_mels))
        vowels = math.dist(mean_frame(vowel("a", (120,), 0.5), n_mels), mean_frame(vowel("i", (120,), 0.5), n_mels))
        treble = math.dist(mean_frame(tone(note_hz("A5"), 0.5), n_mels), mean_frame(tone(note_hz("A#5"), 0.5), n_mels))
        # More mel bins do not help: the 40-Hz FFT bin is the limit. BEATs differs in what it learned from (AudioSet's
        # music and events) and how it reads the log-Mel (16 x 16 time-frequency patches), not in its window.
        assert vowels > 10 * bass and treble > 10 * bass


class TestExercise3QueryCount:
    """Exercise 3: audio Q-former with 64 queries vs 32: at what task complexity does 64 pay off? What do 32
    save compute for?
    """

    @pytest.fixture(scope="class")
    def costs(self):
        """The cost model at real scale (Whisper-large frames, SALMONN-sized Q-former, a 7B LLM): 32 and 64."""
        rows = {row["n_queries"]: row for row in bridge_costs() if row["bridge"] == "qformer"}
        assert sorted(rows) == [32, 64]
        return rows[32], rows[64]

    def test_the_bridge_itself_costs_little_more(self, costs):
        """How much more does the Q-former compute with twice the queries?"""
        q32, q64 = costs
        assert 1.0 < q64["bridge_macs_30s"] / q32["bridge_macs_30s"] < 1.25  # the 1500 frames' keys dominate
        assert 1.0 < q64["params"] / q32["params"] < 1.01  # 32 more query vectors among millions of weights

    def test_the_llm_pays_twice_and_four_times(self, costs):
        """What does the LLM pay for the extra tokens, per 30 s and per 10 minutes?"""
        q32, q64 = costs
        frames = [[0.0] * 8 for _ in range(1500)]
        for row in costs:  # the toy Q-former hands the LLM one token per query
            tokens, _ = QFormer(d_audio=8, d_model=8, n_heads=2, n_queries=row["n_queries"], d_llm=8).forward(frames)
            assert len(tokens) == row["tokens_30s"]
        assert q64["tokens_30s"] == 2 * q32["tokens_30s"]
        assert q32["tokens_clip"] == q32["tokens_30s"] * q32["clip_seconds"] // 30  # one set per 30-s window
        assert q64["llm_attention_macs_clip"] == 4 * q32["llm_attention_macs_clip"]  # attention is quadratic
        assert 2.0 < q64["llm_prefill_macs_clip"] / q32["llm_prefill_macs_clip"] < 2.1

    def test_64_for_several_kinds_of_evidence_32_for_one(self):
        """For which tasks does the picker spend 64 queries, and for which does it save with 32?"""
        by_queries = {}
        for profile in PROFILES:
            plan = pick(profile.name, cost_sensitive=True)
            if plan.bridge == "qformer":
                by_queries.setdefault(plan.n_queries, []).append(len(profile.needs))
        assert sorted(by_queries) == [32, 64]
        assert min(by_queries[64]) > max(by_queries[32])


class TestExercise4OnDemandThinking:
    """Exercise 4: read AF3 Section 4 on on-demand thinking. Propose three audio tasks where chain-of-thought
    helps the most.
    """

    def test_three_tasks_think_and_say_why(self):
        """Which tasks does the picker think for, and what reasoning does each need first?"""
        thinking = [p for p in PROFILES if pick(p.name).thinking]
        assert len(thinking) == 3
        for profile in thinking:
            reasons = [r for r in pick(profile.name).reasons if r.startswith("[thinking-helps]")]
            assert len(reasons) == 1 and profile.thinking in reasons[0]
            assert len(profile.needs) >= 2  # several things heard, combined before the answer

    def test_a_one_step_task_does_not_think(self):
        """Does plain transcription (one step: the words) gain from a reasoning chain?"""
        plan = pick("transcription")
        assert plan.thinking is False and "thinking-helps" not in plan.fired

    def test_a_tight_latency_budget_switches_it_off(self):
        """What if the answer is needed within a second?"""
        plan = pick("temporal event grounding", latency_ms=1000)
        assert plan.thinking is False and "thinking-costs-latency" in plan.fired


class TestExercise5Diarization:
    """Exercise 5: implement a minimal diarization pipeline using AF3's output. How do you signal speaker
    changes?
    """

    @pytest.fixture(scope="class")
    def dialogue(self):
        samples, reference = two_speaker_dialogue(seed=0)
        return reference, diarize(samples)

    def test_the_pipeline_finds_who_spoke_when(self, dialogue):
        """How close does the minimal pipeline get, scored by the diarization error rate (0.25-s collar)?"""
        reference, hypothesis = dialogue
        assert der(reference, hypothesis, collar=0.25)["der"] <= 0.10

    def test_speaker_changes_are_turn_boundaries(self, dialogue):
        """Where does a speaker change show in the output?"""
        reference, hypothesis = dialogue
        changes = sum(a.speaker != b.speaker for a, b in zip(hypothesis, hypothesis[1:]))
        assert changes == sum(a[2] != b[2] for a, b in zip(reference, reference[1:]))
        assert len({t.speaker for t in hypothesis}) == 2

    def test_turns_print_and_write_as_rttm(self, dialogue):
        """How are the turns handed on, to a person and to another program (an LLM or a scorer)?"""
        _, hypothesis = dialogue
        lines = format_turns(hypothesis).splitlines()
        assert len(lines) == len(hypothesis)
        assert all(re.fullmatch(r"\[\d\d:\d\d\.\d\d - \d\d:\d\d\.\d\d\] SPEAKER_[12]", line) for line in lines)
        rttm = to_rttm(hypothesis, "dialogue").splitlines()
        first = rttm[0].split()
        assert len(rttm) == len(hypothesis) and first[:3] == ["SPEAKER", "dialogue", "1"]
        assert float(first[3]) == pytest.approx(hypothesis[0].start)
        assert float(first[4]) == pytest.approx(hypothesis[0].end - hypothesis[0].start)
