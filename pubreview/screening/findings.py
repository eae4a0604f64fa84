"""What a screen reports: findings with masked excerpts, and the files it could not screen.

A finding reads the same wherever a person sees it (the command line, a notice, the review
page, the re-scan's report): `Finding.to_text`, which templates reach as the `finding` filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from pubreview.labels import LOCATION_LABEL, SEVERITY_LABEL
from pubreview.rendering import environment

Severity = Literal["block", "warn"]

# A block finding stops pre-review approval (初审) until a revision clears it or the
# section head overrides it in writing; a warn finding only informs the reviewer.
BLOCK: Severity = "block"
WARN: Severity = "warn"


@dataclass(frozen=True)
class Hit:
    """One detector match inside a text: a span, and how to show it."""

    start: int
    end: int
    detector: str
    severity: Severity
    reason: str
    # Same length as the matched text, so masking never shifts offsets; None shows it as is.
    masked: str | None = None
    suggestion: str = ""  # what to write instead (错敏 findings), "" when there is no one fix


@dataclass(frozen=True)
class Finding:
    """One thing the screen found: what, where, why and how serious."""

    detector: str
    severity: Severity
    reason: str
    location: str  # "title", "body", or an attachment's file name
    line: int  # 1-based line of the location's extracted text
    excerpt: str  # the surrounding text with every personal number in it masked
    suggestion: str = ""  # the suggested correction, "" when the finding has none

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """A finding from its plain data (`to_dict()`, the ledger's copy); extra keys ignored."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    def to_text(self) -> str:
        """The finding as people read it, on one line: severity, where, why, excerpt, the fix."""
        where = LOCATION_LABEL.get(self.location, self.location)
        fix = f" → 建议改为「{self.suggestion}」" if self.suggestion else ""
        return (
            f"[{SEVERITY_LABEL[self.severity]}] {where} 第 {self.line} 行："
            f"{self.reason}「{self.excerpt}」{fix}"
        )


def finding_text(finding: Finding | Mapping[str, Any]) -> str:
    """`Finding.to_text` for a finding or its plain data: the templates' `finding` filter."""
    return (finding if isinstance(finding, Finding) else Finding.from_dict(finding)).to_text()


environment().filters["finding"] = finding_text


@dataclass
class ScreeningResult:
    """Everything one screen found, plus what it could not look into."""

    findings: list[Finding] = field(default_factory=list)
    # File name → why it was not screened; listed, never silently skipped.
    not_screened: dict[str, str] = field(default_factory=dict)

    @property
    def blocked(self) -> bool:
        """True when any finding is a block finding."""
        return any(f.severity == BLOCK for f in self.findings)

    def count(self, severity: Severity) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready data (for the ledger, --json and the run's page)."""
        return {
            "blocked": self.blocked,
            "counts": {BLOCK: self.count(BLOCK), WARN: self.count(WARN)},
            "findings": [f.to_dict() for f in self.findings],
            "not_screened": [
                {"location": name, "reason": reason} for name, reason in self.not_screened.items()
            ],
        }

    def to_text(self) -> str:
        """The result as human-readable lines, findings first, then a summary."""
        lines = [f.to_text() for f in self.findings]
        lines += [f"{name}: NOT SCREENED: {why}" for name, why in self.not_screened.items()]
        summary = f"{self.count(BLOCK)} block, {self.count(WARN)} warn"
        if self.not_screened:
            summary += f", {len(self.not_screened)} not screened"
        lines.append(("BLOCKED: " if self.blocked else "clean of block findings: ") + summary)
        return "\n".join(lines)
