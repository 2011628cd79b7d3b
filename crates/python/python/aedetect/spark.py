"""Scoring a large table on Apache Spark: the model file is shipped to the
executors once (``SparkContext.addFile``), each executor opens it once per
Python worker, and rows are scored in Arrow batches by ``mapInPandas``.

Train on a sample on one machine, score everywhere: training does not
scale out (one model is fitted on one machine's rows).

>>> from aedetect.spark import score_dataframe          # doctest: +SKIP
>>> scored = score_dataframe(df, "model.safetensors")   # doctest: +SKIP

Needs ``pyspark`` (with pandas and pyarrow) and Java.
"""

import os

# One detector per model file per Python worker process: opening it again
# for every Arrow batch would re-read the file each time.
_OPEN = {}


def score_dataframe(df, model_path, features=None, score_col="score", flag_col="flag"):
    """``df`` with two columns added: the score of each row under the model
    in ``model_path`` and its flag (1 above the model's threshold, else 0).

    ``features`` names the columns to score, in the model's order (default:
    the feature names the model was trained with, else every column). The
    result equals scoring the same rows in one process, bit for bit.
    """
    from pyspark import SparkFiles
    from pyspark.sql.types import DoubleType, IntegerType, StructField, StructType

    from .io import load

    model_path = os.path.abspath(os.fspath(model_path))
    local = load(model_path)
    if features is None:
        names = getattr(local, "feature_names_in_", None)
        features = list(names) if names is not None else list(df.columns)
    features = list(features)
    if len(features) != local.n_features_in_:
        raise ValueError(
            f"{len(features)} feature columns, but the model is expecting "
            f"{local.n_features_in_} features as input"
        )
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise ValueError(f"the DataFrame has no column(s) {missing}")
    if getattr(local, "threshold_", None) is None:
        raise ValueError(f"{model_path}: the model has no threshold to flag rows with")

    spark = df.sparkSession
    spark.sparkContext.addFile(model_path)
    name = os.path.basename(model_path)
    schema = StructType(
        df.schema.fields
        + [StructField(score_col, DoubleType(), False), StructField(flag_col, IntegerType(), False)]
    )

    def score_batches(batches):
        import numpy as np

        path = SparkFiles.get(name)
        det = _OPEN.get(path)
        if det is None:
            det = _OPEN[path] = load(path)
        for batch in batches:
            if len(batch) == 0:
                continue
            X = np.ascontiguousarray(batch[features].to_numpy(dtype=np.float32))
            scores = det.decision_function(X)
            batch[score_col] = scores
            batch[flag_col] = (scores > det.threshold_).astype(np.int32)
            yield batch

    return df.mapInPandas(score_batches, schema)
