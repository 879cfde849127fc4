"""Reading the text of a photo offline (issue 19, D15.2): the OCR engine behind the
photo extraction when no vision model is configured, or when it fails.

The engine is RapidOCR on ONNX Runtime (the `ocr` extra), whose detection, direction and
recognition models ship inside its wheel: nothing is downloaded, ever. It is imported
lazily and built once per process (loading takes a moment and some memory), and one
photo is read at a time: a read uses every core already, two at once would only make
both slower. `read_text` blocks on the CPU for about a second; callers run it in a
thread.

What comes back is every line of text the engine found, with its confidence and its
rectangle in the pixels of the image given (a photo slightly turned gives slightly
taller rectangles: pairing labels with values is `report_parser`'s job, which allows
for it). Low-contrast photos are stretched to the full range of grey first, which the
engine reads better (bench/README.md, "Health photo extraction").
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps

# Below this the engine finds nothing worth reading (and some of its steps fail on
# images a few pixels wide): such an image reads as no text at all.
MIN_SIDE = 16
# Phone photos are 3000-4000 pixels; detection gains nothing above this and costs
# time in proportion to the pixels.
MAX_SIDE = 1600
# A photo whose 2nd..98th percentiles of grey lie closer than this is stretched.
LOW_CONTRAST_SPREAD = 140
UNAVAILABLE = "Offline reading of photos is not installed (install the 'ocr' extra: make run does)."


@dataclass(frozen=True, slots=True)
class TextBox:
    text: str
    confidence: float  # 0..1
    box: tuple[int, int, int, int]  # left, top, right, bottom, pixels of the image given


_engine: Any = None
_build_lock = threading.Lock()
_read_lock = threading.Lock()


def available() -> bool:
    """Whether the engine can be imported here (the `ocr` extra is installed)."""
    return unavailable_reason() is None


def unavailable_reason() -> str | None:
    """Why photos cannot be read offline, in plain words; None when they can."""
    for module in ("rapidocr_onnxruntime", "onnxruntime", "cv2"):
        if importlib.util.find_spec(module) is None:
            return UNAVAILABLE
    return None


def _get_engine() -> Any:
    global _engine
    if _engine is None:
        with _build_lock:
            if _engine is None:
                # Imported here: the package is an optional extra and takes a while to load.
                rapidocr = importlib.import_module("rapidocr_onnxruntime")
                _engine = rapidocr.RapidOCR()
    return _engine


def _low_contrast(gray: Image.Image) -> bool:
    histogram = gray.histogram()
    total = sum(histogram)
    low_cut, high_cut = total * 0.02, total * 0.98
    seen, low, high = 0, 0, 255
    for level, count in enumerate(histogram):
        if seen < low_cut <= seen + count:
            low = level
        if seen < high_cut <= seen + count:
            high = level
        seen += count
    return high - low < LOW_CONTRAST_SPREAD


def _prepared(image: Image.Image) -> tuple[Image.Image, float]:
    """The image the engine reads (RGB, at most MAX_SIDE, contrast stretched when low)
    and the scale from its pixels back to the given image's."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # A screenshot with a transparent background: on white, as it was seen.
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, (255, 255, 255))
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    else:
        rgb = image.convert("RGB")
    scale = 1.0
    if max(rgb.size) > MAX_SIDE:
        scale = max(rgb.size) / MAX_SIDE
        size = (round(rgb.width / scale), round(rgb.height / scale))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    gray = rgb.convert("L")
    if _low_contrast(gray):
        rgb = ImageOps.autocontrast(gray, cutoff=1).convert("RGB")
    return rgb, scale


def _rectangle(points: Any, scale: float, width: int, height: int) -> tuple[int, int, int, int]:
    """The engine's quadrilateral (turned with the text) as an upright rectangle in the
    given image's pixels."""
    xs = [float(point[0]) * scale for point in points]
    ys = [float(point[1]) * scale for point in points]
    return (
        max(0, round(min(xs))),
        max(0, round(min(ys))),
        min(width, round(max(xs))),
        min(height, round(max(ys))),
    )


def read_text(image: Image.Image) -> list[TextBox]:
    """Every line of text in `image`, top to bottom; [] for an image too small to hold
    any or with none. Blocking (about a second on a phone photo); run it in a thread.
    Raises RuntimeError when the engine is not installed (see `unavailable_reason`)."""
    if reason := unavailable_reason():
        raise RuntimeError(reason)
    if min(image.size) < MIN_SIDE:
        return []
    prepared, scale = _prepared(image)
    engine = _get_engine()
    with _read_lock:
        import numpy  # with the engine, not at start-up (0.2 s of every process's start)

        result, _ = engine(numpy.asarray(prepared))
    boxes = [
        TextBox(
            text=str(text).strip(),
            confidence=max(0.0, min(1.0, float(score))),
            box=_rectangle(points, scale, image.width, image.height),
        )
        for points, text, score in result or []
        if str(text).strip()
    ]
    return sorted(boxes, key=lambda found: (found.box[1], found.box[0]))
