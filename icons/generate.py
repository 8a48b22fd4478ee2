#!/usr/bin/env python3
"""Cremmy's icon set, every size from one source drawing (what `cargo tauri icon` makes, without
needing tauri-cli): PNGs for Linux and the window, .ico for Windows, .icns for macOS, the Windows
Store logos, and the tray glyph. Run: python3 icons/generate.py (needs Pillow)."""

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
TEAL = (15, 118, 110, 255)
DARK = (8, 60, 56, 255)
WHITE = (255, 255, 255, 255)


def source(size: int = 1024) -> Image.Image:
    """The app icon: a rounded teal tile with a white "C" and a small card (a CRM's contact)."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    pad = size // 16
    d.rounded_rectangle((pad, pad, size - pad, size - pad), radius=size // 5, fill=TEAL, outline=DARK, width=size // 64)
    ring = size // 4
    d.arc((ring, ring, size - ring, size - ring), start=40, end=320, fill=WHITE, width=size // 9)
    dot = size // 14
    c = size // 2
    d.ellipse((c + size // 6 - dot, c - dot, c + size // 6 + dot, c + dot), fill=WHITE)
    return img


def tray(size: int = 64) -> Image.Image:
    """The tray glyph: a disc (contrast on light panels) with a dark rim (on dark panels), legible
    at 16-22 px."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((2, 2, size - 3, size - 3), fill=TEAL, outline=DARK, width=max(1, size // 21))
    inset = size // 4
    d.arc((inset, inset, size - inset - 1, size - inset - 1), start=45, end=315, fill=WHITE, width=max(2, size // 8))
    return img


def main() -> None:
    big = source()
    big.save(HERE / "source.png")
    for name, px in {
        "32x32.png": 32,
        "64x64.png": 64,
        "128x128.png": 128,
        "128x128@2x.png": 256,
        "icon.png": 512,
        "StoreLogo.png": 50,
        "Square30x30Logo.png": 30,
        "Square44x44Logo.png": 44,
        "Square71x71Logo.png": 71,
        "Square89x89Logo.png": 89,
        "Square107x107Logo.png": 107,
        "Square142x142Logo.png": 142,
        "Square150x150Logo.png": 150,
        "Square284x284Logo.png": 284,
        "Square310x310Logo.png": 310,
    }.items():
        big.resize((px, px), Image.LANCZOS).save(HERE / name)
    big.save(HERE / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    big.save(HERE / "icon.icns")
    tray().save(HERE / "tray.png")


if __name__ == "__main__":
    main()
