"""The command line: parse arguments, call the library, turn errors into messages.

Each command imports what it runs when it runs (the extractor's models, the store, the page
take a second or more to import), so `zhkg --help` and a mistyped option answer at once.

Exit status: 0 everything processed; 1 some inputs or articles were skipped (the rest written) or
the command failed; 2 usage error (click's own); 128 + the signal's number after Ctrl-C or
SIGTERM (130, 143), which stop a command cleanly. Library errors (`ZhkgError`) print one line on
stderr; any other exception is a bug and shows its traceback only with `--debug`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from zhkg.children import on_sigterm
from zhkg.errors import Interrupted, ZhkgError, shown
from zhkg.read import DEFAULT_MAX_ARTICLE_CHARS

EXIT_SKIPPED = 1


class _Group(click.Group):
    """Turns library errors into one-line messages at the edge, like sqlite-utils."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZhkgError as exc:
            if ctx.meta.get("zhkg.debug"):
                raise
            raise click.ClickException(str(exc)) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (see `main`)
            click.echo("interrupted", err=True)
            sys.exit(128 + exc.signum if isinstance(exc, Interrupted) else 130)
        except OSError as exc:  # a file the command writes (a library error names it itself)
            if ctx.meta.get("zhkg.debug"):
                raise
            where = f"{shown(exc.filename)}: " if exc.filename is not None else ""
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            sys.exit(1)
        except Exception as exc:
            if ctx.meta.get("zhkg.debug"):
                raise
            click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
                       err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(package_name="zhkg")
