"""SQL engines the tracing model runs on: DuckDB by default, Spark at scale.

Each engine knows how to load a column table and hand Splink its database
API; nothing else about the model depends on the engine.
"""

from __future__ import annotations

import tempfile
from typing import Any, Literal, Protocol

from safeconduct.tracing.features import COLUMNS

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")


class Engine(Protocol):
    """A place to load tables and run Splink."""

    db_api: Any

    def load(self, name: str, columns: dict[str, list[Any]], *, role: str) -> Any:
        """Load a column table as ``name``; Splink labels its rows with ``role``."""

    def close(self) -> None:
        """Release the engine's resources."""


class DuckDBEngine:
    """An in-process DuckDB database."""

    def __init__(self, *, threads: int = 2) -> None:
        import duckdb
        from splink import DuckDBAPI

        self._con = duckdb.connect()
        # Cap threads: the machine is shared and DuckDB takes every core otherwise.
        self._con.execute(f"SET threads = {int(threads)}")
        self.db_api = DuckDBAPI(connection=self._con)

    def load(self, name: str, columns: dict[str, list[Any]], *, role: str) -> Any:
        """Load a column table as ``name``; Splink labels its rows with ``role``."""
        import pyarrow as pa

        types = {"string": pa.string(), "int": pa.int64()}
        schema = pa.schema([(col, types[kind]) for col, kind in COLUMNS.items()])
        table = pa.Table.from_pydict(columns, schema=schema)
        self._con.register(f"{name}_arrow", table)
        # The name is made by the matcher, never taken from input.
        sql = f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM "{name}_arrow"'  # noqa: S608
        self._con.execute(sql)
        self._con.unregister(f"{name}_arrow")
        return self.db_api.register(name, dataset_display_name=role, table_name=name)

    def close(self) -> None:
        """Close the connection."""
        self._con.close()


def local_spark_session(*, cores: int = 2, shuffle_partitions: int = 4) -> Any:
    """Start (or reuse) a small local Spark session fit for one machine."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("safeconduct-tracing")
        # Splink's jar provides damerau_levenshtein and friends as Spark SQL functions.
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="safeconduct-spark-"))
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class SparkEngine:
    """A Spark session: local by default, or one the caller provides."""

    def __init__(self, spark: Any | None = None) -> None:
        from splink import SparkAPI

        self._owns_session = spark is None
        self._spark = spark if spark is not None else local_spark_session()
        self.db_api = SparkAPI(spark_session=self._spark)  # type: ignore[no-untyped-call]

    def load(self, name: str, columns: dict[str, list[Any]], *, role: str) -> Any:
        """Load a column table as ``name``; Splink labels its rows with ``role``."""
        from pyspark.sql import types as spark_types

        kinds = {"string": spark_types.StringType(), "int": spark_types.LongType()}
        fields = [spark_types.StructField(c, kinds[k], True) for c, k in COLUMNS.items()]
        schema = spark_types.StructType(fields)
        rows = list(zip(*(columns[c] for c in COLUMNS), strict=True))
        frame = self._spark.createDataFrame(rows, schema=schema)
        return self.db_api.register(frame, dataset_display_name=role, table_name=name)

    def close(self) -> None:
        """Stop the session if this engine started it."""
        if self._owns_session:
            self._spark.stop()


def make_engine(name: EngineName) -> Engine:
    """Create the named engine."""
    if name == "spark":
        return SparkEngine()
    return DuckDBEngine()
