"""The ``assistant`` command: a thin layer over the library, one sub-command per task."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from tqdm import tqdm

from assistant.facts.query import DateRangeError, find_contacts, find_projects, find_schedules, parse_date_range
from assistant.index import (
    IndexMissing,
    IndexStore,
    discover_files,
    index_is_fresh,
    ingest,
)
from assistant.retrieval.embedders import EmbedderUnavailable
from assistant.settings import get_settings

app = typer.Typer(help="Question answering with cited sources over Korean public-sector plan documents.",
                  no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)


@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (default: the corpus folder)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="do nothing when the index matches the files")] = False,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="skip the embeddings (BM25 only)")] = False,
) -> None:
    """Parse the documents into chunks, index them (BM25, embeddings + FAISS) and write the index."""
    settings = get_settings()
    targets = paths or [settings.corpus_dir]
    if if_stale and index_is_fresh(targets, settings, lexical_only):
        console.print(f"index is up to date: {settings.index_dir / 'current'}")
        return
    files, _ = discover_files(targets)
    with (tqdm(total=len(files), unit="file", desc="parse", disable=quiet, leave=False) as files_bar,
          tqdm(unit="chunk", desc="embed", disable=quiet, leave=False) as embed_bar):
        try:
            report = ingest(targets, settings, on_progress=lambda path: (files_bar.set_postfix_str(path.name),
                                                                         files_bar.update()),
                            on_embedded=embed_bar.update, lexical_only=lexical_only)
        except (EmbedderUnavailable, OSError) as exc:
            err.print(f"[red]{escape(str(exc))}[/red]\nThe previous index, if any, is unchanged.")
            raise typer.Exit(1) from None

    table = Table(title=f"Indexed {len(report.documents)} documents, {report.chunk_count} chunks")
    for column in ("document", "format", "blocks", "chunks", "prose", "table", "contact"):
        table.add_column(column, justify="left" if column in ("document", "format") else "right")
    for doc in report.documents:
        kinds = doc.chunk_kinds
        table.add_row(escape(doc.doc_id), doc.source_format, str(doc.blocks), str(doc.chunks),
                      *(str(kinds.get(k, 0)) for k in ("prose", "table", "contact")))
    console.print(table)
    if report.skipped:
        skipped = Table(title=f"Skipped {len(report.skipped)} files", title_style="bold yellow")
        skipped.add_column("file")
        skipped.add_column("reason")
        for item in report.skipped:
            skipped.add_row(escape(item.path), escape(item.reason))
        console.print(skipped)
    else:
        console.print("Skipped 0 files")
    if not report.documents:
        err.print("[red]No document could be indexed; the previous index, if any, is unchanged.[/red]")
        raise typer.Exit(1)
    if not lexical_only:
        console.print(f"embeddings: {report.embedded} computed, {report.embeddings_reused} from the cache")
    console.print(f"index: {settings.index_dir / 'current'}  time: " +
                  ", ".join(f"{k} {v:.2f}s" for k, v in report.seconds.items()))


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="what to look for, as a user would type it")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="hits to show")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Ranked evidence for a query: document, section, quote, and each retriever's rank."""
    from assistant.service import Assistant, QuestionError

    try:
        hits = Assistant(get_settings()).search(query, k)
    except QuestionError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps([{"rank": h.rank, "doc": h.chunk.doc_id, "title": h.chunk.doc_title,
                                "section": h.chunk.section, "kind": h.chunk.kind.value, "text": h.chunk.quote,
                                "score": h.score, "ranks": h.ranks, "chunk_id": h.chunk.chunk_id} for h in hits],
                              ensure_ascii=False, indent=2))
        return
    for hit in hits:
        ranks = ", ".join(f"{name} #{rank}" for name, rank in hit.ranks.items())
        console.rule(f"[bold]{hit.rank}. {escape(hit.chunk.doc_title)}[/bold] · {hit.chunk.kind.value} · {ranks}")
        console.print(f"[cyan]{escape(hit.chunk.section or '(before the first heading)')}[/cyan]")
        console.print(escape(hit.chunk.quote))
    if not hits:
        console.print("no match")


