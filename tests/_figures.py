"""Checks of a drawn matplotlib figure as it would print: size, font sizes, ticks, legend placement."""
from paper_tables import _render


def drawn(fig):
    """Lay the figure out (constrained layout runs at draw) and return its renderer."""
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def visible_texts(fig):
    """Every text the figure prints: not tick labels of ticks outside the view (matplotlib keeps, never draws them)."""
    from matplotlib.text import Text
    hidden = set()
    for ax in fig.axes:
        for labels, (lo, hi), i in ((ax.get_xticklabels(), sorted(ax.get_xlim()), 0),
                                    (ax.get_yticklabels(), sorted(ax.get_ylim()), 1)):
            hidden |= {id(t) for t in labels if not lo - 1e-9 <= t.get_position()[i] <= hi + 1e-9}
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in hidden]


def assert_printable(fig, columns: int):
    """``columns``-column width (3.3 or 7 in), every text >= 7 pt and inside the figure, legends off the axes."""
    renderer = drawn(fig)
    assert fig.get_size_inches()[0] == _render.COLUMNS[columns] == (3.3 if columns == 1 else 7.0)
    texts = visible_texts(fig)
    assert texts and min(t.get_fontsize() for t in texts) >= _render.MIN_FONT
    page = fig.bbox
    for t in texts:  # nothing clipped at the figure's edge (1 px of antialiasing tolerated)
        box = t.get_window_extent(renderer)
        assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y0 >= page.y0 - 1 and box.y1 <= page.y1 + 1, \
            (t.get_text(), box, page)
    legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for legend in legends:
        for ax in fig.axes:
            assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))


def tick_labels_overlap(ax, renderer) -> bool:
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def visible_xticks(ax):
    lo, hi = ax.get_xlim()
    return [x for x in ax.get_xticks() if lo - 1e-9 <= x <= hi + 1e-9]
