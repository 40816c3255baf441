"""Which HWP 5.0 reader on PyPI should the ingest use?  The candidates side by side on the same files.

For every candidate it prints whether it is installed (and its licence), then per file what it
extracted: paragraphs, tables found (as tables, not flattened text), a sample, time per file.
The files are
- plan documents built from Hancom's format specification (tests/ingest/hwp_builder.py), whose
  content is known, so each candidate is scored on it: paragraphs and tables exactly right;
- optionally a folder of real .hwp files (--samples DIR), scored against pyhwp's reading;
- hostile files (encrypted, distribution-protected, decompression bomb, huge record size, deep
  nesting, a 65535 x 65535 table, truncated, garbage, empty) and --fuzz N mutations of a plan:
  each candidate must refuse them with an exception, not return the placeholder text, crash or hang.

Every candidate runs in its own child process (4 GiB address-space limit, 60 s per file), so a
crash or a hang is counted instead of ending the benchmark.

    .venv/bin/python -m pip install hwpforge unhwp pyhwp six hwp-hwpx-parser libhwp extract-hwp hwpkit gethwp
    .venv/bin/python bench/hwp_readers.py --samples DIR --fuzz 200
"""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import os
import random
import resource
import selectors
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "ingest")]

import hwp_builder as hb  # noqa: E402  (test support: writes .hwp files from the spec)

Block = str | list[list[str]]
PER_FILE_SECONDS = 60
MEMORY_LIMIT = 4 * 2**30

PLAN = [
    "2024년 고양시 도시재생 추진계획",
    "□ 추진 배경",
    " ○ 원도심 쇠퇴에 대응하여 주민 주도의 도시재생 사업을 추진",
    "  - 노후 주거지 정비와 공동체 활성화를 함께 추진",
    [
        ["구분", "사업명", "예산(백만원)", "담당부서"],
        ["신규", "마을관리협동조합 육성", "350", "도시재생과"],
        ["계속", "골목길 환경 개선\n(3개 구역)", "1,200", "주택정책과"],
    ],
    "연락처 | 담당자: 김민수 ☎ 031-8075-1234",
]
SECOND_SECTION = ["Ⅱ. 세부 추진계획", "일정\t2024. 3. ~ 12.", "□ 예산 현황", [["연도", "금액"], ["2024", "1,550"]]]


# --- the candidates: each turns (bytes, path) into blocks, in reading order where it can ---------


