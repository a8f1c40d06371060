"""compare --plot: the chosen indicators over the years, one line per place, with Chinese labels.

The CJK font comes from the `notojp-matplotlib` package (Noto Sans CJK, which holds every
simplified-Chinese glyph) or else from a CJK font installed on the system; without either the plot
is still drawn and the caller is told that Chinese may show as boxes.
"""
from __future__ import annotations

import io
import math

MAX_LINES = 12
_SYSTEM_CJK = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
               "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")


def cjk_font() -> str | None:
    """The family name of a usable CJK font (registering the packaged one), or None."""
    from matplotlib import font_manager

    try:
        from importlib import resources

        path = resources.files("notojp_matplotlib").joinpath("fonts", "NotoSansCJKjp-Regular.otf")
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return font_manager.FontProperties(fname=str(path)).get_name()
    except (ModuleNotFoundError, OSError):
        pass
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _SYSTEM_CJK if name in installed), None)


def plot(cmp, out) -> list[str]:
    """Write the PNG (atomically) and return warnings for the user. Each indicator gets a panel
    with a line per place that reports it in two years or more (at most MAX_LINES)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .atomic import write_atomic

    warnings = []
    family = cjk_font()
    if family is None:
        warnings.append("no CJK font found (pip install notojp-matplotlib); Chinese labels may show as boxes")
    rc = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        n = max(1, len(cmp.indicators))
        cols = 1 if n == 1 else 2
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(8 * cols, 4 * rows), squeeze=False)
        # One colour per place in every panel, so a place is followed across panels.
        cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        colour = {key: cycle[i % len(cycle)] for i, (key, _n) in enumerate(cmp.places)}
        for ax, ind in zip(axes.flat, cmp.indicators):
            units, series = set(), []
            for key, name in cmp.places:
                cells = [cmp.value(ind, key, y) for y in cmp.years]
                units |= {c["unit"] for c in cells if c is not None}
                # A missing year is a gap in the line, never a value drawn through.
                ys = [math.nan if c is None or c["value"] is None else c["value"] for c in cells]
                present = sum(not math.isnan(v) for v in ys)
                if present:
                    series.append((key, name, ys, present))
            # Lines are what a reader compares: places with two years or more, the fullest first.
            lines = [s for s in series if s[3] >= 2] or series
            lines = sorted(lines, key=lambda s: -s[3])[:MAX_LINES]
            for key, name, ys, _present in lines:
                ax.plot(cmp.years, ys, marker="o", label=name, color=colour[key])
            if len(lines) < len(series):
                ax.text(0.01, 0.98, f"{len(series) - len(lines)} 个只有一年数据或超出上限的地方未画出",
                        transform=ax.transAxes, va="top", fontsize=7, color="gray")
            unit = "、".join(sorted(u for u in units if u))
            label = cmp.labels.get(ind)
            title = f"{label}（{ind}）" if label and label != ind else ind
            ax.set_title(title + (f"，单位：{unit}" if unit else ""))
            ax.set_xticks(cmp.years)
            ax.set_xlabel("年份")
            ax.grid(alpha=0.3)
            if lines:
                ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        if not cmp.indicators:
            axes.flat[0].text(0.5, 0.5, "没有可比较的指标", ha="center", va="center")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120)
        plt.close(fig)
    write_atomic(out, lambda fh: fh.write(buf.getvalue()))
    return warnings
