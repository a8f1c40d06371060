"""Theme classification of report sections (codebook: nlp_reports/data/codebook.yaml).

Applying a model (`model.py`, `features.py`) needs numpy and our tokenizer only; training
(`train.py`) needs scikit-learn and is imported only by `nlp-reports train`."""
from .model import ThemeModel, default_model_path, get_model, load_model

__all__ = ["ThemeModel", "default_model_path", "get_model", "load_model"]
