#!/usr/bin/env python3
"""The report in a real browser: ctest e2e_report_browser.

    report_browser.py SIEVE_BINARY SOURCE_DIR SCRATCH_DIR

Builds a report from small inputs (sieve compress --data none, simulate and compare on thesis
benchmarks, reproduce ese-, a sweep fixture), checks that the HTML references nothing outside
itself, then renders it in headless Chromium and checks three things:
  1. no console message and no script error (Chromium's CONSOLE log lines on stderr, and the
     errors the page's own script records in <html data-errors>);
  2. every figure has a non-empty rendered size (the page's script writes each figure's
     getBoundingClientRect into data-rendered-size; --dump-dom shows the DOM after load);
  3. a screenshot PNG is not blank (decoded here with zlib: more than one colour, and more than
     1 % of the pixels differ from the background).
Exits 77 (ctest: skipped) with a message when Chromium or gnuplot is absent; 0 on a pass, 1 on a
failure. Chromium's profile, cache and home are kept in SCRATCH_DIR (never in $HOME).
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

SKIP = 77


def fail(msg):
    print(f"report_browser: FAILED: {msg}")
    sys.exit(1)


def run(cmd, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kw)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def png_pixels(path):
    """Decodes a non-interlaced 8-bit RGB/RGBA/grey PNG: (width, height, channels, rows)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG file")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = ihdr
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        fail(f"{path}: PNG depth {depth}, colour type {colour}, interlace {interlace}: "
             "this check reads 8-bit non-palette non-interlaced PNGs only")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 0xFF
            elif ftype == 2:
                line[x] = (line[x] + b) & 0xFF
            elif ftype == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    sieve, source, scratch = sys.argv[1:4]
    chromium = find_chromium()
    if chromium is None:
        print("report_browser: SKIPPED: Chromium is not installed (Debian package chromium, in "
              "deps/debian-packages.txt; make test installs it)")
        return SKIP
    if shutil.which("gnuplot") is None:
        print("report_browser: SKIPPED: gnuplot is not installed (Debian package gnuplot-nox, "
              "in deps/debian-packages.txt)")
        return SKIP
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)

    # The inputs: one of every kind, two benchmarks for the per-benchmark bars.
    inputs = {
        "compress.json": ["compress", "--model", "lenet5", "--data", "none", "--recipe",
                          os.path.join(source, "recipes/cambricon-s/lenet5.yaml"), "--json"],
        "simulate.json": ["simulate", "--model", "thesis:lenet5", "--json"],
        "compare-lenet5.json": ["compare", "--archs", "sieve,diannao,cambricon-x,eie",
                                "--model", "thesis:lenet5", "--json"],
        "compare-lenet-300-100.json": ["compare", "--archs", "sieve,diannao,cambricon-x,eie",
                                       "--model", "thesis:lenet-300-100", "--json"],
        "reproduce.json": ["reproduce", "ese-", "--json"],
    }
    paths = []
    for name, args in inputs.items():
        r = run([sieve] + args)
        if r.returncode != 0:
            fail(f"sieve {' '.join(args)} exited {r.returncode}: {r.stderr}")
        path = os.path.join(scratch, name)
        open(path, "w").write(r.stdout)
        paths.append(path)
    paths.append(os.path.join(source, "tests/data/report/sweep-small.json"))
    html_path = os.path.join(scratch, "report.html")
    r = run([sieve, "report"] + paths + ["-o", html_path])
    if r.returncode != 0:
        fail(f"sieve report exited {r.returncode}: {r.stdout}{r.stderr}")
    print(r.stdout.strip())
    html = open(html_path, encoding="utf-8").read()

    # Self-contained: nothing fetched. (The SVG namespace URIs in xmlns are names, not fetches.)
    external = re.findall(r"""(?:\b(?:src|href|action|poster)\s*=\s*["']?(?!#|data:)[^"'\s>]+)"""
                          r"""|url\(\s*["']?(?!#|data:)[^)]*\)|@import|<link\b|<iframe\b""", html)
    if external:
        fail(f"the report references outside resources: {external[:5]}")
    expected_figures = len(re.findall(r'<figure class="chart"', html))
    if expected_figures < 8:
        fail(f"only {expected_figures} figures in the report; expected one per plot of every kind")

    home = os.path.join(scratch, "home")
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"))
    url = "file://" + os.path.abspath(html_path)
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              "--user-data-dir=" + os.path.join(scratch, "profile"), "--hide-scrollbars",
              "--enable-logging=stderr", "--v=0", "--window-size=1280,2400"]

    # 1 and 2: the DOM after load.
    r = run(common + ["--dump-dom", url], env=env, timeout=180)
    if r.returncode != 0:
        fail(f"chromium --dump-dom exited {r.returncode}: {r.stderr[-2000:]}")
    dom = r.stdout
    console = [l for l in r.stderr.splitlines() if ":CONSOLE" in l]
    if console:
        fail("console messages: " + " / ".join(console[:5]))
    m = re.search(r"<html[^>]*>", dom)
    if not m:
        fail("no <html> element in the dumped DOM")
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(0)))
    if attrs.get("data-errors"):
        fail(f"script errors: {attrs['data-errors']}")
    if attrs.get("data-figures") != str(expected_figures):
        fail(f"the page's script saw {attrs.get('data-figures')} figures, the HTML has "
             f"{expected_figures} (did the script run?)")
    if attrs.get("data-empty-figures") != "0":
        fail(f"{attrs.get('data-empty-figures')} figures rendered empty")
    sizes = re.findall(
        r'<figure class="chart" id="(fig\d+)"[^>]*? data-rendered-size="(\d+)x(\d+)"', dom)
    if len(sizes) != expected_figures:
        fail(f"{len(sizes)} figures carry a rendered size, expected {expected_figures}")
    for fig, w, h in sizes:
        if int(w) <= 0 or int(h) <= 0:
            fail(f"{fig} rendered {w}x{h}")
    print(f"report_browser: {expected_figures} figures rendered, e.g. "
          f"{', '.join(f'{f} {w}x{h}' for f, w, h in sizes[:4])}; no console messages")

    # 3: the screenshot is not blank.
    shot = os.path.join(scratch, "report.png")
    r = run(common + ["--screenshot=" + shot, url], env=env, timeout=180)
    if r.returncode != 0 or not os.path.exists(shot):
        fail(f"chromium --screenshot exited {r.returncode}: {r.stderr[-2000:]}")
    width, height, channels, rows = png_pixels(shot)
    colours, background, differ = set(), rows[0][:channels], 0
    for row in rows:
        for x in range(0, len(row), channels):
            px = row[x:x + channels]
            colours.add(px)
            if px != background:
                differ += 1
    share = differ / (width * height)
    print(f"report_browser: screenshot {width}x{height}, {len(colours)} colours, "
          f"{100 * share:.1f} % of the pixels not background")
    if len(colours) < 2:
        fail("the screenshot is one colour: blank")
    if share < 0.01:
        fail("the screenshot is almost blank")
    print("report_browser: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
