"""How well and how fast does the PDF reader OCR a scanned Korean plan page?

Draws a page of plan text (□/○/- bullets, dates, amounts, a phone number) with NanumGothic into an A4
image at 300 dpi, in three font sizes, clean and "scanned" (tilted 0.6°, blurred, speckled), puts each
image alone on a PDF page and reads the PDF with ``assistant.ingest.readers.pdf.read(ocr=True)``.
Prints per variant the character accuracy (1 - edit distance / length, whitespace ignored), the
seconds per page and the CPU seconds (this process and its children: on a busy machine the fairer figure), then the seconds per page of one PDF holding all six (one reading process for all pages).

    .venv/bin/python bench/ocr_page.py            # needs tesseract-ocr and tesseract-ocr-kor (make system-deps)
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import time

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

from assistant.ingest.elements import Line, Place
from assistant.ingest.readers import pdf as pdf_reader

FONT = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
PAGE_PIXELS = (2480, 3508)  # A4 at 300 dpi
TEXT = """\
2024년 대전광역시 도시재생 추진계획
□ 추진 배경
○ 원도심 인구 감소와 상권 쇠퇴에 대응하여 주민 주도의 재생사업을 확대한다.
○ 사업 기간: 2024. 3. ~ 2024. 12. (10개월)
□ 주요 내용
- 도시재생지원센터 운영 및 주민 역량 강화 교육 (연 12회)
- 마을관리 협동조합 설립 지원 (5개소, 350백만원)
- 빈집 정비와 공유 공간 조성: 중구 은행동, 동구 대동 일원
□ 추진 일정
○ 1분기: 사업 대상지 선정 및 주민 설명회 개최
○ 2분기: 실시설계 및 협동조합 설립 컨설팅
○ 3~4분기: 공사 착공, 준공 및 성과 평가
□ 소요 예산: 총 1,970백만원 (국비 985, 시비 591, 구비 394)
※ 문의: 도시재생과 재생정책팀 ☎ 042-270-6321"""
SIZES = {"9pt": 38, "11pt": 46, "14pt": 58}  # font size in pixels at 300 dpi


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def accuracy(expected: str, got: str) -> float:
    expected, got = squash(expected), squash(got)
    return 1 - Levenshtein.distance(expected, got) / len(expected)


def draw_page(size_px: int, scanned: bool) -> Image.Image:
    image = Image.new("L", PAGE_PIXELS, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, size_px)
    for number, line in enumerate(TEXT.splitlines()):
        draw.text((220, 260 + int(size_px * 2.1) * number), line, font=font, fill=0)
    if scanned:
        image = image.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=255)
        image = image.filter(ImageFilter.GaussianBlur(0.8))
        noise = Image.effect_noise(PAGE_PIXELS, 40)  # grey speckle around mid-grey, blended in lightly
        image = Image.blend(image, noise, 0.12)
    return image


def pdf_of(images: list[Image.Image]) -> bytes:
    pdf = FPDF()
    for image in images:
        pdf.add_page()
        pdf.image(image, x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the reading process and its Tesseract runs)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def page_texts(elements: list) -> dict[int, str]:
    pages: dict[int, list[str]] = {}
    page = 0
    for element in elements:
        if isinstance(element, Place):
            page = element.page or 0
        elif isinstance(element, Line):
            pages.setdefault(page, []).append(element.text)
    return {number: "\n".join(lines) for number, lines in pages.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="read each single-page PDF this many times")
    args = parser.parse_args()
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{version}, language {pdf_reader.ocr_reader.LANGUAGE}, psm {pdf_reader.ocr_reader.PAGE_SEGMENTATION}, "
          f"{pdf_reader.OCR_DPI} dpi; {len(squash(TEXT))} characters a page")
    print(f"{'variant':<16}{'accuracy':>10}{'s/page':>9}{'cpu s':>8}")
    images = []
    for label, size_px in SIZES.items():
        for scanned in (False, True):
            image = draw_page(size_px, scanned)
            images.append(image)
            data = pdf_of([image])
            seconds, cpu = [], []
            for _ in range(args.repeat):
                started, cpu_started = time.perf_counter(), cpu_seconds()
                elements = pdf_reader.read(data, ocr=True)
                seconds.append(time.perf_counter() - started)
                cpu.append(cpu_seconds() - cpu_started)
            score = accuracy(TEXT, page_texts(elements).get(1, ""))
            variant = f"{label} {'scanned' if scanned else 'clean'}"
            print(f"{variant:<16}{score:>10.3f}{min(seconds):>9.2f}{min(cpu):>8.2f}")
    # accuracy is not measured here: the same title on every page is (rightly) dropped as a running header
    started, cpu_started = time.perf_counter(), cpu_seconds()
    pdf_reader.read(pdf_of(images), ocr=True)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    print(f"all {len(images)} pages in one PDF: {elapsed / len(images):.2f} s/page, {cpu / len(images):.2f} cpu s/page")


if __name__ == "__main__":
    main()
