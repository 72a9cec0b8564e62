"""The issue's targets, each checked against this run's figures (a ratio to a
figure of the same run, or an absolute bound)."""

from __future__ import annotations

from dataclasses import dataclass

from .report import Results


@dataclass
class Check:
    key: str  # the figure checked
    against: str | None  # the figure it is divided by; None: an absolute bound
    op: str  # ">=" or "<="
    threshold: float
    text: str
    value: float | None = None  # the ratio (or the absolute median) found

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.threshold if self.op == ">=" else self.value <= self.threshold

    def summary(self) -> str:
        if self.value is None:
            return f"{self.text}: not measured"
        verdict = "met" if self.met else "MISSED"
        bound = f"{self.threshold:g}{self.text}" if self.against is None else f"{self.threshold:g}x {_short(self.against)}"
        return f"{verdict}: {self.value:.3g} (want {self.op} {bound})"

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "against": self.against,
            "op": self.op,
            "threshold": self.threshold,
            "text": self.text,
            "value": self.value,
            "met": self.met,
        }


def _short(key: str) -> str:
    return key.split(".", 1)[1] if "." in key else key


def _targets() -> list[Check]:
    checks = [
        Check("download.ferry.sink", "download.limit.sink", ">=", 0.95, "download limit"),
        Check("download.ferry.file", "download.limit.file", ">=", 0.9, "download-to-file limit"),
    ]
    for peer in ("ftp.retr", "nginx", "httpserver"):
        checks.append(Check("download.ferry.sink", f"download.{peer}", ">=", 1.0, peer))
    for policy in ("fsync", "nofsync"):
        checks.append(Check(f"upload.ferry.{policy}", f"upload.limit.{policy}", ">=", 0.8, "upload limit"))
        checks.append(Check(f"upload.ferry.lib.{policy}", f"upload.limit.{policy}", ">=", 0.8, "upload limit"))
        checks.append(Check(f"upload.ferry.{policy}", "upload.ftp.stor", ">=", 1.5, "pyftpdlib STOR"))
    checks.append(Check("http.download.ferry", "http.download.nginx", ">=", 1.0, "nginx"))
    for policy in ("fsync", "nofsync"):
        checks.append(Check(f"http.upload.ferry.{policy}", f"http.upload.limit.{policy}", ">=", 0.8, "upload limit"))
    checks += [
        Check("small.n100.ferry", "", ">=", 2.0, "best pyftpdlib mode"),
        Check("small.n100.ferry.p99", "", "<=", 1.0, "best pyftpdlib p99"),
        Check("small.n100.ferry.nofsync", "", ">=", 2.0, "best pyftpdlib mode"),
        Check("small.n100.ferry.nofsync.p99", "", "<=", 1.0, "best pyftpdlib p99"),
        Check("idle.n10000.ferry.per_session", "idle.n10000.ftp.per_session", "<=", 0.5, "pyftpdlib async"),
        Check("idle.n10000.ferry.list_p99", None, "<=", 20.0, " ms"),
        Check("list.n100000.raw", None, "<=", 300.0, " ms"),
        Check("list.tree.recursive", None, "<=", 1000.0, " ms"),
        Check("exactness.n4.wrong", None, "<=", 0, " wrong lists"),
        Check("tree.upload.ferry.nofsync", "tree.upload.rsync", ">=", 1.0, "rsync daemon"),
        Check("tree.download.ferry.nofsync", "tree.download.rsync", ">=", 1.0, "rsync daemon"),
        Check("tree.upload.ferry.nofsync", "tree.upload.lftp", ">=", 3.0, "lftp mirror"),
        Check("tree.download.ferry.nofsync", "tree.download.lftp", ">=", 3.0, "lftp mirror"),
        Check("exactness.n100000.wrong", None, "<=", 0, " wrong lists"),
    ]
    return checks


def evaluate(results: Results) -> list[Check]:
    checks = []
    for check in _targets():
        figure = results.figures.get(check.key)
        if figure is None:
            continue
        if check.against is None:
            check.value = figure.median
        else:
            against = check.against or figure.baseline  # "": the figure's own baseline (best peer mode)
            check.against = against
            check.value = results.ratio(check.key, against)
        checks.append(check)
    return checks
