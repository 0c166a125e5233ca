"""Cover images and avatars for the demo catalog, drawn as SVG and saved through the default
storage (MEDIA_ROOT). Nothing is fetched: a gradient in the topic's colour, a large glyph, a few
shapes and the title.
"""

from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

WIDTH, HEIGHT = 640, 360
LINE_UNITS = 26  # a CJK character counts two units, a Latin one one
FONT = "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"


def _shade(colour: str, factor: float) -> str:
    """``colour`` (#rrggbb) darkened (factor < 1) or lightened towards white (factor > 1)."""
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    if factor <= 1:
        mixed = [round(c * factor) for c in channels]
    else:
        mixed = [round(c + (255 - c) * (factor - 1)) for c in channels]
    return "#" + "".join(f"{min(255, c):02x}" for c in mixed)


def _wrap(text: str, *, max_lines: int = 2) -> list[str]:
    lines, line, units = [], "", 0
    for char in text:
        width = 1 if char.isascii() else 2
        if units + width > LINE_UNITS:
            lines.append(line)
            line, units = "", 0
        line += char
        units += width
    lines.append(line)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1][:-1] + "…"]
    return lines


def cover_svg(*, title: str, caption: str, colour: str, glyph: str, variant: int) -> str:
    """A 16:9 cover: the gradient, ``glyph`` as a watermark, ``variant`` picks the shapes."""
    dark = _shade(colour, 0.55)
    light = _shade(colour, 1.35)
    shapes = (
        f'<circle cx="{520 - variant % 5 * 20}" cy="{70 + variant % 3 * 25}"'
        f' r="{90 + variant % 4 * 15}" fill="{light}" fill-opacity="0.25"/>',
        f'<polygon points="0,{HEIGHT} 0,{230 + variant % 6 * 10} {260 + variant % 7 * 20},{HEIGHT}"'
        f' fill="{dark}" fill-opacity="0.35"/>',
        f'<rect x="{440 + variant % 4 * 15}" y="{220 + variant % 5 * 8}" width="120" height="120"'
        f' rx="24" fill="#ffffff" fill-opacity="0.12" transform="rotate({variant % 30} 500 280)"/>',
    )
    title_lines = "".join(
        f'<tspan x="40" dy="{0 if i == 0 else 48}">{escape(line)}</tspan>'
        for i, line in enumerate(_wrap(title))
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}">'
        '<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{light}"/><stop offset="1" stop-color="{dark}"/>'
        "</linearGradient></defs>"
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#bg)"/>'
        f"{''.join(shapes)}"
        f'<text x="600" y="150" text-anchor="end" font-family="{FONT}" font-size="120"'
        f' font-weight="700" fill="#ffffff" fill-opacity="0.22">{escape(glyph)}</text>'
        f'<text x="40" y="64" font-family="{FONT}" font-size="22" fill="#ffffff"'
        f' fill-opacity="0.85">{escape(caption)}</text>'
        f'<text x="40" y="230" font-family="{FONT}" font-size="38" font-weight="700"'
        f' fill="#ffffff">{title_lines}</text>'
        "</svg>"
    )


def avatar_svg(*, name: str, colour: str) -> str:
    """A round avatar with the first character of ``name``."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        f'<circle cx="128" cy="128" r="128" fill="{colour}"/>'
        f'<circle cx="128" cy="128" r="104" fill="{_shade(colour, 1.25)}" fill-opacity="0.35"/>'
        f'<text x="128" y="168" text-anchor="middle" font-family="{FONT}" font-size="112"'
        f' font-weight="700" fill="#ffffff">{escape(name[:1])}</text>'
        "</svg>"
    )


def save_svg(*, name: str, svg: str) -> str:
    """Store ``svg`` under exactly ``name`` (a previous file of that name is replaced)."""
    default_storage.delete(name)
    return default_storage.save(name, ContentFile(svg.encode()))


def delete_files(*, names: list[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
