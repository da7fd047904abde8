"""The confusion-matrix heatmap: cell colour is the count as a fraction of its row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hilbench.report.svg.axes import INK, Frame, coord, esc, open_svg, text_width


def heatmap(
    matrix: Sequence[Sequence[float]] | np.ndarray,
    *,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str = "",
    x_label: str = "predicted",
    y_label: str = "true",
    cell: int | None = None,
) -> str:
    """A confusion matrix: cell colour is the count as a fraction of its row (recall), the
    diagonal in blue, errors in vermilion; counts written in the cells."""
    m = np.asarray(matrix, dtype=np.float64)
    nr, nc = m.shape
    cell = cell or max(16, min(30, 340 // max(nr, nc, 1)))
    lw = int(min(120, 8 + text_width(max(row_labels, key=len, default="00"), 10)))
    th = int(
        min(90, 10 + 0.87 * text_width(max(col_labels, key=len, default="00"), 10))
    )  # rotated -60 degrees
    top = 46 + th
    f = Frame(
        max(lw + 24 + nc * cell + 20, 8 + int(text_width(title, 13)) + 16),
        top + nr * cell + 12,
        left=lw + 24,
        right=20,
        top=top,
        bottom=12,
    )
    out = open_svg(f, title, "heatmap")
    rows = m.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(rows > 0, m / rows, 0.0)
    for j, lab in enumerate(col_labels):
        x = f.x0 + j * cell + cell / 2
        out.append(
            f'<text transform="translate({coord(x + 4)} {coord(f.y1 - 6)}) rotate(-60)" font-size="10">{esc(lab)}</text>'
        )
    for i, lab in enumerate(row_labels):
        y = f.y1 + i * cell + cell / 2 + 4
        out.append(
            f'<text x="{coord(f.x0 - 5)}" y="{coord(y)}" text-anchor="end" font-size="10">{esc(lab)}</text>'
        )
    cells = []
    for i in range(nr):
        for j in range(nc):
            v, t = m[i, j], frac[i, j]
            if i == j:
                rgb = (int(255 - t * (255 - 0)), int(255 - t * (255 - 114)), int(255 - t * (255 - 178)))
            else:
                t = min(1.0, t * 2.5) if v else 0.0
                rgb = (int(255 - t * (255 - 213)), int(255 - t * (255 - 94)), int(255 - t * (255 - 0)))
            col = "#{:02x}{:02x}{:02x}".format(*rgb)
            x, y = f.x0 + j * cell, f.y1 + i * cell
            cells.append(
                f'<rect x="{coord(x)}" y="{coord(y)}" width="{cell - 1}" height="{cell - 1}" fill="{col}">'
                f"<title>true {esc(row_labels[i])}, predicted {esc(col_labels[j])}: {int(v)} "
                f"({100 * frac[i, j]:.1f} % of the row)</title></rect>"
            )
            if v:
                tc = "white" if (i == j and frac[i, j] > 0.55) else INK
                fs = 10 if cell < 26 else 11
                cells.append(
                    f'<text x="{coord(x + cell / 2 - 0.5)}" y="{coord(y + cell / 2 + 4)}" text-anchor="middle" '
                    f'font-size="{fs}" fill="{tc}">{int(v)}</text>'
                )
    out.append("<g>" + "".join(cells) + "</g>")
    out.append(
        f'<text x="{coord(f.x0 + nc * cell / 2)}" y="36" text-anchor="middle" font-size="11">'
        f"{esc(x_label)} →</text>"
    )
    cy = f.y1 + nr * cell / 2
    out.append(
        f'<text transform="translate(12 {coord(cy)}) rotate(-90)" text-anchor="middle" font-size="11">'
        f"← {esc(y_label)}</text>"
    )
    out.append("</svg>")
    return "".join(out)
