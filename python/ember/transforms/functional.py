"""ember.transforms.functional: the image ops behind the transforms, named as
torchvision.transforms.v2.functional (hflip, resize, rotate, adjust_hue, ...)."""
from ._f_color import *  # noqa: F401,F403
from ._f_color import __all__ as _color_all
from ._f_geometry import *  # noqa: F401,F403
from ._f_geometry import __all__ as _geometry_all

__all__ = list(_geometry_all) + list(_color_all)