@app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="the question, as a citizen or staff member would type it")],
    as_json: Annotated[bool, typer.Option("--json", help="the answer object the HTTP API returns")] = False,
    session: Annotated[str | None, typer.Option("--session", help="a session id: follow-ups refer to its last topic")] = None,
    quotes: Annotated[bool, typer.Option("--quotes", help="print each source's whole quote, not only its evidence")] = False,
) -> None:
    """Answer a question: the short answer first, then each numbered source with the line it was read from."""
    from assistant.service import Assistant, QuestionError

    settings = get_settings()
    assistant = Assistant(settings)
    sessions_file = settings.embedding_cache.parent / "sessions.json"
    if session:
        assistant.sessions.load(sessions_file)
    try:
        response = assistant.ask(question, session_id=session)
    except QuestionError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    if session:
        assistant.sessions.save(sessions_file)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    console.print(f"[bold]{escape(response.answer)}[/bold]")
    for citation in response.citations:
        where = " · ".join(part for part in (citation.title, citation.section, citation.location) if part)
        console.print(f"[{citation.n}] {escape(where)}", highlight=False)
        for evidence in (e for e in response.evidence if e.n == citation.n):
            console.print(f"    ▶ {escape(evidence.text.replace(chr(9), ' · '))}", highlight=False)
        if quotes or not any(e.n == citation.n for e in response.evidence):
            console.print(f"[dim]{escape(citation.text)}[/dim]")
    if response.suggestions:
        console.print("가까운 내용: " + escape(" · ".join(response.suggestions)))


