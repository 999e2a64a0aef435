"""Write the test documents of corpus.yaml in their formats.

Run from the repository root: `.venv/bin/python tests/documents/make_corpus.py`.
Word files are written with python-docx; .odt, .pdf and .rtf files are
converted from them by LibreOffice Writer (headless), as a contributor's
office suite would; text, Markdown and e-mail bodies are written directly.
The outputs are committed, so the tests need neither LibreOffice nor this
script.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import docx
import yaml
from docx.shared import Pt

CORPUS = Path(__file__).resolve().parent
CONVERTED = {".odt": "odt", ".pdf": "pdf", ".rtf": "rtf"}


def load_corpus() -> list[dict[str, Any]]:
    """Return the documents of corpus.yaml."""
    with (CORPUS / "corpus.yaml").open(encoding="utf-8") as handle:
        return list(yaml.safe_load(handle)["documents"])


def field_groups(blocks: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """Group consecutive `field` blocks so that a table holds them all."""
    groups: list[tuple[str, Any]] = []
    for block in blocks:
        (kind, value), *_ = block.items()
        if kind == "field" and groups and groups[-1][0] == "fields":
            groups[-1][1].append(value)
        elif kind == "field":
            groups.append(("fields", [value]))
        else:
            groups.append((kind, value))
    return groups


def write_docx(entry: dict[str, Any], path: Path) -> None:
    document = docx.Document()
    layout = entry["fields_as"]
    for kind, value in field_groups(entry["blocks"]):
        if kind == "title":
            document.add_heading(value, level=0)
        elif kind == "h":
            document.add_heading(value, level=1)
        elif kind == "p":
            document.add_paragraph(value)
        elif kind == "header":
            document.sections[0].header.paragraphs[0].text = value
        elif kind == "fields" and layout == "table":
            table = document.add_table(rows=0, cols=2)
            table.style = "Table Grid"
            for label, text in value:
                cells = table.add_row().cells
                cells[0].paragraphs[0].add_run(label).bold = True
                cells[1].text = text
        elif kind == "fields":
            for label, text in value:
                add_docx_field(document, layout, label, text)
    document.save(str(path))


def add_docx_field(document: Any, layout: str, label: str, text: str) -> None:
    if layout == "bold":
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label} :").bold = True
        paragraph.add_run(f" {text}")
    elif layout == "nextline":
        run = document.add_paragraph().add_run(label)
        run.bold = True
        run.font.size = Pt(12)
        document.add_paragraph(text)
    else:
        document.add_paragraph(f"{label} : {text}")


def text_lines(entry: dict[str, Any], markdown: bool) -> list[str]:
    """Lay a document out as plain text or Markdown lines."""
    layout = entry["fields_as"]
    lines: list[str] = []
    for kind, value in field_groups(entry["blocks"]):
        if kind == "title":
            lines += [f"# {value}" if markdown else value, ""]
        elif kind == "h":
            lines += [f"## {value}" if markdown else value.upper(), ""]
        elif kind in ("p", "header"):
            lines += [value, ""]
        elif kind == "fields":
            for label, text in value:
                if layout == "nextline":
                    lines += [label, text, ""]
                elif layout == "bold" and markdown:
                    lines += [f"**{label} :** {text}", ""]
                else:
                    lines += [f"{label} : {text}"]
            lines.append("")
    return lines


def html_body(entry: dict[str, Any]) -> str:
    """Lay a document out as the HTML body of an e-mail."""
    layout = entry["fields_as"]
    parts = ["<html><head><meta charset='utf-8'></head><body>"]
    for kind, value in field_groups(entry["blocks"]):
        if kind == "title":
            parts.append(f"<h2>{html.escape(value)}</h2>")
        elif kind in ("p", "h", "header"):
            parts.append(f"<div>{html.escape(value)}</div>")
        elif kind == "fields" and layout == "table":
            rows = "".join(
                f"<tr><td><b>{html.escape(label)}</b></td>"
                f"<td>{html.escape(text)}</td></tr>"
                for label, text in value
            )
            parts.append(f"<table border='1'>{rows}</table>")
        elif kind == "fields":
            for label, text in value:
                parts.append(
                    f"<p><strong>{html.escape(label)} :</strong> "
                    f"{html.escape(text)}</p>"
                )
    parts.append("</body></html>")
    return "\n".join(parts)


def convert(sources: list[Path], kind: str, outdir: Path) -> None:
    """Convert Word files with LibreOffice Writer, headless."""
    soffice = shutil.which("soffice")
    if soffice is None:
        sys.exit("LibreOffice (soffice) is needed to make .odt, .pdf and .rtf files.")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                kind,
                "--outdir",
                str(outdir),
                *map(str, sources),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )


def main() -> None:
    to_convert: dict[str, list[Path]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for entry in load_corpus():
            target = CORPUS / entry["file"]
            suffix = target.suffix.lower()
            if target.name.endswith(".email.html"):
                target.write_text(html_body(entry), encoding="utf-8")
            elif suffix in (".txt", ".md"):
                lines = text_lines(entry, markdown=suffix == ".md")
                encoding = entry.get("encoding", "utf-8")
                target.write_bytes("\n".join(lines).encode(encoding))
            elif suffix == ".docx":
                write_docx(entry, target)
            else:
                source = Path(scratch) / (target.stem + ".docx")
                write_docx(entry, source)
                to_convert.setdefault(CONVERTED[suffix], []).append(source)
        for kind, sources in to_convert.items():
            convert(sources, kind, CORPUS)


if __name__ == "__main__":
    main()
