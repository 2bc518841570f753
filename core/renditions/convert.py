"""Word to PDF by LibreOffice in headless mode: a fresh profile per conversion (so conversions never share
LibreOffice's lock), the fonts of the official layout mapped onto the machine's CJK fonts (fonts.conf), a time
limit. The converter is looked up on the PATH of the process that converts (the worker's)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CONVERTER = "soffice"  # Debian: libreoffice-writer-nogui
FONTS_CONF = Path(__file__).with_name("fonts.conf")
TIMEOUT = 180  # seconds; a first start of LibreOffice on a cold machine takes a few


class ConverterMissing(RuntimeError):
    """No LibreOffice on this machine's PATH."""


class ConversionFailed(RuntimeError):
    """LibreOffice ran and gave no PDF (the reason: the end of what it said)."""


def converter() -> str | None:
    return shutil.which(CONVERTER, path=os.environ.get("PATH", ""))


def to_pdf(docx: bytes, *, timeout: int = TIMEOUT) -> bytes:
    program = converter()
    if program is None:
        raise ConverterMissing(f"{CONVERTER} not found on PATH")
    with tempfile.TemporaryDirectory(prefix="qinglian-pdf-") as work:
        folder = Path(work)
        source = folder / "document.docx"
        source.write_bytes(docx)
        env = {**os.environ, "HOME": work, "FONTCONFIG_FILE": str(FONTS_CONF)}
        command = [program, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf", "--outdir", work, str(source)]
        try:
            result = subprocess.run(command, env=env, cwd=work, stdin=subprocess.DEVNULL, capture_output=True,
                                    timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ConversionFailed(f"no PDF within {timeout} s") from exc
        except OSError as exc:  # found but not runnable
            raise ConverterMissing(str(exc)) from exc
        target = folder / "document.pdf"
        if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
            said = (result.stderr or result.stdout or b"").decode("utf-8", "replace")[-500:]
            raise ConversionFailed(f"exit {result.returncode}: {said}")
        return target.read_bytes()
