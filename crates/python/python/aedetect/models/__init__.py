"""One file per detector, as in PyOD (``aedetect.models.auto_encoder``
holds ``AutoEncoder``); every class is also importable from ``aedetect``."""