@app.command("contacts")
def contacts_command(
    query: Annotated[str | None, typer.Argument(help="program, unit, person or phone (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """The contact directory extracted from the documents: program, role, name, phone, source."""
    records = find_contacts(_store().contacts(), query)
    _show_records(records, as_json, f"{len(records)} contacts", {
        "organization": lambda r: r.organization, "program": lambda r: r.program,
        "department": lambda r: r.department, "role": lambda r: r.role, "name": lambda r: r.name_as_written,
        "phone": lambda r: r.phone_as_written, "document": lambda r: r.doc_id,
    })


@app.command("schedule")
def schedule_command(
    query: Annotated[str | None, typer.Argument(help="words that must occur in what happens (default: all)")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD: only what ends on or after")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD: only what starts on or before")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    limit: Annotated[int, typer.Option(min=1, help="rows to show at most")] = 50,
) -> None:
    """Dated items from the documents, sorted by date: what, when (as written and ISO), where."""
    try:
        low, high = parse_date_range(date_from, date_to)
    except DateRangeError as exc:
        err.print(f"[red]--from/--to: {escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    records = find_schedules(_store().schedules(), query, low, high)
    title = f"{len(records)} dated items" + (f" (first {limit})" if len(records) > limit else "")
    _show_records(records[:limit], as_json, title, {
        "date": lambda r: r.iso + (" *" if r.year_inferred else ""), "as written": lambda r: r.when,
        "what": lambda r: r.what[:80], "section": lambda r: r.section[-40:], "document": lambda r: r.doc_id,
    })
    if not as_json:
        console.print("* year taken from the section or the document, not written on the line")


@app.command("projects")
def projects_command(
    query: Annotated[str | None, typer.Argument(help="words in the name, unit or purpose (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """Programs found in the documents: name, owning unit, period and budget as written, purpose."""
    records = find_projects(_store().projects(), query)
    _show_records(records, as_json, f"{len(records)} programs", {
        "name": lambda r: r.name, "unit": lambda r: r.unit, "period": lambda r: r.period,
        "budget": lambda r: r.budget, "purpose": lambda r: r.purpose[:60],
    })


def _show_records(records: list, as_json: bool, title: str, columns: dict[str, Callable[[Any], str]]) -> None:
    """Fact records as JSON lines, or as a table of the given columns (document text escaped)."""
    if as_json:
        for record in records:
            typer.echo(json.dumps(record.to_dict(), ensure_ascii=False))
        return
    table = Table(title=title)
    for name in columns:
        table.add_column(name)
    for record in records:
        table.add_row(*(escape(value(record)) for value in columns.values()))
    console.print(table)


@app.command("chunks")
def chunks_command(
    doc: Annotated[str | None, typer.Option("--doc", "-d", help="document id (see 'assistant documents')")] = None,
    section: Annotated[str | None, typer.Option("--section", "-s", help="text in the section path")] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="prose, table or contact")] = None,
    contains: Annotated[str | None, typer.Option("--contains", "-c", help="text in the quote")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    full: Annotated[bool, typer.Option("--full", help="show the search text as well as the quote")] = False,
) -> None:
    """Show what the parser made of a document: its chunks with section, kind and source lines."""
    store = _store()
    chunks = store.chunks()
    doc_ids = sorted({c.doc_id for c in chunks})
    if doc is not None and doc not in doc_ids:
        err.print(f"[red]Unknown document {escape(doc)!r}.[/red] Known: {', '.join(doc_ids)}")
        raise typer.Exit(2)
    selected = [
        c for c in chunks
        if (doc is None or c.doc_id == doc)
        and (section is None or section.replace(" ", "") in c.section.replace(" ", ""))
        and (kind is None or c.kind.value == kind)
        and (contains is None or contains.replace(" ", "") in c.quote.replace(" ", ""))
    ]
    if as_json:
        for c in selected:
            typer.echo(json.dumps(c.to_dict(), ensure_ascii=False))
        return
    for c in selected:
        console.rule(f"[bold]{escape(c.doc_id)}[/bold] {c.chunk_id} · {c.kind.value} · "
                     f"lines {c.line_start}-{c.line_end} · {c.n_tokens} tokens")
        console.print(f"[cyan]{escape(c.section or '(before the first heading)')}[/cyan]")
        console.print(escape(c.quote))
        if full:
            console.print("[dim]search text:[/dim]")
            console.print(f"[dim]{escape(c.search_text)}[/dim]")
    console.print(f"{len(selected)} of {len(chunks)} chunks")


@app.command("documents")
def documents_command() -> None:
    """List the indexed documents."""
    store = _store()
    table = Table()
    for column in ("id", "title", "organization", "year", "format", "blocks"):
        table.add_column(column)
    for d in store.documents():
        table.add_row(*(escape(str(d[k])) for k in ("doc_id", "title", "organization", "year", "source_format", "blocks")))
    console.print(table)


@app.command("eval")
def eval_command(
    qa_file: Annotated[Path, typer.Argument(help="Q&A set, JSONL or CSV")] = Path("eval/qa.jsonl"),
    url: Annotated[str | None, typer.Option(help="evaluate a running server (e.g. http://127.0.0.1:8000)")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="only the first N questions")] = None,
    qtype: Annotated[str | None, typer.Option("--type", help="only questions of this type")] = None,
    split: Annotated[str, typer.Option(help="only the questions of this split of the set: tune, test or all")] = "all",
    check: Annotated[bool, typer.Option("--check", help="only validate the Q&A set")] = False,
    baselines: Annotated[bool, typer.Option("--baselines/--no-baselines", help="also run the baseline systems")] = True,
    out: Annotated[Path | None, typer.Option(help="report folder (default eval/reports/<time>/)")] = None,
    gate: Annotated[Path | None, typer.Option(help="fail when a figure is below its floor in this TOML file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON report instead of Markdown")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    compare: Annotated[tuple[Path, Path] | None, typer.Option(
        "--compare", metavar="OLD.json NEW.json",
        help="compare two earlier runs' report.json (figures and flipped questions) and run nothing")] = None,
    baseline_run: Annotated[Path | None, typer.Option(
        help="an earlier run's report.json: this run is compared with it in the report, and a failing gate "
             "lists the questions that flipped")] = None,
) -> None:
    """Score the assistant (and baselines) on a Q&A set: retrieval, answers, citations, latency.

    The report shows the assistant's figures per split (tune / test) side by side, whichever questions ran.
    """
    from assistant.evaluation.compare import ReportError, compare_reports, load_report
    from assistant.evaluation.compare import to_markdown as comparison_markdown

    if compare is not None:
        try:
            old, new = (load_report(path) for path in compare)
            comparison = compare_reports(old, new, str(compare[0]), str(compare[1]))
        except ReportError as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from None
        typer.echo(comparison_markdown(comparison))
        return
    try:
        baseline = load_report(baseline_run) if baseline_run is not None else None
    except ReportError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    import time as _time

    from assistant.evaluation import QASetError, check_qa, run_evaluation
    from assistant.evaluation.report import to_json, to_markdown, write_reports
    from assistant.evaluation.runner import check_gate
    from assistant.evaluation.systems import AssistantSystem, HttpSystem

    if split not in ("tune", "test", "all"):
        raise typer.BadParameter(f"{split!r} is not one of tune, test, all", param_hint="--split")
    settings = get_settings()
    server = HttpSystem(url) if url else None
    documents = _documents_for_eval(server)
    items, problems = check_qa(qa_file, documents)
    if problems:
        err.print(escape(str(QASetError(qa_file, problems))))
        raise typer.Exit(1)
    if check:
        _print_qa_counts(items)
        console.print(f"[green]{qa_file}: {len(items)} questions, no problems[/green]")
        return
    if split != "all":
        items = [i for i in items if i.split == split]
    if qtype:
        items = [i for i in items if i.type == qtype]
    items = items[:limit] if limit else items
    if not items:
        err.print("[red]No question left after --split/--type/--limit.[/red]")
        raise typer.Exit(2)

    systems = [server] if server else [AssistantSystem(_load_assistant())]
    if baselines:
        from assistant.evaluation.baselines import build_baselines

        with tqdm(unit="chunk", desc="embedding baseline chunks", disable=quiet, leave=False) as bar:
            systems += build_baselines(documents, settings.embedding_cache, bar.update)
    with tqdm(total=len(items) * len(systems), unit="q", desc="eval", disable=quiet, leave=False) as bar:
        run = run_evaluation(items, systems, documents, str(qa_file), url or "in-process", bar.update, split=split)
    out = out or Path("eval/reports") / _time.strftime("%Y%m%d-%H%M%S")
    comparison = None
    if baseline is not None:
        try:
            comparison = compare_reports(baseline, to_json(run), str(baseline_run), "this run")
        except ReportError as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from None
    page = write_reports(run, out, comparison)
    if as_json:
        typer.echo(json.dumps(to_json(run), ensure_ascii=False, indent=2))
    else:
        typer.echo(to_markdown(run))
        if comparison is not None:
            typer.echo(comparison_markdown(comparison))
        typer.echo(f"HTML report: {page}")
    if gate is not None:
        below = check_gate(run, gate)
        for message in below:
            err.print(f"[red]gate: {escape(message)}[/red]")
        if below:
            if comparison is not None:  # what changed since the baseline run: the questions that flipped
                err.print(escape(comparison_markdown(comparison)), highlight=False)
            raise typer.Exit(1)
        console.print(f"[green]gate: every figure at or above its floor in {gate}[/green]")


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="default: ASSISTANT_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default: ASSISTANT_PORT")] = None,
    build: Annotated[bool, typer.Option("--build/--no-build",
                                        help="build the index first when it is missing or stale")] = True,
    workers: Annotated[int, typer.Option(min=1, max=64, help=(
        "processes answering on the port. 1: one uvicorn process (API and web chat). N > 1: gunicorn with N "
        "uvicorn workers forked after the index is loaded (shared copy-on-write), API only: the web chat "
        "needs one process per browser session, so run --workers 1 replicas behind nginx's sticky routing "
        "for it (deploy/README.md). Several workers need a shared state store for sessions and rate limits: "
        "ASSISTANT_STATE_STORE=sqlite:///abs/path.db (one machine) or redis://host:port/0"))] = 1,
) -> None:
    """Serve the web chat at / and the HTTP API (docs at /docs).

    When the index is missing or stale, the BM25 index is built first (seconds) and served at once;
    the embeddings are computed in the background and the service switches to hybrid retrieval when
    they are ready (/healthz says which mode is active). With --workers N > 1 the whole index is built
    first instead (one builder, not N).

    Several workers (or several replicas) share follow-up sessions and rate-limit buckets only through
    ASSISTANT_STATE_STORE=sqlite:///abs/path.db or redis://host:port/0; the default, memory, is per process.
    """
    import time

    settings = get_settings()
    targets = [settings.corpus_dir]
    background = False
    if build and not index_is_fresh(targets, settings):
        started = time.perf_counter()
        # one process, one builder: N workers would each start a background build of the same index
        lexical = workers == 1
        console.print("the index is missing or stale: " + ("building the BM25 index first, the embeddings after"
                                                           if lexical else "building it before the workers start"))
        try:
            report = ingest(targets, settings, lexical_only=lexical)
        except (EmbedderUnavailable, OSError) as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(1) from None
        if not report.documents:
            err.print(f"[red]no document in {escape(str(settings.corpus_dir))} could be indexed[/red]")
            raise typer.Exit(1)
        if lexical:
            console.print(f"BM25 index of {report.chunk_count} chunks built in {time.perf_counter() - started:.1f}s; "
                          "embedding in the background")
            background = True
        else:
            console.print(f"index of {report.chunk_count} chunks built in {time.perf_counter() - started:.1f}s")
    _store()
    host, port = host or settings.host, port or settings.port
    if workers == 1:
        import uvicorn

        from assistant.api import create_app

        console.print(f"serving on http://{host}:{port}  (web chat: http://{host}:{port}/  API docs: "
                      f"http://{host}:{port}/docs)")
        # proxy_headers=False: the client address is the TCP peer's; X-Forwarded-For is read by the app's own
        # middleware, from the proxies it is told to trust, never rewritten by the server
        uvicorn.run(create_app(settings, build_in_background=background), host=host, port=port,
                    log_level="warning", proxy_headers=False)
        return
    _serve_workers(settings, host, port, workers)


def _serve_workers(settings, host: str, port: int, workers: int) -> None:
    """gunicorn's arbiter over ``workers`` uvicorn workers, the index loaded before the fork (preload).

    Fork safety. faiss and the e5 engine use GNU OpenMP (libgomp), which is not fork-safe: a thread that ran a
    parallel region keeps a pool of OpenMP threads, and a child forked afterwards that runs OpenMP on that same
    thread waits for pool threads that were not copied (measured: the child hangs). Loading the index runs a
    warm-up search (e5 + faiss), so it runs in a helper thread here: the main thread, the only one a worker
    inherits, never owned a pool, and each worker starts its own pools. Kiwi (its own thread pool) analyses a
    single text on the calling thread and answers the same after a fork (measured). Gradio is not mounted (it
    keeps each browser session's queue in one process), so nothing else runs in the parent. Connections to the
    state store are opened in the parent too: redis-py reopens its pool in a child by itself (it checks the pid).
    """
    import os
    import tempfile
    import threading
    import warnings

    from gunicorn.app.base import BaseApplication

    _check_port_free(host, port)  # before the index is loaded: a taken port is said at once
    # before prometheus_client is first imported (by the app, below): each worker then counts in files of its own
    # in this folder and /metrics adds them up, whichever worker answers the scrape (assistant/api/metrics.py)
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="assistant-metrics-")

    with warnings.catch_warnings():  # deprecated in favour of the uvicorn-worker package, which is not installed
        warnings.simplefilter("ignore", DeprecationWarning)
        from uvicorn.workers import UvicornWorker

    from assistant.api import create_app
    from assistant.service import Assistant

    class Worker(UvicornWorker):
        # proxy_headers off, as with one process: the app's middleware decides whom to trust
        CONFIG_KWARGS = {"loop": "auto", "http": "auto", "proxy_headers": False, "log_level": "warning"}

    # N workers share the cores: by default each one's OpenMP (the e5 engine, loaded below) gets its share of
    # them rather than all of them, so they do not oversubscribe the machine and spin against each other
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    store = getattr(settings, "state_store", None) or os.environ.get("ASSISTANT_STATE_STORE", "memory")
    if store == "memory":
        err.print("[yellow]ASSISTANT_STATE_STORE is memory: each worker keeps its own follow-up sessions and "
                  "rate-limit buckets; set sqlite:///abs/path.db or redis://host:port/0 to share them[/yellow]")
    if settings.ui:
        console.print("the web chat is off with --workers > 1 (Gradio keeps a browser session's queue in one "
                      "process); run --workers 1 replicas behind nginx with sticky routing for it (deploy/)")
    # each worker computes as many answers at once as it has cores (unless set): more only contend for the GIL
    settings = settings.model_copy(update={"ui": False, "answer_slots": settings.answer_slots
                                           or max(1, (os.cpu_count() or 1) // workers)})
    loaded: dict = {}

    def preload() -> None:  # in a helper thread: see the docstring (OpenMP and fork)
        try:  # loaded once, in the parent: the workers share its memory pages copy-on-write
            loaded["app"] = create_app(settings, assistant=Assistant(settings))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            loaded["error"] = exc

    thread = threading.Thread(target=preload, name="preload")
    thread.start()
    thread.join()
    if "error" in loaded:
        raise loaded["error"]
    application = loaded["app"]

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": [f"{host}:{port}"], "workers": workers, "worker_class": Worker,
                               "preload_app": True, "forwarded_allow_ips": "", "proxy_allow_ips": "",
                               # each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads
                               # new connections over them by address hash: on one shared socket the first worker
                               # to wake accepted every keep-alive connection of a burst (measured: 16 of 16, two
                               # workers as fast as one)
                               "reuse_port": True,
                               "timeout": 120, "graceful_timeout": 20, "keepalive": 5,
                               "accesslog": None, "loglevel": "warning", "child_exit": child_exit}.items():
                self.cfg.set(key, value)

        def load(self):
            return application

    def child_exit(server, worker) -> None:  # a worker's counts stay in the totals; its live gauges go
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

    console.print(f"serving the API on http://{host}:{port} with {workers} workers (API docs: "
                  f"http://{host}:{port}/docs)")
    Server().run()


def _check_port_free(host: str, port: int) -> None:
    """Stop with a message when something listens on the port already. With SO_REUSEPORT the workers' bind would
    succeed next to another server of the same user and share its traffic; a plain bind fails on any listener."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the workers: a TIME_WAIT is no listener
        try:
            probe.bind((host, port))
        except OSError as exc:
            err.print(f"[red]cannot listen on {escape(host)}:{port}: {escape(exc.strerror or str(exc))}[/red]")
            raise typer.Exit(1) from exc


def _documents_for_eval(server) -> dict[str, str]:
    if server is not None:
        try:
            return server.documents()
        except Exception as exc:  # noqa: BLE001 - any failure: fall back to the local index, say so
            err.print(f"[yellow]could not read documents from the server ({escape(str(exc))}); using the local index[/yellow]")
    return {d["doc_id"]: d["text"] for d in _store().documents()}


def _load_assistant():
    from assistant.service import Assistant

    _store()  # a clear message when the index is missing
    return Assistant(get_settings())


def _print_qa_counts(items) -> None:
    from collections import Counter

    for title, counts in (("type", Counter(i.type for i in items)), ("document", Counter(i.doc_label for i in items))):
        table = Table(title=f"questions per {title}")
        table.add_column(title)
        table.add_column("questions", justify="right")
        for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
            table.add_row(escape(name), str(count))
        console.print(table)


def _store() -> IndexStore:
    store = IndexStore(get_settings().index_dir)
    if not store.exists():
        err.print(f"[red]{escape(str(IndexMissing(f'no index in {store.index_dir}: run assistant ingest first')))}[/red]")
        raise typer.Exit(1)
    return store


if __name__ == "__main__":
    app()
