"""Text lines of a scanned page image, read by Tesseract with its Korean model.

Tesseract runs as its own program, so a page it cannot read in time is killed
rather than left to hold up an ingest run.  Its plain-text output is used, not the
word boxes: for Korean the boxes are often single syllables, and only the text
output puts the spaces where the words are.  The caller renders the page; this
module knows nothing of PDF, so an image upload could use it as well.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import dataclass

from PIL import Image

from assistant.ingest.elements import UnreadableDocument

LANGUAGE = "kor"  # Tesseract's Korean model also reads Latin letters and digits; "kor+eng" read ○ as "O"
# Page segmentation mode 4, "a single column of text of variable sizes": the default (3) cut a plan's
# bullet glyphs (□ ○) into blocks of their own and lost whole lines (53% of characters right, against 97%).
PAGE_SEGMENTATION = "4"
PAGE_TIMEOUT_SECONDS = 120  # a dense A4 page at 300 dpi takes 2-4 s; minutes means a pathological image
# Tesseract's Korean model has no □ or ○ and reads the bullets of a plan as the letters ㅁ and ㅇ, which
# never stand alone at the start of a Korean line; the structure parser needs the real glyphs.
_BULLETS = {"ㅁ": "□", "ㅇ": "○"}
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-kor"


@dataclass(frozen=True)
class OcrLine:
    """One line as Tesseract grouped it."""

    text: str
    paragraph_start: bool  # Tesseract left a blank line before it: a new paragraph or block


def check_available() -> None:
    """Raise if Tesseract or its Korean model is missing, so OCR fails with the fix, not a traceback."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise UnreadableDocument(f"OCR needs the tesseract program, which is not installed ({INSTALL_HINT})")
    try:
        listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UnreadableDocument(f"OCR needs a working tesseract program ({exc})") from exc
    if LANGUAGE not in listed.stdout.split():
        raise UnreadableDocument(f"OCR needs Tesseract's Korean model, which is not installed ({INSTALL_HINT})")


def read_lines(image: Image.Image, dpi: int, timeout: float = PAGE_TIMEOUT_SECONDS) -> list[OcrLine]:
    """The text lines of the image, top to bottom; lines with no letter or digit (specks, rules) are left out.

    ``dpi`` is the image's resolution: without it Tesseract guesses, and warns on every page.
    """
    png = io.BytesIO()
    image.save(png, format="PNG")
    command = ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", PAGE_SEGMENTATION, "--dpi", str(dpi)]
    try:
        # Tesseract's OpenMP threads cost more than they gain: one thread read a page in 1.4 s wall / 0.4 s CPU,
        # the default in 4.0 s / 1.6 s (both cores busy with other work).  Parallel pages are the way to use cores.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        done = subprocess.run(command, input=png.getvalue(), capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise UnreadableDocument(f"OCR of a page took over {timeout:.0f} s") from None
    except OSError as exc:
        raise UnreadableDocument(f"OCR needs the tesseract program ({INSTALL_HINT}): {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise UnreadableDocument(f"OCR failed (tesseract exit status {done.returncode}: {' '.join(message)})")
    lines: list[OcrLine] = []
    after_blank = True
    for raw in done.stdout.decode("utf-8", "replace").splitlines():
        text = raw.strip()
        if not text:
            after_blank = True
        elif any(ch.isalnum() for ch in text):
            if len(text) > 2 and text[0] in _BULLETS and text[1] == " ":
                text = _BULLETS[text[0]] + text[1:]
            lines.append(OcrLine(text, after_blank and bool(lines)))
            after_blank = False
    return lines
