"""Read the registry straight from the live database."""

from __future__ import annotations

from collections.abc import Iterator

from safeconduct.tracing.dates import PartialDate, PartialDateError
from safeconduct.tracing.inputs import InputFormatError
from safeconduct.tracing.matcher import RegistryRow

_SELECT = "SELECT id, surname, given_names, patronymic, date_of_birth FROM persons"


def load_registry_from_db(url: str) -> Iterator[RegistryRow]:
    """Yield every person in the ``persons`` table who has not been erased."""
    from sqlalchemy import inspect, text

    from safeconduct.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("persons")}
            # Erased people keep a row but no identity: never offer them as a match.
            erased = next((c for c in ("erased_on", "erased_at") if c in columns), None)
            where = f" WHERE {erased} IS NULL" if erased else ""
            result = conn.execution_options(stream_results=True).execute(text(_SELECT + where))
            for pid, surname, given, patronymic, dob in result:
                yield RegistryRow(
                    str(pid), surname or "", given or "", patronymic or "", _date(pid, dob)
                )
    finally:
        engine.dispose()


def _date(pid: object, value: str | None) -> PartialDate:
    try:
        return PartialDate.parse(value or "")
    except PartialDateError as exc:
        raise InputFormatError(f"persons id {pid}", None, "date_of_birth", str(exc)) from None
