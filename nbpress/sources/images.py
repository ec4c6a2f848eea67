"""What an image file says about itself: its size in pixels and its title, read from its header."""

from __future__ import annotations

import html
import re
import struct
import zlib

_SVG_TAG = re.compile(rb"<svg\b[^>]*>", re.IGNORECASE)
_SVG_TITLE = re.compile(rb"<title\b[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SVG_LENGTH = re.compile(r"^\s*([\d.]+)\s*(px|pt|pc|in|cm|mm|)\s*$")
_SVG_PX = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height in CSS pixels of a PNG, JPEG, GIF, WebP or SVG; None if the header says nothing."""
    size: tuple[int, ...] | None
    try:
        if data.startswith(_PNG) and data[12:16] == b"IHDR":
            size = struct.unpack(">II", data[16:24])
        elif data[:6] in (b"GIF87a", b"GIF89a"):
            size = struct.unpack("<HH", data[6:10])
        elif data.startswith(b"\xff\xd8"):
            size = _jpeg_size(data)
        elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            size = _webp_size(data)
        else:
            size = _svg_size(data)
    except (struct.error, IndexError, ValueError):
        return None
    return (int(size[0]), int(size[1])) if size and size[0] > 0 and size[1] > 0 else None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # padding
            i += 1
            continue
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _svg_size(data: bytes) -> tuple[int, int] | None:
    tag = _SVG_TAG.search(data[:4096])
    if not tag:
        return None
    attrs = dict(re.findall(r'([\w:-]+)\s*=\s*["\']([^"\']*)["\']', tag.group(0).decode("utf-8", "replace")))
    sizes = []
    for name in ("width", "height"):
        length = _SVG_LENGTH.match(attrs.get(name, ""))
        sizes.append(float(length.group(1)) * _SVG_PX[length.group(2)] if length else None)
    box = [float(v) for v in re.split(r"[\s,]+", attrs.get("viewBox", "").strip()) if v][2:4]
    width, height = sizes
    if len(box) == 2 and box[0] > 0 and box[1] > 0:
        if width is None and height is None:
            width, height = box
        elif width is None and height is not None:
            width = height * box[0] / box[1]
        elif height is None and width is not None:
            height = width * box[1] / box[0]
    if not width or not height:
        return None
    return round(width), round(height)


def image_title(data: bytes) -> str:
    """The title a PNG (tEXt/iTXt Title or Description) or an SVG (<title>) carries; "" if none."""
    if data.startswith(_PNG):
        found = {}
        i = 8
        while i + 8 <= len(data):
            length, kind = struct.unpack(">I4s", data[i : i + 8])
            if kind in (b"IDAT", b"IEND"):
                break
            body = data[i + 8 : i + 8 + length]
            if kind in (b"tEXt", b"zTXt", b"iTXt"):
                key, _, value = body.partition(b"\0")
                found[key.decode("latin-1")] = _png_text(kind, value)
            i += 12 + length
        return (found.get("Title") or found.get("Description") or "").strip()
    title = _SVG_TITLE.search(data[:65536]) if _SVG_TAG.search(data[:4096]) else None
    return html.unescape(re.sub(rb"<[^>]+>", b"", title.group(1)).decode("utf-8", "replace")).strip() if title else ""


def _png_text(kind: bytes, value: bytes) -> str:
    try:
        if kind == b"tEXt":
            return value.decode("latin-1")
        if kind == b"zTXt":
            return zlib.decompress(value[1:]).decode("latin-1")
        compressed, rest = value[0], value[2:]  # iTXt: flag, method, language\0, translated keyword\0, text
        text = rest.split(b"\0", 2)[-1]
        return (zlib.decompress(text) if compressed else text).decode("utf-8")
    except (zlib.error, UnicodeDecodeError, IndexError):
        return ""
