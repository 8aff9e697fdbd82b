"""Audio augmentation on waveforms (..., time) and spectrograms (..., freq, time):
TimeStretch, PitchShift, AddNoise, RandomGain, TimeMasking, FrequencyMasking.

TimeStretch is WSOLA (waveform-similarity overlap-add) time-scale modification,
chosen over a phase vocoder because ember has no FFT: Hann-windowed frames of
``frame_length`` samples are taken about ``rate * hop`` apart from the input, each
shifted by up to hop / 2 samples to the position whose cross-correlation (a grouped
F.conv1d) with the previous frame's natural continuation is highest, so phases line
up; the frames are overlap-added ``hop`` apart with F.fold (ember's conv kernels)
and divided by the summed window envelope. Duration scales by 1 / rate, pitch is
kept.
PitchShift is TimeStretch by 2^(-n_steps / bins_per_octave) followed by linear
resampling (F.interpolate) back to the input length, as torchaudio's pitch_shift
(which uses a phase vocoder for the stretch). The masks follow torchaudio's
mask_along_axis / mask_along_axis_iid. Randomness comes from ember's RNG.
"""
import math

import ember
import ember.nn.functional as F

from . import _rng
from ._container import Transform
from ._image import check_p, is_int, is_number

__all__ = ["TimeStretch", "PitchShift", "AddNoise", "RandomGain", "TimeMasking", "FrequencyMasking",
           "time_stretch", "pitch_shift", "add_noise"]


