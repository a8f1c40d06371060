"""nlp-reports: Chinese local-government reports → data.

    import nlp_reports
    report = nlp_reports.analyse_file("report.txt")      # plain-text core, no spaCy
    nlp = nlp_reports.load(); doc = nlp(text)              # the same pipeline as spaCy components
"""
__version__ = "0.1.0"

__all__ = ["__version__", "analyse_text", "analyse_file", "load", "Report", "ReportError"]


def __getattr__(name):
    # Lazy: `import nlp_reports` stays cheap; spaCy is imported only by load().
    if name in ("analyse_text", "analyse_file"):
        from . import analyse

        return getattr(analyse, name)
    if name == "load":
        from .pipeline import load

        return load
    if name == "Report":
        from .results import Report

        return Report
    if name == "ReportError":
        from .errors import ReportError

        return ReportError
    raise AttributeError(f"module 'nlp_reports' has no attribute {name!r}")
