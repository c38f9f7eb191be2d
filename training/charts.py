"""Indicator progress as an SVG line chart, drawn on the server (no script, no inline style)."""

from dataclasses import dataclass

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 32


@dataclass
class Chart:
    width: int
    height: int
    points: list  # (x, y, label) of each measurement
    polyline: str
    baseline_y: float
    target_y: float
    axis_bottom: float
    ticks: list  # (y, label) on the value axis
    progress: float | None  # share of the way from baseline to target, last measurement, 0..1+
    latest: object

    @property
    def percent(self):
        return None if self.progress is None else round(self.progress * 100)

    @property
    def percent_bar(self):
        return 0 if self.percent is None else max(0, min(100, self.percent))


def indicator_chart(indicator, measurements):
    """Scale the baseline, the target and the measured values into the chart's box."""
    values = [float(m.value) for m in measurements]
    baseline, target = float(indicator.baseline), float(indicator.target)
    low, high = min([baseline, target, *values]), max([baseline, target, *values])
    span = (high - low) or 1.0
    low, high = low - span * 0.1, high + span * 0.1

    def y(value):
        return round(TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    inner = WIDTH - LEFT - RIGHT
    count = len(measurements)
    points = []
    for index, measurement in enumerate(measurements):
        x = LEFT + (inner * index / (count - 1) if count > 1 else inner / 2)
        points.append(
            (round(x, 1), y(float(measurement.value)), f"{measurement.measured_on:%Y-%m-%d}: {measurement.value}")
        )
    latest = measurements[-1] if measurements else None
    progress = (float(latest.value) - baseline) / (target - baseline) if latest and target != baseline else None
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        polyline=" ".join(f"{px},{py}" for px, py, _label in points),
        baseline_y=y(baseline),
        target_y=y(target),
        axis_bottom=HEIGHT - BOTTOM,
        ticks=[(y(baseline), indicator.baseline), (y(target), indicator.target)],
        progress=progress,
        latest=latest,
    )