def _lines(text: str) -> list[Block]:
    """Libraries that only give text: its non-empty lines, no tables."""
    return [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def read_hwpforge(data: bytes, path: Path) -> list[Block]:
    """HwpForge converts HWP 5.0 into an HWPX document; the project's HWPX reader reads that."""
    import hwpforge

    from assistant.ingest.elements import TableElement
    from assistant.ingest.readers import hwpx

    elements = hwpx.read(hwpforge.convert_hwp5(data).document.to_bytes())
    return [e.rows if isinstance(e, TableElement) else e.text for e in elements if hasattr(e, "rows") or e.text.strip()]


def read_unhwp(data: bytes, path: Path) -> list[Block]:
    """unhwp's JSON document model: sections of Paragraph and Table items."""
    import unhwp

    def paragraph_text(paragraph: dict) -> str:
        parts = []
        for item in paragraph.get("content", []):
            if isinstance(item, dict) and "Text" in item:
                parts.append(item["Text"].get("text", ""))
            elif item == "LineBreak":
                parts.append("\n")
        return "".join(parts)

    with unhwp.parse_bytes(data) as result:
        document = json.loads(result.json)
    blocks: list[Block] = []
    for section in document.get("sections", []):
        for item in section.get("content", []):
            if "Paragraph" in item and paragraph_text(item["Paragraph"]).strip():
                blocks.append(paragraph_text(item["Paragraph"]))
            elif "Table" in item:
                rows = item["Table"].get("rows", [])
                blocks.append(
                    [
                        ["\n".join(paragraph_text(p) for p in cell.get("content", [])) for cell in row["cells"]]
                        for row in rows
                    ]
                )
    return blocks


def read_pyhwp(data: bytes, path: Path) -> list[Block]:
    return [b for b in hb.read_with_pyhwp(data) if not isinstance(b, str) or b.strip()]


def read_hwp_hwpx_parser(data: bytes, path: Path) -> list[Block]:
    """Text with tables inlined as Markdown, and the tables again as a list; the list is taken, after the text."""
    from hwp_hwpx_parser import Reader

    with Reader(str(path)) as reader:
        text, tables = reader.text, reader.tables
    lines = [line for line in _lines(text) if not line.lstrip().startswith("|")]
    return [*lines, *[table.rows for table in tables]]


def read_libhwp(data: bytes, path: Path) -> list[Block]:
    from libhwp import HWPReader

    blocks: list[Block] = []
    for section in HWPReader(str(path)).sections:
        for paragraph in section.paragraphs:
            if str(paragraph).strip():
                blocks.append(str(paragraph))
            for table in paragraph.find_all("table", recursive=False):
                rows: dict[int, list[str]] = {}
                for cell in table.cells:
                    rows.setdefault(cell.row, []).append("\n".join(str(p) for p in cell.paragraphs))
                blocks.append([rows[r] for r in sorted(rows)])
    return blocks


def read_extract_hwp(data: bytes, path: Path) -> list[Block]:
    from extract_hwp import extract_text_from_hwp

    text, error = extract_text_from_hwp(str(path))
    if error:
        raise ValueError(error)
    return _lines(text)


def read_hwpkit(data: bytes, path: Path) -> list[Block]:
    import hwpkit

    return _lines(hwpkit.extract_text_from_file(str(path)))


def read_gethwp(data: bytes, path: Path) -> list[Block]:
    import gethwp

    return _lines(gethwp.read_hwp(str(path)))


def read_hwplib(data: bytes, path: Path) -> list[Block]:
    from hwplib.hwp5.api import load

    return _lines(load(str(path)).get_text())


def read_rhwp(data: bytes, path: Path) -> list[Block]:
    import rhwp

    return [p for p in rhwp.parse(str(path)).paragraphs() if p.strip()]


def read_helper_hwp(data: bytes, path: Path) -> list[Block]:
    import helper_hwp  # noqa: F401  (its import already fails without optional extras, see the report)

    raise NotImplementedError("no text API tried")


def read_project(data: bytes, path: Path) -> list[Block]:
    """The project's reader, as the ingest calls it."""
    from assistant.ingest.elements import TableElement
    from assistant.ingest.readers import hwp

    return [
        e.rows if isinstance(e, TableElement) else e.text
        for e in hwp.read(data)
        if hasattr(e, "rows") or e.text.strip()
    ]


@dataclass(frozen=True)
class Candidate:
    name: str
    distribution: str  # on PyPI
    module: str
    read: Callable[[bytes, Path], list[Block]]


CANDIDATES = [
    Candidate("hwpforge", "hwpforge", "hwpforge", read_hwpforge),
    Candidate("unhwp", "unhwp", "unhwp", read_unhwp),
    Candidate("pyhwp", "pyhwp", "hwp5", read_pyhwp),
    Candidate("hwp-hwpx-parser", "hwp-hwpx-parser", "hwp_hwpx_parser", read_hwp_hwpx_parser),
    Candidate("libhwp", "libhwp", "libhwp", read_libhwp),
    Candidate("extract-hwp", "extract-hwp", "extract_hwp", read_extract_hwp),
    Candidate("hwpkit", "hwpkit", "hwpkit", read_hwpkit),
    Candidate("gethwp", "gethwp", "gethwp", read_gethwp),
    Candidate("hwplib-py", "hwplib-py", "hwplib", read_hwplib),
    Candidate("rhwp-python", "rhwp-python", "rhwp", read_rhwp),
    Candidate("helper-hwp", "helper-hwp", "helper_hwp", read_helper_hwp),
    Candidate("hwpers", "hwpers", "hwpers", read_rhwp),  # needs Python >= 3.12: listed to say so
    Candidate("project (hwp.py)", "assistant", "assistant.ingest.readers.hwp", read_project),
]


# --- the files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestFile:
    name: str
    path: Path
    kind: str  # "known" (content known), "sample" (real file), "hostile" (must be refused)
    expected: list[Block] | None = None


def build_files(folder: Path, samples: Path | None, fuzz: int) -> list[TestFile]:
    def write(name: str, data: bytes) -> Path:
        path = folder / f"{name}.hwp"
        path.write_bytes(data)
        return path

    files = [
        TestFile("plan", write("plan", hb.hwp_document(PLAN)), "known", PLAN),
        TestFile("plan, stored", write("plan-stored", hb.hwp_document(PLAN, compressed=False)), "known", PLAN),
        TestFile(
            "plan, 2 sections",
            write("plan-2", hb.hwp_document(PLAN, SECOND_SECTION)),
            "known",
            [*PLAN, *SECOND_SECTION],
        ),
    ]
    if samples:
        files += [TestFile(p.stem, p, "sample") for p in sorted(samples.glob("*.hwp"))]
    for name, data in hostile_files().items():
        files.append(TestFile(name, write(name.replace(" ", "-"), data), "hostile"))
    rng = random.Random(5)
    sources = (
        [p for p in sorted(samples.glob("*.hwp")) if p.stem not in ("password-12345", "viewtext")] if samples else []
    )
    for number in range(fuzz):
        # half the mutations damage a real file, whose records are richer than the plan's
        if sources and number % 2:
            data = mutated_sample(rng, sources[rng.randrange(len(sources))], folder)
        else:
            data = mutated_plan(rng)
        files.append(TestFile(f"fuzz {number}", write(f"fuzz-{number}", data), "fuzz"))
    return files


def _streams(section: bytes, doc_info: bytes | None = None, properties: int = hb.COMPRESSED) -> bytes:
    pack = hb.deflate if properties & hb.COMPRESSED else bytes
    return hb.compound_file(
        {
            "\x05HwpSummaryInformation": hb.summary_information("x"),
            "FileHeader": hb.file_header(properties),
            "DocInfo": pack(doc_info if doc_info is not None else hb.doc_info_stream()),
            "BodyText": {"Section0": pack(section)},
        }
    )


def hostile_files() -> dict[str, bytes]:
    plan = hb.hwp_document(PLAN)
    first = hb.section_stream(["첫 문단"])
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb_stream = b"".join(bomb.compress(bytes(2**20)) for _ in range(1024)) + bomb.flush()  # 1 GiB of zeros
    huge_record = struct.pack("<II", hb.PARA_TEXT | 1 << 10 | 0xFFF << 20, 0xFFFFFFF0) + b"abc"
    deep = b"".join(hb.record(hb.CTRL_HEADER, min(level, 1023), b" lbt") for level in range(1, 1024))
    big_table = hb.record(hb.CTRL_HEADER, 1, b" lbt" + bytes(40)) + hb.record(
        hb.TABLE, 2, struct.pack("<IHHH4H", 6, 65535, 65535, 0, 0, 0, 0, 0) + bytes(2 * 65535) + b"\2\0\0\0"
    )
    return {
        "encrypted": hb.hwp_document(PLAN, encrypted=True),
        "distribution": hb.hwp_document(PLAN, distributable=True),
        "bomb 1 GiB": hb.compound_file(
            {
                "\x05HwpSummaryInformation": hb.summary_information("x"),
                "FileHeader": hb.file_header(hb.COMPRESSED),
                "DocInfo": hb.deflate(hb.doc_info_stream()),
                "BodyText": {"Section0": bomb_stream},
            }
        ),
        "record size 4 GiB": _streams(first + huge_record),
        "1023 levels deep": _streams(first + deep),
        "65535x65535 table": _streams(first + big_table),
        "truncated": plan[: len(plan) // 2],
        "garbage after header": plan[:512] + bytes(range(256)) * 8,
        "empty": b"",
        "zip": _zip(),
    }


def _zip() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "안녕하세요")
    return out.getvalue()


def mutated_plan(rng: random.Random) -> bytes:
    """The plan with its records damaged: flipped bytes, a wrong record size, a cut, or a damaged DocInfo."""
    section = bytearray(hb.section_stream(PLAN))
    doc_info = bytearray(hb.doc_info_stream())
    kind = rng.choice(["flip", "size", "cut", "docinfo"])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            section[rng.randrange(len(section))] = rng.randrange(256)
    elif kind == "size":
        offsets, offset = [], 0
        while offset + 4 <= len(section):  # walk the record headers to hit one exactly
            offsets.append(offset)
            size = struct.unpack_from("<I", section, offset)[0] >> 20
            offset += 4 + (4 + struct.unpack_from("<I", section, offset + 4)[0] if size == 0xFFF else size)
        at = rng.choice(offsets)
        header = struct.unpack_from("<I", section, at)[0]
        struct.pack_into("<I", section, at, header & 0xFFFFF | rng.randrange(0xFFF) << 20)
    elif kind == "cut":
        del section[rng.randrange(len(section)) :]
    else:
        for _ in range(rng.randint(1, 8)):
            doc_info[rng.randrange(len(doc_info))] = rng.randrange(256)
    return _streams(bytes(section), bytes(doc_info))


def mutated_sample(rng: random.Random, source: Path, folder: Path) -> bytes:
    """A real file with bytes of one of its record streams flipped (the stream re-compressed, the container rebuilt)."""
    import olefile
    from cfbwrite import rebuild

    with olefile.OleFileIO(str(source)) as ole:
        compressed = struct.unpack_from("<I", ole.openstream("FileHeader").read(), 36)[0] & hb.COMPRESSED
        names = [tuple(n) for n in ole.listdir() if n[0] in ("BodyText", "DocInfo")]
        name = names[rng.randrange(len(names))]
        stream = ole.openstream(list(name)).read()
    records = bytearray(zlib.decompress(stream, -15) if compressed else stream)
    for _ in range(rng.randint(1, 8)):
        records[rng.randrange(len(records))] = rng.randrange(256)
    target = folder / "mutating.hwp"
    rebuild(source, target, {name: hb.deflate(bytes(records)) if compressed else bytes(records)})
    return target.read_bytes()


# --- running a candidate in a child process ----------------------------------------------------


def child(candidate_name: str, warm_up: Path) -> None:
    """Read file paths from stdin, answer one JSON line per file.

    One untimed read first, so imports and lazy set-up are not charged to the first file.
    """
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    candidate = next(c for c in CANDIDATES if c.name == candidate_name)
    try:
        candidate.read(warm_up.read_bytes(), warm_up)
    except Exception:
        pass  # the timed read of the same file reports the error
    for line in sys.stdin:
        path = Path(line.strip())
        data = path.read_bytes()
        started = time.perf_counter()
        try:
            blocks = candidate.read(data, path)
            answer = {"blocks": blocks}
        except BaseException as exc:  # noqa: B036  pyo3's PanicException is a BaseException: count it as an error
            if isinstance(exc, KeyboardInterrupt):
                raise
            panic = type(exc).__name__ == "PanicException"
            answer = {
                "error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:110] if str(exc).strip() else ''}"
            }
            answer["panic"] = panic
        answer["seconds"] = time.perf_counter() - started
        print(json.dumps(answer, ensure_ascii=False), flush=True)


def run_candidate(candidate: Candidate, files: list[TestFile]) -> list[dict]:
    """One answer per file; a child that dies or hangs is restarted after the file that did it."""
    answers: list[dict] = []
    pending = list(files)
    while pending:
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", candidate.name, "--warm-up", str(files[0].path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        try:
            while pending:
                process.stdin.write(f"{pending[0].path}\n")
                process.stdin.flush()
                ready = selector.select(timeout=PER_FILE_SECONDS)
                line = process.stdout.readline() if ready else None
                if line is None:
                    answers.append({"hang": True, "seconds": PER_FILE_SECONDS})
                    pending.pop(0)
                    break
                if not line:
                    process.wait(timeout=10)
                    answers.append({"crash": f"process died ({_signal_name(process.returncode)})"})
                    pending.pop(0)
                    break
                answers.append(json.loads(line))
                pending.pop(0)
        except BrokenPipeError:
            process.wait(timeout=10)
            answers.append({"crash": f"process died ({_signal_name(process.returncode)})"})
            pending.pop(0)
        finally:
            selector.close()
            if process.poll() is None:
                process.kill()
                process.wait()
    return answers


def _signal_name(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        import signal

        return signal.Signals(-returncode).name
    return f"exit {returncode}"


# --- report ------------------------------------------------------------------------------------


def installed(candidate: Candidate) -> tuple[str, str]:
    """(version, licence) of the installed distribution, or ("", why not importable)."""
    try:
        meta = importlib.metadata.metadata(candidate.distribution)
    except importlib.metadata.PackageNotFoundError:
        return "", "not installed"
    licence = meta.get("License-Expression") or meta.get("License") or ""
    if not licence or len(licence) > 40:
        classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License")]
        licence = ", ".join(classifiers) or licence[:40] or "?"
    probe = subprocess.run(
        [sys.executable, "-c", f"import {candidate.module}"], capture_output=True, text=True, timeout=120
    )
    if probe.returncode:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return meta["Version"], f"{licence}; import fails: {last[:100]}"
    return meta["Version"], licence


def describe(answer: dict) -> str:
    if "hang" in answer:
        return f"HANG (> {PER_FILE_SECONDS} s)"
    if "crash" in answer:
        return f"CRASH: {answer['crash']}"
    if "error" in answer:
        return f"{'PANIC' if answer.get('panic') else 'error'} {answer['error']}"
    blocks = answer["blocks"]
    tables = [b for b in blocks if not isinstance(b, str)]
    text = next((b for b in blocks if isinstance(b, str)), "")
    table = f" first table {json.dumps(tables[0][:2], ensure_ascii=False)[:70]}" if tables else ""
    return f"{len(blocks) - len(tables)} paragraphs, {len(tables)} tables; {text[:30]!r}{table}"


def score(answer: dict, expected: list[Block]) -> tuple[int, int, int, int]:
    """(paragraphs found exactly, paragraphs expected, tables found exactly as rows, tables expected)."""
    blocks = answer.get("blocks") or []
    got_paragraphs = Counter(b.strip() for b in blocks if isinstance(b, str))
    got_tables = [b for b in blocks if not isinstance(b, str)]
    want_paragraphs = [b.strip() for b in expected if isinstance(b, str)]
    want_tables = [b for b in expected if not isinstance(b, str)]
    paragraphs = sum(min(n, got_paragraphs[p]) for p, n in Counter(want_paragraphs).items())
    tables = sum(1 for t in want_tables if t in got_tables)
    return paragraphs, len(want_paragraphs), tables, len(want_tables)


def outcome(file: TestFile, answer: dict) -> str:
    if "hang" in answer:
        return "hang"
    if "crash" in answer or answer.get("panic"):
        return "crash/panic"
    if "error" in answer:
        return "refused"
    if file.name == "distribution" and any("배포용 문서" in b for b in answer["blocks"] if isinstance(b, str)):
        return "placeholder text"
    return "returned text"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=Path, help="a folder of real .hwp files")
    parser.add_argument("--fuzz", type=int, default=100, help="mutated plan files (default 100)")
    parser.add_argument("--only", nargs="*", help="candidate names to run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.warm_up)
        return
    with tempfile.TemporaryDirectory() as folder:
        files = build_files(Path(folder), args.samples, args.fuzz)
        for candidate in CANDIDATES:
            if args.only and candidate.name not in args.only:
                continue
            version, licence = installed(candidate)
            print(f"\n## {candidate.name} {version or '-'}  ({licence})")
            if not version or "import fails" in licence:
                continue
            answers = run_candidate(candidate, files)
            report(files, answers)


def report(files: list[TestFile], answers: list[dict]) -> None:
    totals = [0, 0, 0, 0]
    sample_seconds, sample_failures, sample_tables = [], 0, 0
    outcomes: dict[str, Counter] = {"hostile": Counter(), "fuzz": Counter()}
    for file, answer in zip(files, answers):
        ms = f"{answer.get('seconds', 0) * 1000:7.1f} ms"
        if file.kind == "known":
            found = score(answer, file.expected or [])
            totals = [a + b for a, b in zip(totals, found)]
            print(
                f"  {file.name:<28}{ms}  right: {found[0]}/{found[1]} paragraphs, {found[2]}/{found[3]} tables;  {describe(answer)}"
            )
        elif file.kind == "sample":
            sample_seconds.append(answer.get("seconds", 0))
            sample_failures += "blocks" not in answer
            sample_tables += sum(1 for b in answer.get("blocks") or [] if not isinstance(b, str))
            print(f"  {file.name[:28]:<28}{ms}  {describe(answer)}")
        elif file.kind == "hostile":
            outcomes["hostile"][outcome(file, answer)] += 1
            print(f"  {file.name:<28}{ms}  {outcome(file, answer)}: {describe(answer)[:110]}")
        else:
            outcomes["fuzz"][outcome(file, answer)] += 1
    print(f"  => known content: {totals[0]}/{totals[1]} paragraphs and {totals[2]}/{totals[3]} tables exactly right")
    if sample_seconds:
        ordered = sorted(sample_seconds)
        print(
            f"  => real samples: {len(ordered) - sample_failures}/{len(ordered)} read, {sample_tables} tables, "
            f"median {ordered[len(ordered) // 2] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms per file"
        )
    print(f"  => hostile: {dict(outcomes['hostile'])}")
    if outcomes["fuzz"]:
        print(f"  => fuzz: {dict(outcomes['fuzz'])}")


if __name__ == "__main__":
    main()
