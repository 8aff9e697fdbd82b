"""Photometric transforms (torchvision.transforms.v2's names and arguments):
ColorJitter, Grayscale, RandomGrayscale, GaussianBlur, GaussianNoise. Random factors
come from ember's RNG (or ``generator``)."""
from . import _f_color as FC
from . import _rng
from ._container import Transform
from ._image import check_image, check_p, is_int, is_number, range_arg

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur", "GaussianNoise"]


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order.

    brightness / contrast / saturation: a number b gives factors uniform in
    [max(0, 1 - b), 1 + b], a pair (min, max) the factors' range; hue: h in [0, 0.5]
    gives a shift uniform in [-h, h] (turns of the colour wheel)."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0, *, generator=None):
        op = "ColorJitter"
        self.brightness = self._factor(brightness, op, "brightness")
        self.contrast = self._factor(contrast, op, "contrast")
        self.saturation = self._factor(saturation, op, "saturation")
        h = range_arg(hue, op, "hue", center=0.0, bound=(-0.5, 0.5), clip_first=False)
        self.hue = None if h == (0.0, 0.0) else h
        self.generator = _rng.check_generator(generator, op)

    @staticmethod
    def _factor(v, op, what):
        r = range_arg(v, op, what, center=1.0)
        return None if r == (1.0, 1.0) else r

    def forward(self, img):
        check_image(img, "ColorJitter")
        g = self.generator
        order = _rng.permutation(4, g)
        b = None if self.brightness is None else _rng.uniform(*self.brightness, g)
        c = None if self.contrast is None else _rng.uniform(*self.contrast, g)
        s = None if self.saturation is None else _rng.uniform(*self.saturation, g)
        h = None if self.hue is None else _rng.uniform(*self.hue, g)
        for k in order:
            if k == 0 and b is not None:
                img = FC.adjust_brightness(img, b)
            elif k == 1 and c is not None:
                img = FC.adjust_contrast(img, c)
            elif k == 2 and s is not None:
                img = FC.adjust_saturation(img, s)
            elif k == 3 and h is not None:
                img = FC.adjust_hue(img, h)
        return img

    def extra_repr(self):
        return f"brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, " \
               f"hue={self.hue}"


class Grayscale(Transform):
    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"[Grayscale] num_output_channels must be 1 or 3, got {num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return FC.rgb_to_grayscale(img, self.num_output_channels)

    def extra_repr(self):
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(Transform):
    """Grayscale with probability p, keeping the channel count."""

    def __init__(self, p=0.1, *, generator=None):
        self.p = check_p(p, "RandomGrayscale")
        self.generator = _rng.check_generator(generator, "RandomGrayscale")

    def forward(self, img):
        check_image(img, "RandomGrayscale")
        if not _rng.coin(self.p, self.generator):
            return img
        return FC.rgb_to_grayscale(img, img.shape[-3])

    def extra_repr(self):
        return f"p={self.p}"


class GaussianBlur(Transform):
    """Blurs with a Gaussian of sigma drawn uniformly from ``sigma`` (a fixed number or a
    (min, max) range); kernel_size is (x, y) odd positive ints."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0), *, generator=None):
        ks = [kernel_size, kernel_size] if is_int(kernel_size) else list(kernel_size) \
            if isinstance(kernel_size, (list, tuple)) else None
        if ks is None or len(ks) not in (1, 2) or not all(is_int(k) for k in ks):
            raise TypeError(f"[GaussianBlur] kernel_size must be an int or a sequence of 1 or 2 ints, got "
                            f"{kernel_size!r}")
        ks = ks * 2 if len(ks) == 1 else ks
        if any(k <= 0 or k % 2 == 0 for k in ks):
            raise ValueError(f"[GaussianBlur] kernel size values should be odd and positive, got {kernel_size!r}")
        if is_number(sigma):
            if sigma <= 0:
                raise ValueError(f"[GaussianBlur] if sigma is a single number, it must be positive, got {sigma}")
            sigma = (float(sigma), float(sigma))
        elif isinstance(sigma, (list, tuple)) and len(sigma) == 2 and all(is_number(s) for s in sigma):
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError(f"[GaussianBlur] sigma values should be positive and of the form (min, max), "
                                 f"got {sigma!r}")
            sigma = (float(sigma[0]), float(sigma[1]))
        else:
            raise TypeError(f"[GaussianBlur] sigma should be a single number or a sequence of 2 numbers, "
                            f"got {sigma!r}")
        self.kernel_size, self.sigma = ks, sigma
        self.generator = _rng.check_generator(generator, "GaussianBlur")

    def forward(self, img):
        check_image(img, "GaussianBlur")
        s = _rng.uniform(self.sigma[0], self.sigma[1], self.generator)
        return FC.gaussian_blur(img, self.kernel_size, [s, s])

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}"


class GaussianNoise(Transform):
    """Adds N(mean, sigma^2) noise to a float image; clamps to [0, 1] when clip."""

    def __init__(self, mean=0.0, sigma=0.1, clip=True, *, generator=None):
        if not is_number(sigma) or sigma < 0:
            raise ValueError(f"[GaussianNoise] sigma shouldn't be negative, got {sigma!r}")
        if not is_number(mean):
            raise TypeError(f"[GaussianNoise] mean must be a number, got {mean!r}")
        self.mean, self.sigma, self.clip = float(mean), float(sigma), bool(clip)
        self.generator = _rng.check_generator(generator, "GaussianNoise")

    def forward(self, img):
        return FC.gaussian_noise(img, self.mean, self.sigma, self.clip, self.generator)

    def extra_repr(self):
        return f"mean={self.mean}, sigma={self.sigma}, clip={self.clip}"