@click.option("--debug", is_flag=True, help="Show Python tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """zhkg: Chinese news articles to a knowledge graph (RDF, SPARQL, an interactive page)."""
    ctx.meta["zhkg.debug"] = debug


def main() -> None:
    on_sigterm()  # a SIGTERM cleans up as Ctrl-C does (children, temporary folders)
    cli(prog_name="zhkg")



#: Input paths: an unreadable one is reported and skipped by the reader, with the rest read, not
#: refused by click as a usage error.
_INPUTS = click.Path(path_type=Path, readable=False)


def _report_input_error(exc: ZhkgError) -> None:
    click.echo(f"skipped {exc}", err=True)


_max_article_chars = click.option(
    "--max-article-chars", type=click.IntRange(min=1), default=DEFAULT_MAX_ARTICLE_CHARS,
    show_default=True,
    help="Skip (and name) an article longer than this many characters.")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=_INPUTS)
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
              help="The JSON Lines file to write.")
@_max_article_chars
def extract(paths: tuple[Path, ...], output: Path, max_article_chars: int) -> None:
    """Mentions and relations of each article, one JSON line per article (no graph)."""
    from zhkg.pipeline.extract import extract_to_jsonl

    n, errors = extract_to_jsonl(paths, output, on_error=_report_input_error,
                                 max_article_chars=max_article_chars)
    click.echo(f"{n} articles -> {shown(output)}"
               + (f" ({errors} inputs skipped)" if errors else ""), err=True)
    if errors:
        sys.exit(EXIT_SKIPPED)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=_INPUTS)
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
              help="The output folder: store, exports, page, build.json.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster).")
@click.option("--max-nodes", type=click.IntRange(min=1), default=2000, show_default=True,
              help="The page keeps this many of the most connected nodes.")
@click.option("--no-page", is_flag=True, help="Skip the HTML page.")
@click.option("--no-exports", is_flag=True,
              help="Skip the export files (write them later with `zhkg export`).")
@_max_article_chars
def build(paths: tuple[Path, ...], output: Path, jobs: int | None, engine: str,
          scheduler: str | None, max_nodes: int, no_page: bool, no_exports: bool,
          max_article_chars: int) -> None:
    """Build the knowledge graph of PATHS into OUTPUT (adds to an existing build)."""
    from zhkg.pipeline.build import build as run_build

    progress = _Progress()
    try:
        report = run_build(paths, output, jobs=jobs, engine=engine, scheduler=scheduler,
                           on_error=_report_input_error, on_progress=progress,
                           page=not no_page, max_nodes=max_nodes, exports=not no_exports,
                           max_article_chars=max_article_chars)
    finally:
        progress.close()
    click.echo(
        f"{report.articles_loaded} articles built, {report.articles_skipped_unchanged} unchanged, "
        f"{len(report.input_errors)} inputs skipped"
        + (f", {len(report.article_errors)} articles failed" if report.article_errors else "")
        + "; " + (f"{report.triples} triples" if not no_exports else f"{report.quads} quads")
        + f" -> {shown(output)}",
        err=True,
    )
    if not report.ok:
        sys.exit(EXIT_SKIPPED)


class _Progress:
    """A tqdm bar with articles/s and ETA on a terminal; plain log lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar: Any = None
        self.last = 0.0

    def __call__(self, loaded: int, read: int) -> None:
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm  # a tenth of a second: only a terminal draws a bar

                self.bar = tqdm(unit="article", desc="build", dynamic_ncols=True)
            self.bar.total = max(read, loaded)
            self.bar.update(loaded - self.bar.n)
        elif time.monotonic() - self.last >= 10:
            self.last = time.monotonic()
            click.echo(f"build: {loaded} articles loaded ({read} read)", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()



# -- serve, push ---------------------------------------------------------------------------------


@cli.command()
@click.option("--store", "store", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The store folder (DIR/store of a build).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but loopback makes the endpoint public.")
@click.option("--port", type=click.IntRange(0, 65535), default=7879, show_default=True,
              help="0 picks a free port.")
@click.option("--allow-update", is_flag=True,
              help="Accept SPARQL updates (opens the store read-write; one query at a time).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds a query may run before it is stopped (503).")
@click.option("--max-rows", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Larger results are refused (403) rather than cut.")
@click.option("--workers", type=click.IntRange(min=1), default=4, show_default=True,
              help="Query processes (queries running at once), shared fairly among clients.")
@click.option("--memory-mb", type=click.IntRange(min=0), default=4096, show_default=True,
              help="Memory per query process; a query needing more is stopped (0: no limit).")
@click.option("--cors", "cors", metavar="ORIGIN", default=None,
              help="Let web pages from ORIGIN (e.g. http://localhost:3000, or *) read answers.")
@click.option("--quiet", is_flag=True, help="No access log.")
def serve(store: Path, host: str, port: int, allow_update: bool, timeout: float, max_rows: int,
          workers: int, memory_mb: int, cors: str | None, quiet: bool) -> None:
    """Serve the store over the SPARQL 1.1 Protocol at /sparql, with a query page at /."""
    from zhkg.query.endpoint import EndpointConfig, SparqlEndpoint, is_loopback

    config = EndpointConfig(store=store, host=host, port=port, allow_update=allow_update,
                            timeout=timeout, max_rows=max_rows, workers=workers,
                            worker_memory_mb=memory_mb, access_log=not quiet, cors_origin=cors)
    if not is_loopback(host):
        click.echo(f"warning: binding {host}: the endpoint (no authentication) is reachable "
                   "from other machines", err=True)
    endpoint = SparqlEndpoint(config).open()
    mode = "read-write" if allow_update else "read-only"
    click.echo(f"SPARQL endpoint ({mode}) at {endpoint.url}; query page at "
               f"{endpoint.url.removesuffix('sparql')} (Ctrl-C stops)")
    sys.stdout.flush()
    try:
        endpoint.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


@cli.command()
@click.option("--store", "store", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The store folder (DIR/store of a build).")
@click.option("--endpoint", required=True,
              help="Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store (Oxigraph).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds to wait for each answer.")
def push(store: Path, endpoint: str, timeout: float) -> None:
    """Send every graph to a triple store, one named graph per article (PUT replaces it)."""
    from zhkg.graph.push import push as push_graphs

    report = push_graphs(store, endpoint, timeout=timeout)
    click.echo(f"pushed {len(report.graphs)} graphs, {report.triples} triples to {report.endpoint}")
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)} graphs named by blank nodes", err=True)


@cli.command()
@click.argument("text", required=False)
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Read the text from a UTF-8 file instead of the argument.")
def places(text: str | None, file: Path | None) -> None:
    """List the place names in TEXT: offsets, kind, and the division or country meant."""
    from zhkg.nlp.gazetteer import find_places, resolve

    if file is not None:
        text = file.read_text(encoding="utf-8")
    if not text:
        raise click.UsageError("give TEXT or --file")
    found = find_places(text)
    context = [m.candidates[0].key for m in found if len(m.candidates) == 1]
    for m in found:
        place = resolve(m.candidates, context)
        meant = f"{place.key} {place.name}" if place else "ambiguous: " + " ".join(
            c.key for c in m.candidates)
        click.echo(f"{m.start}\t{m.end}\t{m.text}\t{m.kind}\t{meant}")


# -- query, remove -------------------------------------------------------------------------------


def _binding(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, term = value.partition("=")
        if not sep or not name.lstrip("?$"):
            raise click.BadParameter(f"{value!r}: use NAME=VALUE", ctx=ctx, param=param)
        out[name.lstrip("?$")] = term
    return out


@cli.command()
@click.argument("query", required=False)
@click.option("--store", "store", type=click.Path(path_type=Path, file_okay=False),
              default=Path("output/store"), show_default=True,
              help="The store folder (DIR/store of a build).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]),
              default="table", show_default=True,
              help="json is SPARQL 1.1 Query Results JSON; CONSTRUCT/DESCRIBE print Turtle.")
@click.option("--bind", "bindings", multiple=True, callback=_binding, metavar="NAME=VALUE",
              help="Give a query variable a value: an IRI (<...>, zhkg:x, id:x) or text.")
@click.option("--allow-service", is_flag=True,
              help="Let SERVICE fetch from the servers the query names (off: nothing is fetched).")
@click.option("--list", "list_", is_flag=True, help="List the packaged queries.")
def query(query: str | None, store: Path, fmt: str, bindings: dict[str, str],
          allow_service: bool, list_: bool) -> None:
    """Run QUERY on the store: SPARQL text, a .rq file, or a packaged query's name."""
    from zhkg.query.run import packaged_queries, run

    if list_:
        for name, about in packaged_queries().items():
            click.echo(f"{name:20} {about}")
        return
    if not query:
        raise click.UsageError("give a QUERY (or --list)")
    click.echo(run(store, query, fmt, bindings, allow_service=allow_service), nl=False)


@cli.command("export")
@click.option("-o", "--output", "output", required=True,
              type=click.Path(path_type=Path, file_okay=False),
              help="The build folder (the one given to `zhkg build -o`); the files go there.")
def export_(output: Path) -> None:
    """Write the export files (ttl, nt, jsonld, trig, nq) of a build's store again."""
    from zhkg.graph.export import write_exports
    from zhkg.graph.store import Store

    with Store.open(output / "store", read_only=True) as store:
        summary = write_exports(store, output)
    click.echo(f"{summary.triples} triples, {summary.quads} quads -> {shown(output)}", err=True)


@cli.command()
@click.argument("article_ids", nargs=-1, required=True)
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path),
              help="The build folder (the one given to `zhkg build -o`).")
def remove(article_ids: tuple[str, ...], output: Path) -> None:
    """Take articles out of a build; the exports and the page are regenerated."""
    from zhkg.pipeline.remove import remove_articles

    report = remove_articles(output, list(article_ids))
    for doc_id in report.missing:
        click.echo(f"not in the store: {shown(doc_id)}", err=True)
    click.echo(f"removed {len(report.removed)} articles; {report.triples} triples left", err=True)
    if report.missing:
        sys.exit(EXIT_SKIPPED)


def _graph_source(fn: Any) -> Any:
    """--store / --rdf and the restrictions shared by `view` and `stats`."""
    options = [
        click.option("--store", "store", type=click.Path(path_type=Path, file_okay=False),
                     default=None, help="The store folder (DIR/store of a build) "
                     "[default: output/store unless --rdf]."),
        click.option("--rdf", "rdf", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                     default=None, help="Read an RDF file (.trig .nq .ttl .nt .jsonld) instead."),
        click.option("--around", default=None, metavar="NAME",
                     help="Only this entity (any of its names, or its IRI) and its neighbourhood."),
        click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True,
                     help="Relation steps around --around."),
        click.option("--article", default=None, metavar="ID",
                     help="Only what one article states (its id or title)."),
        click.option("--max-nodes", type=click.IntRange(min=1), default=None,
                     help="Keep this many of the most connected nodes."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _load_network(store: Path | None, rdf: Path | None, around: str | None, depth: int,
                  article: str | None, max_nodes: int | None) -> Any:
    from zhkg.view.sources import load_network

    if store is None and rdf is None:
        store = Path("output/store")
    return load_network(store=store, rdf=rdf, around=around, depth=depth, article=article,
                        max_nodes=max_nodes)


@cli.command()
@_graph_source
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("output/graph.html"), show_default=True, help="The page to write.")
@click.option("--title", default=None, help="The page title [default: from the selection].")
@click.option("--show-articles", is_flag=True, help="Draw article nodes from the start.")
def view(store: Path | None, rdf: Path | None, around: str | None, depth: int,
         article: str | None, max_nodes: int | None, output: Path, title: str | None,
         show_articles: bool) -> None:
    """Write the interactive page (one self-contained HTML file) of the graph or a part of it."""
    from zhkg.view.page import write_page

    network = _load_network(store, rdf, around, depth, article, max_nodes)
    if title is None:
        title = "zhkg 知识图谱" + (f"：{around}" if around else "") + (
            f"：文章 {article}" if article else "")
    write_page(network, output, title=title, show_articles=show_articles)
    click.echo(f"{network.number_of_nodes()} nodes, {network.number_of_edges()} edges -> "
               f"{shown(output)}", err=True)


@cli.command()
@_graph_source
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many central entities and communities to list.")
@click.option("--graphml", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the network as GraphML (for Gephi).")
@click.option("--gexf", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the network as GEXF (for Gephi).")
def stats(store: Path | None, rdf: Path | None, around: str | None, depth: int,
          article: str | None, max_nodes: int | None, fmt: str, top: int,
          graphml: Path | None, gexf: Path | None) -> None:
    """Counts by type, the most central entities (degree, PageRank) and communities."""
    from zhkg.view import analytics

    network = _load_network(store, rdf, around, depth, article, max_nodes)
    figures = analytics.stats(network, top=top)
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        click.echo(analytics.format_stats(figures))
    if graphml is not None:
        analytics.write_graphml(network, graphml)
        click.echo(f"GraphML -> {shown(graphml)}", err=True)
    if gexf is not None:
        analytics.write_gexf(network, gexf)
        click.echo(f"GEXF -> {shown(gexf)}", err=True)


# -- train, evaluate -----------------------------------------------------------------------------


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
             add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def train(args: tuple[str, ...]) -> None:
    """Retrain the name tagger from the annotated corpora (see `zhkg train --help`)."""
    from zhkg.nlp import train as training

    sys.exit(training.main(list(args)))


@cli.command()
@click.argument("gold", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.argument("extracted", type=click.Path(path_type=Path, dir_okay=False, exists=True))
def evaluate(gold: Path, extracted: Path) -> None:
    """Score `zhkg extract` output (EXTRACTED) against a hand-written gold annotation (GOLD)."""
    from zhkg.extract.evaluate import evaluate_file, format_report

    click.echo(format_report(evaluate_file(gold, extracted)))
