"""The visit under construction while a Bundle is mapped: values by intake path, their sources, issues."""

from __future__ import annotations

from typing import Any

from shared.fhir.outcome import Issue, error


class Draft:
    """Values by intake path (``("measurements", "hb_g_dl")``) with the FHIRPath each came from."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, ...], Any] = {}
        self.sources: dict[tuple[str, ...], str] = {}
        self.issues: list[Issue] = []
        self.implied: dict[tuple[str, ...], tuple[Any, str]] = {}
        self.imaging = False

    def set(self, path: tuple[str, ...], value: Any, source: str) -> None:
        if path in self.values and self.values[path] != value:
            self.issues.append(error("conflict", f"{'.'.join(path)} is given twice with different values "
                                                 f"(also at {self.sources[path]})", source))
            return
        self.values[path], self.sources[path] = value, source

    def append(self, path: tuple[str, ...], value: Any, source: str) -> None:
        self.values.setdefault(path, []).append(value)
        self.sources.setdefault(path, source)
        self.sources[(*path, str(len(self.values[path]) - 1))] = source

    def as_dict(self) -> dict[str, Any]:
        for path, (value, source) in self.implied.items():
            if path not in self.values:
                self.values[path], self.sources[path] = value, source
        body: dict[str, Any] = {"measurements": {}}
        for path, value in sorted(self.values.items(), key=lambda kv: len(kv[0])):
            node = body
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
        return body
