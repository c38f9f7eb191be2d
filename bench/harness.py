"""What every benchmark shares: timing, figures against a baseline, and the results file."""

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Figures:
    """Durations of one measured thing, in milliseconds."""

    runs: int
    median: float
    p95: float
    max: float

    @classmethod
    def of(cls, durations_ms):
        values = sorted(durations_ms)
        if not values:
            return cls(0, 0.0, 0.0, 0.0)
        p95 = values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]
        return cls(len(values), round(statistics.median(values), 3), round(p95, 3), round(values[-1], 3))


def timed(fn, runs, warmup=3):
    """Call `fn` `warmup` times unmeasured, then `runs` times; returns its Figures in ms."""
    for _ in range(warmup):
        fn()
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        durations.append((time.perf_counter() - start) * 1000)
    return Figures.of(durations)


@dataclass
class Result:
    """One benchmark's figures, its baseline from the same run, and its target (if any)."""

    name: str
    unit: str
    value: float  # the figure the target applies to (p95 for latencies)
    figures: dict = field(default_factory=dict)
    baseline: dict | None = None
    baseline_label: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    notes: dict = field(default_factory=dict)


class Report:
    """Collects results, prints each as it comes, and writes them to one JSON file."""

    def __init__(self, meta=None):
        self.results = []
        self.meta = {
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            **(meta or {}),
        }

    def add(self, result):
        self.results.append(result)
        print(format_result(result), flush=True)
        return result

    def latency(self, name, figures, *, baseline=None, baseline_label="", limit_ms=None, max_ratio=None, notes=None):
        """A latency result: the target is on p95 (absolute, and/or as a multiple of the baseline)."""
        ratio = round(figures.p95 / baseline.p95, 2) if baseline and baseline.p95 else None
        targets, met = [], None
        if limit_ms is not None:
            targets.append(f"p95 <= {limit_ms} ms")
            met = figures.p95 <= limit_ms
        if max_ratio is not None and ratio is not None:
            targets.append(f"<= {max_ratio}x baseline")
            met = (met is not False) and ratio <= max_ratio
        return self.add(
            Result(
                name=name,
                unit="ms",
                value=figures.p95,
                figures=asdict(figures),
                baseline=asdict(baseline) if baseline else None,
                baseline_label=baseline_label,
                ratio=ratio,
                target=", ".join(targets),
                met=met,
                notes=notes or {},
            )
        )

    def add_queries(self, name, count, limit, statements=()):
        """Queries one request ran, against a ceiling; the statements are kept in the file."""
        return self.add(
            Result(
                name=name,
                unit="queries",
                value=count,
                target=f"<= {limit} queries",
                met=count <= limit,
                notes={"statements": list(statements)} if count > limit else {},
            )
        )

    def write(self, path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"meta": self.meta, "results": [asdict(r) for r in self.results]}
        path.write_text(json.dumps(data, indent=2, default=str) + "\n")
        return path

    @property
    def missed(self):
        return [r for r in self.results if r.met is False]


def format_result(r):
    f = r.figures
    if r.unit == "ms" and f:
        text = (
            f"  {r.name:<58} median {f['median']:>9.2f}  p95 {f['p95']:>9.2f}  max {f['max']:>9.2f} ms"
            f"  runs {f['runs']:>4}"
        )
    else:
        text = f"  {r.name:<58} {r.value:>10.2f} {r.unit}"
    if r.ratio is not None:
        text += f"  {r.ratio:>6.2f}x {r.baseline_label or 'baseline'}"
    if r.target:
        text += f"  [{'ok' if r.met else 'MISSED'}: {r.target}]"
    for key, value in r.notes.items():
        text += f"\n      {key}: {value}"
    return text


def compare(old_path, new_path):
    """Print the figures of two results files side by side (same benchmark names)."""
    old = {r["name"]: r for r in json.loads(Path(old_path).read_text())["results"]}
    new = {r["name"]: r for r in json.loads(Path(new_path).read_text())["results"]}
    print(f"{'benchmark':<60} {'before':>12} {'after':>12} {'change':>8}")
    for name in list(old) + [n for n in new if n not in old]:
        a, b = old.get(name), new.get(name)
        before = f"{a['value']:.2f} {a['unit']}" if a else "-"
        after = f"{b['value']:.2f} {b['unit']}" if b else "-"
        change = f"{b['value'] / a['value']:.2f}x" if a and b and a["value"] else ""
        print(f"{name:<60} {before:>12} {after:>12} {change:>8}")


def memory_kb(pid, peak=False):
    """Resident memory of a process in kB: current (VmRSS) or its peak (VmHWM); None when it
    cannot be read."""
    key = "VmHWM:" if peak else "VmRSS:"
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def children(pid):
    """Child process ids (one level), read from /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]
