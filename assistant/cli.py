"""The ``assistant`` command: a thin layer over the library, one sub-command per task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from tqdm import tqdm

from assistant.index import (
    IndexMissing,
    IndexStore,
    discover_files,
    index_is_fresh,
    ingest,
)
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
) -> None:
    """Parse the documents into chunks and write the index."""
    settings = get_settings()
    targets = paths or [settings.corpus_dir]
    if if_stale and index_is_fresh(targets, settings):
        console.print(f"index is up to date: {settings.index_dir / 'current'}")
        return
    files, _ = discover_files(targets)
    with tqdm(total=len(files), unit="file", desc="ingest", disable=quiet, leave=False) as bar:
        report = ingest(targets, settings, on_progress=lambda path: (bar.set_postfix_str(path.name), bar.update()))

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
    console.print(f"index: {settings.index_dir / 'current'}  time: " +
                  ", ".join(f"{k} {v:.2f}s" for k, v in report.seconds.items()))
    if not report.documents:
        err.print("[red]No document could be indexed; the previous index, if any, is unchanged.[/red]")
        raise typer.Exit(1)


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


def _store() -> IndexStore:
    store = IndexStore(get_settings().index_dir)
    if not store.exists():
        err.print(f"[red]{escape(str(IndexMissing(f'no index in {store.index_dir}: run assistant ingest first')))}[/red]")
        raise typer.Exit(1)
    return store


if __name__ == "__main__":
    app()
