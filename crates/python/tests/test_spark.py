"""Scoring on Spark in local mode equals scoring in one process.

Skipped only where Java is missing (Spark runs on the JVM); pyspark,
pandas and pyarrow are test requirements."""

import os
import shutil
import sys

import numpy as np
import pytest

import aedetect

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="no Java on PATH: Spark needs a JVM"
)


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The executors' Python workers must import aedetect: this interpreter
    # has it (on a cluster, install the wheel on every node).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("aedetect-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "300")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_map_in_pandas_scores_as_one_process(spark, tmp_path):
    import pandas as pd

    from aedetect.spark import score_dataframe

    rng = np.random.default_rng(3)
    X = rng.normal(size=(5000, 7)).astype(np.float32)
    X[::97] *= 6  # some rows far out, to be flagged
    columns = [f"x{i}" for i in range(7)]
    train = pd.DataFrame(X[:2000], columns=columns)
    det = aedetect.Ensemble(members=2, epochs=3).fit(train)
    model = tmp_path / "model.safetensors"
    det.save(model)

    table = pd.DataFrame(X, columns=columns)
    table.insert(0, "id", np.arange(len(X)))
    df = spark.createDataFrame(table).repartition(5)
    scored = score_dataframe(df, model).toPandas().sort_values("id")

    want = det.decision_function(X)
    assert np.array_equal(scored["score"].to_numpy(), want)
    assert np.array_equal(scored["flag"].to_numpy(), det.predict(X))
    assert scored["flag"].sum() > 0
    assert list(scored.columns) == ["id"] + columns + ["score", "flag"]


def test_wrong_columns_are_refused(spark, tmp_path):
    import pandas as pd

    from aedetect.spark import score_dataframe

    X = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    model = tmp_path / "pca.safetensors"
    aedetect.PCA().fit(pd.DataFrame(X, columns=["a", "b", "c"])).save(model)
    df = spark.createDataFrame(pd.DataFrame(X, columns=["a", "b", "z"]))
    with pytest.raises(ValueError, match=r"no column\(s\) \['c'\]"):
        score_dataframe(df, model)
    with pytest.raises(ValueError, match="expecting 3 features"):
        score_dataframe(df, model, features=["a", "b"])