def _check_wave(x, op, min_dims=1):
    if not isinstance(x, ember.Tensor):
        raise TypeError(f"[{op}] expected an ember.Tensor waveform (..., time), got {type(x).__name__}")
    if x.ndim < min_dims:
        raise ValueError(f"[{op}] expected a tensor of at least {min_dims} dims, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"[{op}] expected a floating point tensor, got {x.dtype}")
    return x


def _range_or_number(v, op, what, positive=False):
    if is_number(v):
        lo = hi = float(v)
    elif isinstance(v, (list, tuple)) and len(v) == 2 and all(is_number(i) for i in v) and v[0] <= v[1]:
        lo, hi = float(v[0]), float(v[1])
    else:
        raise TypeError(f"[{op}] {what} must be a number or a (min, max) pair, got {v!r}")
    if positive and lo <= 0:
        raise ValueError(f"[{op}] {what} must be positive, got {v!r}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"[{op}] {what} must be finite, got {v!r}")
    return lo, hi


def _check_frames(frame_length, hop_length, op):
    if not is_int(frame_length) or frame_length < 2:
        raise ValueError(f"[{op}] frame_length must be an int >= 2, got {frame_length!r}")
    hop = frame_length // 2 if hop_length is None else hop_length
    if not is_int(hop) or not 0 < hop <= frame_length:
        raise ValueError(f"[{op}] hop_length must be an int in [1, frame_length], got {hop_length!r}")
    return int(frame_length), int(hop)


def _frames_at(x, starts, n):
    """Rows of x (B, T) read from per-row starts (B,) for n samples: (B, n)."""
    idx = starts.reshape(-1, 1) + ember.arange(n, dtype=ember.int64, device=x.device)
    return x.gather(-1, idx)


def time_stretch(waveform, rate, frame_length=1024, hop_length=None):
    """Waveform (..., L) -> (..., round(L / rate)) at the same pitch (WSOLA)."""
    op = "time_stretch"
    _check_wave(waveform, op)
    if not is_number(rate) or not rate > 0 or not math.isfinite(rate):
        raise ValueError(f"[{op}] rate must be a positive finite number, got {rate!r}")
    n, hop = _check_frames(frame_length, hop_length, op)
    lead, length = tuple(waveform.shape[:-1]), waveform.shape[-1]
    out_len = int(round(length / rate)) if length else 0
    if out_len > 2 ** 40:
        raise RuntimeError(f"[{op}] output length {out_len} (length {length} / rate {rate}) is too large")
    if out_len == 0:
        return waveform.reshape(*lead, 0)
    if rate == 1.0:
        return waveform
    dt = waveform.dtype
    if waveform.numel() == 0:  # no rows
        return ember.zeros(*lead, out_len, dtype=dt, device=waveform.device)
    half, tol = n // 2, max(hop // 2, 1)
    frames_n = -(-out_len // hop) + 2
    nominal = [int(round(k * hop * rate)) + tol for k in range(frames_n)]  # padded coordinates
    right = max(nominal[-1] + tol + 2 * n + hop - length - half - tol, half)
    x = waveform.reshape(1, -1, length)  # (1, B, L): pad the time dim of every row at once
    x = F.pad(x, [half + tol, right])[0]  # (B, T), zeros outside the signal
    b = x.shape[0]
    # Frame k starts within +-tol of its nominal position, where it best continues
    # (cross-correlation, a grouped conv1d) the previous frame's natural successor.
    # The frames depend on each other, so this loop over frames is sequential.
    dev = x.device  # frame positions live with the waveform
    starts = [ember.full((b,), nominal[0], dtype=ember.int64, device=dev)]
    for k in range(1, frames_n):
        template = _frames_at(x, starts[-1] + hop, n)  # (B, N)
        lo = ember.full((b,), nominal[k] - tol, dtype=ember.int64, device=dev)
        region = _frames_at(x, lo, n + 2 * tol)  # (B, N + 2 tol)
        corr = F.conv1d(region.reshape(1, b, -1), template.reshape(b, 1, n), groups=b)  # (1, B, 2 tol + 1)
        starts.append(lo + corr[0].argmax(dim=-1))
    idx = ember.stack(starts, dim=1).reshape(b, frames_n, 1) + ember.arange(n, dtype=ember.int64, device=dev)
    frames = x.gather(-1, idx.reshape(b, -1)).reshape(b, frames_n, n)  # (B, F, N)
    window = 0.5 - 0.5 * ember.cos(ember.arange(n, dtype=dt, device=dev) * (2.0 * math.pi / n))
    frames = frames * window
    total = (frames_n - 1) * hop + n
    y = F.fold(frames.transpose(1, 2), (1, total), (1, n), stride=(1, hop))  # overlap-add: (B, 1, 1, total)
    env = F.fold(window.reshape(1, n, 1).expand(1, n, frames_n), (1, total), (1, n), stride=(1, hop))
    y = y.reshape(-1, total)[:, half:half + out_len]
    env = env.reshape(total)[half:half + out_len]
    y = y / env.clamp(min=1e-3)
    return y.reshape(*lead, out_len)


def pitch_shift(waveform, sample_rate, n_steps, bins_per_octave=12, frame_length=1024, hop_length=None):
    """Shifts the pitch by n_steps / bins_per_octave octaves, keeping the length."""
    op = "pitch_shift"
    _check_wave(waveform, op)
    if not is_number(sample_rate) or sample_rate <= 0:
        raise ValueError(f"[{op}] sample_rate must be positive, got {sample_rate!r}")
    if not is_number(n_steps) or not math.isfinite(n_steps):
        raise ValueError(f"[{op}] n_steps must be a finite number, got {n_steps!r}")
    if not is_int(bins_per_octave) or bins_per_octave <= 0:
        raise ValueError(f"[{op}] bins_per_octave must be a positive int, got {bins_per_octave!r}")
    if n_steps == 0 or waveform.shape[-1] == 0:
        return waveform
    lead, length = tuple(waveform.shape[:-1]), waveform.shape[-1]
    rate = 2.0 ** (-float(n_steps) / bins_per_octave)
    stretched = time_stretch(waveform, rate, frame_length, hop_length)
    y = F.interpolate(stretched.reshape(-1, 1, stretched.shape[-1]), size=length, mode="linear",
                      align_corners=False)
    return y.reshape(*lead, length)


def add_noise(waveform, noise, snr):
    """waveform + noise scaled so that 10 log10(P_signal / P_noise) = snr (per row)."""
    op = "add_noise"
    _check_wave(waveform, op)
    _check_wave(noise, op)
    if tuple(noise.shape) != tuple(waveform.shape):
        raise ValueError(f"[{op}] expected noise of the waveform's shape {tuple(waveform.shape)}, got "
                         f"{tuple(noise.shape)}")
    snr = (ember.as_tensor(snr, dtype=waveform.dtype, device=waveform.device) if not isinstance(snr, ember.Tensor)
           else snr.to(device=waveform.device, dtype=waveform.dtype))
    es = (waveform * waveform).sum(dim=-1)
    en = (noise * noise).sum(dim=-1).clamp(min=1e-30)
    scale = ember.sqrt(es / en) * 10.0 ** (-snr / 20.0)
    return waveform + scale.unsqueeze(-1) * noise


class TimeStretch(Transform):
    """Changes the duration by 1 / rate keeping the pitch; rate is a number or a
    (min, max) range drawn uniformly per call."""

    def __init__(self, rate, frame_length=1024, hop_length=None, *, generator=None):
        self.rate = _range_or_number(rate, "TimeStretch", "rate", positive=True)
        self.frame_length, self.hop_length = _check_frames(frame_length, hop_length, "TimeStretch")
        self.generator = _rng.check_generator(generator, "TimeStretch")

    def forward(self, waveform):
        _check_wave(waveform, "TimeStretch")
        lo, hi = self.rate
        rate = lo if lo == hi else _rng.uniform(lo, hi, self.generator)
        return time_stretch(waveform, rate, self.frame_length, self.hop_length)


class PitchShift(Transform):
    """Shifts the pitch by n_steps semitones (a number or a (min, max) range)."""

    def __init__(self, sample_rate, n_steps, bins_per_octave=12, frame_length=1024, hop_length=None, *,
                 generator=None):
        if not is_number(sample_rate) or sample_rate <= 0:
            raise ValueError(f"[PitchShift] sample_rate must be positive, got {sample_rate!r}")
        if not is_int(bins_per_octave) or bins_per_octave <= 0:
            raise ValueError(f"[PitchShift] bins_per_octave must be a positive int, got {bins_per_octave!r}")
        self.sample_rate, self.bins_per_octave = sample_rate, bins_per_octave
        self.n_steps = _range_or_number(n_steps, "PitchShift", "n_steps")
        self.frame_length, self.hop_length = _check_frames(frame_length, hop_length, "PitchShift")
        self.generator = _rng.check_generator(generator, "PitchShift")

    def forward(self, waveform):
        _check_wave(waveform, "PitchShift")
        lo, hi = self.n_steps
        n = lo if lo == hi else _rng.uniform(lo, hi, self.generator)
        return pitch_shift(waveform, self.sample_rate, n, self.bins_per_octave, self.frame_length, self.hop_length)


class AddNoise(Transform):
    """Adds noise at ``snr_db`` (a number or a (min, max) range drawn per call): the
    given ``noise`` (same shape) or white Gaussian noise from ember's RNG."""

    def __init__(self, snr_db, *, generator=None):
        self.snr_db = _range_or_number(snr_db, "AddNoise", "snr_db")
        self.generator = _rng.check_generator(generator, "AddNoise")

    def forward(self, waveform, noise=None):
        _check_wave(waveform, "AddNoise")
        if noise is None:
            noise = ember.randn(*waveform.shape, generator=self.generator, dtype=waveform.dtype, device=waveform.device)
        lo, hi = self.snr_db
        snr = lo if lo == hi else _rng.uniform(lo, hi, self.generator)
        return add_noise(waveform, noise, snr)


class RandomGain(Transform):
    """Multiplies by 10^(g / 20), g uniform in [min_gain_db, max_gain_db], with probability p."""

    def __init__(self, min_gain_db=-6.0, max_gain_db=6.0, p=1.0, *, generator=None):
        if not (is_number(min_gain_db) and is_number(max_gain_db)) or min_gain_db > max_gain_db:
            raise ValueError(f"[RandomGain] expected numbers min_gain_db <= max_gain_db, got {min_gain_db!r} and "
                             f"{max_gain_db!r}")
        self.min_gain_db, self.max_gain_db = float(min_gain_db), float(max_gain_db)
        self.p = check_p(p, "RandomGain")
        self.generator = _rng.check_generator(generator, "RandomGain")

    def forward(self, waveform):
        _check_wave(waveform, "RandomGain")
        if not _rng.coin(self.p, self.generator):
            return waveform
        g = _rng.uniform(self.min_gain_db, self.max_gain_db, self.generator)
        return waveform * (10.0 ** (g / 20.0))


class _AxisMasking(Transform):
    """torchaudio's masking: a band [start, start + width) along one axis, width uniform
    in [0, mask_param) and start uniform in [0, size - width), set to mask_value."""

    def __init__(self, mask_param, axis, iid_masks, p, generator, op):
        if not is_int(mask_param) or mask_param < 0:
            raise ValueError(f"[{op}] mask param must be a non-negative int, got {mask_param!r}")
        self.mask_param, self.axis, self.iid_masks, self.op = int(mask_param), axis, bool(iid_masks), op
        self.p = check_p(p, op)
        self.generator = _rng.check_generator(generator, op)

    def forward(self, specgram, mask_value=0.0):
        op = self.op
        _check_wave(specgram, op, min_dims=2)
        if not is_number(mask_value):
            raise TypeError(f"[{op}] mask_value must be a number, got {mask_value!r}")
        dim = specgram.ndim - 2 + self.axis  # axis 0: freq (-2), 1: time (-1)
        size = specgram.shape[dim]
        param = self.mask_param if self.p == 1.0 else min(self.mask_param, int(size * self.p))
        if param < 1 or specgram.numel() == 0:
            return specgram
        g = self.generator
        dt = specgram.dtype
        lead = tuple(specgram.shape[:-2]) if self.iid_masks and specgram.ndim > 2 else ()
        nmask = 1
        for s in lead:
            nmask *= s
        value = ember.rand(nmask, generator=g, dtype=ember.float64) * param
        start = ember.rand(nmask, generator=g, dtype=ember.float64) * (size - value)
        lo = ember.floor(start)
        hi = lo + ember.floor(value)
        pos = ember.arange(size, dtype=ember.float64)
        mask = (pos >= lo.reshape(-1, 1)) & (pos < hi.reshape(-1, 1))  # (nmask, size)
        mask = mask.to(specgram.device)  # drawn on the CPU (the same stream on every device)
        shape = list(lead) + ([size, 1] if self.axis == 0 else [1, size])
        mask = mask.reshape(*shape) if lead else mask.reshape(*shape[-2:])
        return specgram.masked_fill(mask, float(mask_value)).to(dt)

    def extra_repr(self):
        return f"mask_param={self.mask_param}, iid_masks={self.iid_masks}, p={self.p}"


class TimeMasking(_AxisMasking):
    """Masks a random band of time steps of a spectrogram (..., freq, time)."""

    def __init__(self, time_mask_param, iid_masks=False, p=1.0, *, generator=None):
        super().__init__(time_mask_param, 1, iid_masks, p, generator, "TimeMasking")


class FrequencyMasking(_AxisMasking):
    """Masks a random band of frequency bins of a spectrogram (..., freq, time)."""

    def __init__(self, freq_mask_param, iid_masks=False, *, generator=None):
        super().__init__(freq_mask_param, 0, iid_masks, 1.0, generator, "FrequencyMasking")
