"""The `madoguchi` command: serve, worker, sender, db upgrade, inbox, salons, clock, backup."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TypeVar

import click
from waitress import create_server

import locales
from bot import backup, richmenu, staff_cli, worker_process
from bot.app import create_app
from bot.clock import Clock, ClockOutOfRange
from bot.gateway import LineGateway
from bot.sender import Sender
from bot.settings import Settings, SettingsError
from bot.worker import Worker
from bot.worker import warm as warm_worker
from bot.worker_process import WorkerProcess
from locales import N_
from storage import audit, inbox, migrate, salon_csv, sample_town
from storage.db import Database

log = logging.getLogger("madoguchi")
_T = TypeVar("_T")

SIMULATOR_SECRET = "simulator-channel-secret"
SIMULATOR_TOKEN = "simulator-access-token"


@click.group()
@click.option("--log-level", default="INFO", show_default=True)
def main(log_level: str) -> None:
    """madoguchi: the LINE front door of the welfare council."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # transitions logs every callback at INFO: thousands of lines per check-in sweep.
    logging.getLogger("transitions").setLevel(max(logging.WARNING, logging.root.level))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--simulator",
    is_flag=True,
    help="Talk to the local LINE simulator, whatever LINE credentials are set "
    "(without any, serve does so anyway).",
)
def serve(host: str, port: int, threads: int, simulator: bool) -> None:
    """Migrate, then run the web here and the worker and the sender in processes of their own
    (the simulator too, with --simulator or without any LINE credentials)."""
    settings = Settings.from_env()
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    simulator_state = None
    if _started(lambda: settings.wants_simulator(simulator)):
        if not settings.missing_line_credentials():
            click.echo("--simulator: the LINE credentials that are set are not used")
        settings = settings.with_overrides(
            simulator=True,
            channel_secret=SIMULATOR_SECRET,
            channel_access_token=SIMULATOR_TOKEN,
            api_base_url=f"{base}/simulator/line",
        )
    # Forked before any connection, thread or socket exists, so there are none half-copied.
    worker, sender = _worker_processes(settings)
    sender.prefork(main.main)
    worker.prefork(main.main, prepare=warm_worker)
    try:
        migrate.upgrade(settings.database_url)
        db = Database(settings.database_url)
        # Kept in the database, so `POST /simulator/clock` moves the worker process's clock too.
        clock = _shared_clock(db)
        app = create_app(settings, db=db, clock=clock, wake=worker.wake, session_clock=Clock())
        if settings.simulator_mode:
            # Only the CLI and the tests import the simulator; the product never depends on it.
            from simulator.app import create_blueprint
            from simulator.state import SimulatorState

            simulator_state = SimulatorState(
                webhook_url=f"{base}/callback",
                channel_secret=SIMULATOR_SECRET,
                access_token=SIMULATOR_TOKEN,
            )
            app.register_blueprint(create_blueprint(simulator_state), url_prefix="/simulator")
        demo_login = None
        if settings.simulator_mode:
            # A newcomer's first start: a town to talk about and a login to see the console with.
            with db.transaction() as session:
                sample_town.load(session, clock.now())
            demo_login = staff_cli.demo_login(db, clock)
        # Bound before the worker and the sender start: a port already taken ends here, with a
        # reason.
        try:
            server = create_server(app, host=host, port=port, threads=threads)
        except OSError as error:
            db.dispose()
            raise click.ClickException(
                f"cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
    except BaseException:
        # Whatever stops start-up, the forked children still waiting for the word stop with it.
        worker.stop()
        sender.stop()
        raise
    sender.start()
    worker.start()
    if settings.rich_menu:
        # In the background: the simulator's API is this very server, answering only from now on.
        threading.Thread(
            target=richmenu.install_when_up,
            args=(settings.api_base_url, settings.channel_access_token),
            daemon=True,
        ).start()
    # Before the address is printed: whoever reads it may stop serve at once, and a SIGTERM
    # that came before the handler killed serve by the signal's default action.
    _stop_on_signals(threading.Event(), interrupt=True)
    try:
        click.echo(f"madoguchi is running on {base}")
        click.echo(f"  LINE webhook:  POST {base}/callback")
        if simulator_state is not None:
            click.echo(f"  Chat as a resident (simulator): {base}/simulator/")
            click.echo("  The bot talks to the local simulator, not to LINE.")
        if demo_login is not None:
            click.echo(f"  Staff console: {base}/console  login: {demo_login[0]} / {demo_login[1]}")
        # Returns on SIGTERM or Ctrl-C, once the requests in progress are answered.
        server.run()
    except KeyboardInterrupt:
        # The first stop raises it (_stop_on_signals): here when it came before waitress'
        # loop, which catches it there; nothing was being served.
        pass
    finally:
        codes = worker.stop(), sender.stop()
        server.close()
        db.dispose()
    click.echo(f"madoguchi stopped (worker and sender exit codes {codes[0]}, {codes[1]})")


main.add_command(staff_cli.staff_group)
main.add_command(staff_cli.residents_group)


@main.command()
@click.option(
    "--send/--no-send",
    default=True,
    show_default=True,
    help="Send the outbox here too; --no-send leaves it to a `madoguchi sender` process.",
)
@click.option("--wake-fd", type=int, default=None, hidden=True)
@click.option("--sender-wake-fd", type=int, default=None, hidden=True)
def worker(send: bool, wake_fd: int | None, sender_wake_fd: int | None) -> None:
    """Run a worker alone (scale-out: several of these on PostgreSQL beside gunicorn web processes)."""
    if wake_fd is not None:
        # Started by `serve`: below the web for the CPU from the first import on.
        worker_process.started_by_serve()
    settings = Settings.from_env()
    _started(settings.require_line_credentials)
    db = Database(settings.database_url)
    clock = _shared_clock(db)
    the_worker = Worker(db, _gateway(settings), clock, settings)
    stop = threading.Event()
    _stop_on_signals(stop, wake=the_worker.wake)
    if wake_fd is not None:
        # Started by `serve`: woken through this pipe, and stopped when it closes.
        worker_process.listen(wake_fd, the_worker.wake, stop)
    if sender_wake_fd is not None:
        worker_process.forward(the_worker.send_now, sender_wake_fd, stop)
    the_worker.run(stop, send=send)
    db.dispose()


@main.command()
@click.option("--wake-fd", type=int, default=None, hidden=True)
@click.option("--worker-wake-fd", type=int, default=None, hidden=True)
def sender(wake_fd: int | None, worker_wake_fd: int | None) -> None:
    """Only send the outbox, beside workers started with --no-send (100,000 check-ins at 8:00)."""
    if wake_fd is not None:
        worker_process.started_by_serve()
    settings = Settings.from_env()
    _started(settings.require_line_credentials)
    db = Database(settings.database_url)
    clock = _shared_clock(db)
    the_sender = Sender(
        db,
        _gateway(settings),
        clock,
        lease=settings.send_lease,
        concurrency=settings.send_concurrency,
    )
    stop, wake = threading.Event(), threading.Event()
    _stop_on_signals(stop, wake=wake)
    if wake_fd is not None:
        worker_process.listen(wake_fd, wake, stop)
    if worker_wake_fd is not None:
        worker_process.listen(worker_wake_fd, wake)
    log.info("sender started")
    the_sender.run_until(stop, wake, settings.worker_poll_interval)
    log.info("sender stopped: %d outbox rows settled", the_sender.settled)
    db.dispose()


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations up to REVISION (default: the newest)."""
    settings = Settings.from_env()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database is at {revision}")


@main.group("inbox")
def inbox_group() -> None:
    """Operator commands for events that failed."""


@inbox_group.command("parked")
def inbox_parked() -> None:
    """List events whose handling failed repeatedly (no message content is shown)."""
    database = Database(Settings.from_env().database_url)
    with database.transaction() as session:
        rows = inbox.parked(session)
        for row in rows:
            click.echo(
                f"{row.id}\t{row.event_type}\t{row.received_at:%Y-%m-%d %H:%M:%S}\t"
                f"attempts={row.attempts}\t{row.last_error}"
            )
        click.echo(f"{len(rows)} parked")


@inbox_group.command("retry")
def inbox_retry() -> None:
    """Put every parked event back in the queue."""
    database = Database(Settings.from_env().database_url)
    with database.transaction() as session:
        count = inbox.requeue_parked(session, Clock().now())
    click.echo(f"{count} events queued again")


@main.group("salons")
def salons_group() -> None:
    """The salon directory as CSV (layout: docs/salons_csv.md)."""


@salons_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--lang",
    "language",
    type=click.Choice(list(locales.LANGUAGES)),
    default=locales.DEFAULT_LANGUAGE,
    show_default=True,
    help="The language of the problems and the summary (the council's staff read Japanese).",
)
def salons_import(file: Path, language: str) -> None:
    """Create or update salons by ID from FILE (UTF-8, UTF-8 with BOM or Shift_JIS): all or nothing."""
    raw = file.read_bytes()
    database = Database(Settings.from_env().database_url)
    try:
        rows = len(salon_csv.read_rows(raw)[0])
        # Each row is counted twice: once checked, once written.
        with (
            click.progressbar(
                length=2 * rows, label=locales.gettext(language, N_("importing salons"))
            ) as bar,
            database.transaction() as session,
        ):
            result = salon_csv.import_csv(session, raw, Clock().now(), progress=bar.update)
    except salon_csv.ImportFailed as failed:
        for problem in failed.problems:
            click.echo(_problem_line(problem, language), err=True)
        raise click.ClickException(
            locales.gettext(
                language,
                N_("{count} problem(s) in {file}; nothing was imported"),
                count=len(failed.problems),
                file=file.name,
            )
        ) from None
    finally:
        database.dispose()
    click.echo(
        locales.gettext(
            language,
            N_("{created} salons added, {updated} updated ({encoding})"),
            created=result.created,
            updated=result.updated,
            encoding=result.encoding,
        )
    )


def _problem_line(problem: salon_csv.Problem, language: str) -> str:
    """One problem as staff read it: where in the spreadsheet, then why, in their language."""
    why = locales.gettext(language, problem.message, **problem.params)
    if problem.column:
        return locales.gettext(
            language,
            N_("row {row}, {column}: {why}"),
            row=problem.row,
            column=problem.column,
            why=why,
        )
    return locales.gettext(language, N_("row {row}: {why}"), row=problem.row, why=why)


@salons_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option(
    "--encoding",
    type=click.Choice(["utf-8-sig", "utf-8", "cp932"]),
    default="utf-8-sig",
    show_default=True,
    help="utf-8-sig opens correctly in Excel; cp932 is Shift_JIS.",
)
def salons_export(file: Path, encoding: str) -> None:
    """Write every salon, whatever its status, to FILE in the import layout."""
    database = Database(Settings.from_env().database_url)
    try:
        with database.transaction() as session:
            text = salon_csv.export_csv(session)
    finally:
        database.dispose()
    try:
        file.write_bytes(text.encode(encoding))
    except UnicodeEncodeError as error:
        raise click.ClickException(
            f"a character cannot be written in {encoding} ({error.object[error.start]!r}); "
            "use --encoding utf-8-sig"
        ) from None
    click.echo(f"{text.count(chr(10)) - 1} salons written to {file}")


@main.command("sample")
def sample() -> None:
    """Load the sample town (districts, teams, routing rules, 60-odd salons) if not there yet.

    `serve` does this by itself in simulator mode; with real LINE credentials it is a way to
    try the product with made-up teams before entering your own in the console.
    """
    settings = Settings.from_env()
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            sample_town.load(session, Clock().now())
    finally:
        database.dispose()
    click.echo("the sample town is loaded: districts, teams, routing rules and salons")


@main.group("clock")
def clock_group() -> None:
    """The bot's clock: real time, unless a demo or a test moved it (POST /simulator/clock)."""


@clock_group.command("show")
def clock_show() -> None:
    """Print how far ahead of real time the bot's clock is."""
    database = Database(Settings.from_env().database_url)
    offset = _shared_clock(database).offset
    database.dispose()
    click.echo(f"the bot's clock is {offset.total_seconds():,.0f} s ahead of real time")


@clock_group.command("reset")
def clock_reset() -> None:
    """Put the bot's clock back to real time (also when it is out of range and the bot refuses
    to start). Running processes follow within a second; a worker restarts to do so."""
    database = Database(Settings.from_env().database_url)
    try:
        seconds = Clock.shared(database).reset()
        with database.transaction() as session:
            detail = {"offset_seconds": 0.0, "was_seconds": seconds}
            audit.record(session, "clock_reset", Clock().now(), detail=detail)
    finally:
        database.dispose()
    click.echo(f"the bot's clock is back to real time (it was {seconds:,.0f} s ahead)")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_database(file: Path) -> None:
    """Copy the database to FILE while the bot runs (SQLite's online backup API); on
    PostgreSQL, print the pg_dump command to use instead."""
    url = Settings.from_env().database_url
    try:
        result = backup.backup(url, file)
    except backup.UsePgDump as use:
        click.echo("madoguchi backs up SQLite only; for PostgreSQL run (password from ~/.pgpass")
        click.echo("or PGPASSWORD, never on the command line):")
        click.echo(f"  {use.command}")
        sys.exit(1)
    except backup.BackupFailed as error:
        raise click.ClickException(str(error)) from None
    click.echo(result)


def _started(step: Callable[[], _T]) -> _T:
    """A start-up check; what stops start-up is one clear line, not a traceback."""
    try:
        return step()
    except (SettingsError, ClockOutOfRange) as error:
        raise click.ClickException(str(error)) from None


def _shared_clock(db: Database) -> Clock:
    """The clock every process shares, once its offset is known to be in range."""
    clock = Clock.shared(db)
    try:
        _started(clock.check)
    except click.ClickException:
        db.dispose()
        raise
    return clock


def _gateway(settings: Settings) -> LineGateway:
    return LineGateway(
        settings.api_base_url,
        settings.channel_access_token,
        settings.api_timeout,
        connections=settings.send_concurrency,
    )


def _worker_processes(settings: Settings) -> tuple[WorkerProcess, WorkerProcess]:
    """`serve`'s worker and sender. Three processes, not threads of one: handling events,
    calling LINE and acknowledging webhooks each took turns at one interpreter lock, and under
    a burst each slowed the others. The worker wakes the sender through a pipe of their own."""
    level = logging.getLevelName(logging.root.level)
    env = _worker_env(settings)
    read, write = worker_process.pipe()
    sender = WorkerProcess(env, level, ("sender", "--worker-wake-fd", str(read)), (read,))
    worker = WorkerProcess(
        env, level, ("worker", "--no-send", "--sender-wake-fd", str(write)), (write,)
    )
    return worker, sender


def _worker_env(settings: Settings) -> dict[str, str]:
    """The environment for `serve`'s worker process: this one, with the settings `serve` chose
    (in simulator mode, its own credentials and address)."""
    return {
        **os.environ,
        "LINE_CHANNEL_SECRET": settings.channel_secret,
        "LINE_CHANNEL_ACCESS_TOKEN": settings.channel_access_token,
        "LINE_API_BASE_URL": settings.api_base_url,
        "DATABASE_URL": settings.database_url,
    }


def _stop_on_signals(
    stop: threading.Event, wake: threading.Event | None = None, interrupt: bool = False
) -> None:
    """SIGTERM and Ctrl-C set `stop` (and `wake`, so a waiting loop sees it at once). With
    `interrupt`, the first also ends waitress' loop, which then lets requests in progress finish;
    raised as KeyboardInterrupt because that is what waitress catches to stop cleanly."""

    def _handler(signum: int, _frame: FrameType | None) -> None:
        first = not stop.is_set()
        stop.set()
        if wake is not None:
            wake.set()
        if interrupt and first:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    # A child forked by serve blocked them until now (worker_process._forked); one that came
    # meanwhile is handled here, as soon as they are unblocked.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, worker_process.STOP_SIGNALS)
