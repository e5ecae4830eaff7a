#!/usr/bin/env python3
"""Make `asv publish`'s HTML work with no network (`make bench-html` runs this after asv publish).

asv 0.6's index.html loads jQuery, flot and its plugins, stupidtable, blueimp-md5 and bootstrap from CDNs;
offline (a cluster node, an air-gapped machine) its graphs never render. This copies the npm copies of
the same libraries vendored in vendor/asv-html/ (MANIFEST.json: CDN URL -> file, npm package and version,
licence) into HTML_DIR/vendor/ and points every <script src> and <link href> at them.

A vendored file whose bytes equal the CDN's keeps asv's Subresource Integrity hash, so the browser itself
checks it; a file that differs (flot's npm package ships the unminified sources that cdnjs minified,
stupidtable 1.0.1 is not on npm) gets the vendored file's own hash instead. A CDN URL missing from the
manifest (a newer asv) is an error naming it, never a page that silently still needs the network.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor" / "asv-html"
SUBDIR = "vendor"  # inside the HTML directory

_TAG = re.compile(r"<(script|link)\b[^>]*>", re.I)
_REF = re.compile(r"""\b(src|href)\s*=\s*(["'])([^"']*)\2""", re.I)
_ATTR = re.compile(r"""\s+(integrity|crossorigin|referrerpolicy)\s*=\s*(["'])[^"']*\2""", re.I)
_INTEGRITY = re.compile(r"""\bintegrity\s*=\s*(["'])([^"']*)\1""", re.I)


class OfflineHtmlError(RuntimeError):
    """The published page cannot be made to work offline (named URL, missing file, ...)."""


def is_remote(url: str) -> bool:
    """True for what a browser would fetch from another host: http(s)://..., protocol-relative //host/..."""
    return bool(re.match(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", url, re.I)) and not url.lower().startswith("file:")


def sri(data: bytes, alg: str = "sha256") -> str:
    """A Subresource Integrity value (`alg-base64digest`) of data."""
    return f"{alg}-{base64.b64encode(hashlib.new(alg, data).digest()).decode()}"


def load_manifest(vendor: Path = VENDOR) -> dict[str, dict]:
    """{cdn_url: entry} of vendor/MANIFEST.json, each vendored file checked against its recorded sha256."""
    path = vendor / "MANIFEST.json"
    if not path.is_file():
        raise OfflineHtmlError(f"{path}: missing; expected the manifest of the vendored asv HTML libraries")
    entries = {}
    for e in json.loads(path.read_text())["files"]:
        file = vendor / e["file"]
        if not file.is_file():
            raise OfflineHtmlError(f"{file}: missing (listed in {path} for {e['cdn_url']})")
        if sri(file.read_bytes()) != e["sha256"]:
            raise OfflineHtmlError(f"{file}: sha256 differs from {path} ({e['sha256']}); "
                                   f"re-extract it from npm package {e['npm']} ({e['npm_path']})")
        entries[e["cdn_url"]] = e
    return entries


def _integrity_ok(declared: str | None, data: bytes) -> bool:
    """Whether data matches one of the hashes in an integrity attribute (SRI: any listed hash may match)."""
    for token in (declared or "").split():
        alg = token.split("-", 1)[0]
        if alg in ("sha256", "sha384", "sha512") and sri(data, alg) == token:
            return True
    return False


def rewrite(html: str, manifest: dict[str, dict], vendor: Path = VENDOR) -> tuple[str, list[dict]]:
    """(html with every CDN <script>/<link> pointing at SUBDIR/<file>, one record per replaced URL)."""
    records = []

    def tag(m: re.Match) -> str:
        text = m.group(0)
        ref = _REF.search(text)
        if not ref or not is_remote(ref.group(3)):
            return text
        url = ref.group(3)
        if url not in manifest:
            raise OfflineHtmlError(f"asv's page loads {url}, which vendor/asv-html/MANIFEST.json does not vendor; "
                                   "add that library from npm (see vendor/asv-html/README.md)")
        entry = manifest[url]
        data = (vendor / entry["file"]).read_bytes()
        declared = _INTEGRITY.search(text)
        same = _integrity_ok(declared and declared.group(2), data)
        integrity = declared.group(2) if same else sri(data, "sha384")
        text = _ATTR.sub("", text)
        text = (text[:ref.start()] + f'{ref.group(1)}="{SUBDIR}/{entry["file"]}" integrity="{integrity}"'
                + text[ref.end():])
        records.append({"cdn_url": url, "local": f"{SUBDIR}/{entry['file']}", "npm": entry["npm"],
                        "same_bytes_as_cdn": same})
        return text

    return _TAG.sub(tag, html), records


def remote_refs(html: str) -> list[str]:
    """Every remote URL a <script>/<link>/<img>/... would fetch (anchors <a href> are links, not fetches)."""
    out = []
    for m in re.finditer(r"<(?!a\b)(\w+)\b[^>]*>", html, re.I):
        out += [r.group(3) for r in _REF.finditer(m.group(0)) if is_remote(r.group(3))]
    return out


def make_offline(html_dir: Path, vendor: Path = VENDOR) -> list[dict]:
    """Rewrite html_dir/*.html in place and copy the vendored files (with their licences) under it."""
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise OfflineHtmlError(f"{html_dir}: no index.html; run `asv publish` first (make bench-html does)")
    manifest = load_manifest(vendor)
    target = html_dir / SUBDIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(vendor, target)
    records = []
    for page in sorted(html_dir.glob("*.html")):
        html, done = rewrite(page.read_text(encoding="utf-8"), manifest, vendor)
        left = remote_refs(html)
        if left:
            raise OfflineHtmlError(f"{page}: still loads {left} after the rewrite")
        tmp = page.with_suffix(".html.tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(page)
        records += [dict(r, page=page.name) for r in done]
    return records


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("html_dir", type=Path, nargs="?", default=None, help="default: html_dir of the asv config")
    p.add_argument("--config", type=Path, default=ROOT / "asv.conf.json", help="asv config (default: the repository's)")
    args = p.parse_args(argv)
    html_dir = args.html_dir or conf_html_dir(args.config)
    try:
        records = make_offline(html_dir)
    except OfflineHtmlError as err:
        print(f"asv_offline_html: {err}", file=sys.stderr)
        return 2
    same = sum(r["same_bytes_as_cdn"] for r in records)
    print(f"asv_offline_html: {html_dir}: {len(records)} CDN references now load {SUBDIR}/ "
          f"({same} byte-identical to the CDN file, browser-checked by asv's own integrity hash)")
    return 0


def conf_html_dir(conf: Path) -> Path:
    """html_dir of an asv config (asv allows // comments; a relative path is relative to the config)."""
    text = re.sub(r"^\s*//.*$", "", Path(conf).read_text(), flags=re.M)
    return Path(conf).resolve().parent / json.loads(text).get("html_dir", "html")


if __name__ == "__main__":
    sys.exit(main())
