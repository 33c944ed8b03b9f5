#!/usr/bin/env python3
"""Rebuild the content and style training folders from installed Debian packages.

Reads the rules of packages.txt (which files of which package go to which
split, under which licence), checks each package's licence in
/usr/share/doc/PKG/copyright, lists its files with `dpkg -L`, keeps raster
pictures (PNG, JPEG, WebP, TIFF) whose shorter side is at least 256 pixels,
drops duplicates (same bytes, or the same picture at several resolutions:
the largest is kept) and puts the files into OUT/content, OUT/style,
OUT/heldout-content and OUT/heldout-style (the pictures heldout.tsv lists:
fixed, so that the judge's pairs stay the same as pictures are added).
MANIFEST.tsv records every file.

Python 3 standard library only; picture sizes are read from the file
headers, nothing is decoded or converted.
"""

import argparse
import fnmatch
import hashlib
import importlib.util
import math
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"}
MIN_SIDE = 256
HELDOUT_FRACTION = 0.1
SPLITS = ("content", "style")

# Licences (short names as Debian's copyright files spell them, compared
# case-insensitively) that allow training on the pictures and redistributing
# them. Anything else is refused.
FREE_LICENCES = re.compile(
    r"^(gpl|lgpl|agpl)(-[0-9.]+(\+|-or-later|-only)?)?$"
    r"|^gpl-and-lgpl$|^cc-by(-sa)?-[0-9.]+$|^cc0(-1\.0)?$|^public-domain$"
    r"|^(expat|mit|isc|zlib|apache-2\.0|bsd-[23]-clause(-[a-z]+)?|imagemagick)$",
    re.IGNORECASE)
# Words in a copyright file that make a package unclear for our purposes,
# whatever the rule says (non-commercial or no-derivatives terms).
NOT_FREE = re.compile(r"\bCC-BY(-SA)?-N[CD]|NonCommercial|NoDeriv|"
                      r"non-commercial (use|purposes)|for non-commercial", re.IGNORECASE)
# How free-form (not machine-readable) copyright files name the licences.
LICENCE_PHRASES = {
    "gpl-2+": [r"GNU General Public License.{0,200}?(version 2|either version 2)"
               r".{0,200}?(any later|later version)"],
    "gpl-3+": [r"GNU General Public License.{0,200}?version 3"],
    "lgpl-2.1+": [r"GNU (Lesser|Library) General Public License"],
    "cc-by-sa-3.0": [r"Creative Commons Attribution[- ]ShareAlike 3\.0"],
    "cc-by-sa-2.0": [r"Creative Commons Attribution[- ]ShareAlike 2\.0"],
    "cc-by-2.0": [r"Creative Commons Attribution 2\.0"],
    "public-domain": [r"public domain"],
    "cc0-1.0": [r"\bCC0\b", r"Public Domain Dedication"],
}


# ---- picture headers -------------------------------------------------------

def png_info(f):
    """(width, height, has_alpha) of a PNG, or None."""
    head = f.read(33)
    if len(head) < 33 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height, _depth, colour = struct.unpack(">IIBB", head[16:26])
    alpha = colour in (4, 6)
    # a tRNS chunk before the first IDAT makes a colour transparent
    while not alpha:
        chunk = f.read(8)
        if len(chunk) < 8:
            break
        length, kind = struct.unpack(">I4s", chunk)
        if kind == b"IDAT":
            break
        if kind == b"tRNS":
            alpha = True
        f.seek(length + 4, os.SEEK_CUR)
    return width, height, alpha


def jpeg_info(f):
    if f.read(2) != b"\xff\xd8":
        return None
    while True:
        byte = f.read(1)
        while byte and byte != b"\xff":
            byte = f.read(1)
        while byte == b"\xff":
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            data = f.read(5)
            if len(data) < 5:
                return None
            height, width = struct.unpack(">HH", data[1:5])
            return width, height, False
        f.seek(length - 2, os.SEEK_CUR)


def webp_info(f):
    head = f.read(30)
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    kind = head[12:16]
    if kind == b"VP8 ":
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF, False
    if kind == b"VP8L":
        bits = struct.unpack("<I", head[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, bool(bits >> 28 & 1)
    if kind == b"VP8X":
        flags = head[20]
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h, bool(flags & 0x10)
    return None


def tiff_info(f):
    head = f.read(8)
    if head[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    order = "<" if head[:2] == b"II" else ">"
    f.seek(struct.unpack(order + "I", head[4:8])[0])
    count = struct.unpack(order + "H", f.read(2))[0]
    width = height = None
    alpha = False
    for _ in range(count):
        tag, kind, _n, value = struct.unpack(order + "HHI4s", f.read(12))
        number = struct.unpack(order + ("H" if kind == 3 else "I"),
                               value[:2] if kind == 3 else value)[0]
        if tag == 256:
            width = number
        elif tag == 257:
            height = number
        elif tag == 338:
            alpha = True
    if width is None or height is None:
        return None
    return width, height, alpha


def picture_info(path):
    """(width, height, has_alpha), or None for anything unreadable."""
    readers = {".png": png_info, ".jpg": jpeg_info, ".jpeg": jpeg_info,
               ".webp": webp_info, ".tif": tiff_info, ".tiff": tiff_info}
    # the content decides, as for the trainer, whatever the name says
    try:
        with open(path, "rb") as f:
            for reader in [readers[os.path.splitext(path)[1].lower()]] + list(readers.values()):
                f.seek(0)
                try:
                    info = reader(f)
                except (struct.error, OSError):
                    info = None
                if info and info[0] > 0 and info[1] > 0:
                    return info
    except OSError:
        pass
    return None


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---- packages ---------------------------------------------------------------

class Rule:
    def __init__(self, split, package, licence, alpha_ok, include, exclude, line):
        self.split, self.package, self.licence = split, package, licence
        self.alpha_ok, self.include, self.exclude, self.line = alpha_ok, include, exclude, line

    def matches(self, path):
        return (any(fnmatch.fnmatchcase(path, p) for p in self.include)
                and not any(fnmatch.fnmatchcase(path, p) for p in self.exclude))


def read_rules(path):
    """packages.txt: `split package licence [+alpha] pattern... [!pattern...]`."""
    rules = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) < 4 or words[0] not in SPLITS:
                sys.exit(f"{path}:{number}: expected `split package licence pattern...` "
                         f"with split one of {', '.join(SPLITS)}")
            split, package, licence, rest = words[0], words[1], words[2], words[3:]
            alpha_ok = "+alpha" in rest
            patterns = [w for w in rest if w != "+alpha"]
            include = [p for p in patterns if not p.startswith("!")]
            exclude = [p[1:] for p in patterns if p.startswith("!")]
            if not FREE_LICENCES.match(licence):
                sys.exit(f"{path}:{number}: licence {licence} is not on the list of "
                         "licences that allow training and redistribution")
            rules.append(Rule(split, package, licence, alpha_ok, include, exclude, number))
    return rules


def dpkg_query(package, field):
    r = subprocess.run(["dpkg-query", "-W", "-f", "${" + field + "}", package],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def installed(package):
    return (dpkg_query(package, "db:Status-Abbrev") or "").startswith("ii")


def is_free(expression):
    """An expression of licence names: `a or b` needs one free, `a and b` both."""
    alternatives = re.split(r"\s+or\s+", expression.strip(), flags=re.IGNORECASE)
    return any(all(FREE_LICENCES.match(n) for n in re.split(r"\s+and\s+", a,
                                                            flags=re.IGNORECASE))
               for a in alternatives)


def copyright_text(package):
    try:
        with open(f"/usr/share/doc/{package}/copyright", encoding="utf-8",
                  errors="replace") as f:
            return f.read()
    except OSError:
        return None


def file_licences(text):
    """The (patterns, licence) of a machine-readable copyright file's Files
    paragraphs that name files (not the catch-all `*`), in file order."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text):
        files = re.search(r"^Files:(.*(?:\n[ \t]+.*)*)", paragraph, re.MULTILINE)
        licence = re.search(r"^License:[ \t]*(\S.*)$", paragraph, re.MULTILINE)
        if files and licence:
            patterns = [p for p in files.group(1).split() if p not in ("*", "debian/*")]
            if patterns:
                out.append((patterns, licence.group(1).strip()))
    return out


def names_file(pattern, path):
    """Whether a copyright file's pattern (a path in the source tree) names
    the installed path: some tail of the pattern, of two or more components
    or a plain file name, ends the path (installation drops the leading
    folders: data/images/x.jpg lands in /usr/share/game/images/x.jpg)."""
    parts = pattern.lstrip("./").split("/")
    for k in range(len(parts)):
        tail = parts[k:]
        if len(tail) < 2 and any(ch in tail[0] for ch in "*?["):
            break
        if fnmatch.fnmatchcase(path, "*/" + "/".join(tail)):
            return True
    return False


def licence_of_file(path, paragraphs, default):
    """The licence of the last paragraph that names the file, else default."""
    found = default
    for patterns, licence in paragraphs:
        if any(names_file(p, path) for p in patterns):
            found = licence
    return found


def licence_problem(package, licence):
    """None when the package's copyright file supports licence, else why not."""
    section = dpkg_query(package, "Section") or ""
    if section.startswith(("non-free", "contrib")):
        return f"section {section}"
    path = f"/usr/share/doc/{package}/copyright"
    text = copyright_text(package)
    if text is None:
        return f"no {path}"
    bad = NOT_FREE.search(text)
    if bad:
        return f"copyright file mentions {bad.group(0)!r}"
    names = set()
    for m in re.finditer(r"^License:[ \t]*(.+)$", text, re.MULTILINE):
        names.update(n.strip().lower() for n in re.split(r"\s+(?:or|and)\s+", m.group(1)))
    wanted = licence.lower()
    aliases = {wanted, wanted.replace("-or-later", "+"), wanted.replace("+", ".0-or-later"),
               wanted.replace("+", "-or-later")}
    if aliases & names:
        return None
    flat = re.sub(r"\s+", " ", text)
    for phrase in LICENCE_PHRASES.get(wanted, []):
        if re.search(phrase, flat, re.IGNORECASE):
            return None
    return f"{licence} not found in {path}"


def package_files(package):
    r = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True)
    return [p for p in r.stdout.splitlines() if os.path.isfile(p) and not os.path.islink(p)]


# ---- selection --------------------------------------------------------------

RESOLUTION = re.compile(r"[_-]?\d{3,5}x\d{3,5}")


def same_picture_key(package, path):
    """Files that differ only by a resolution in the name (Elephants.jpg,
    Elephants_3840x2160.jpg; Autumn/contents/images/1920x1080.jpg, …/5120x2880.jpg)."""
    folder, name = os.path.split(path)
    stem = RESOLUTION.sub("", os.path.splitext(name)[0])
    return package, folder, stem.lower()


def flat_name(package, path):
    rel = path
    for prefix in ("/usr/share/games/", "/usr/share/doc/", "/usr/share/"):
        if rel.startswith(prefix):
            rel = rel[len(prefix):]
            break
    rel = rel.replace("/contents/images/", "/").replace("/", "-")
    rel = re.sub(r"[^A-Za-z0-9._+-]", "_", rel)
    return f"{package}_{rel}"


def select(rules, log):
    """Returns the kept pictures (dicts) and the skip counts."""
    skipped = {}

    def skip(reason):
        skipped[reason] = skipped.get(reason, 0) + 1

    by_package = {}
    for rule in rules:
        by_package.setdefault(rule.package, []).append(rule)
    candidates = []
    for package, package_rules in by_package.items():
        if not installed(package):
            continue
        for rule in package_rules:
            problem = licence_problem(package, rule.licence)
            if problem:
                log(f"refused {package} (rule line {rule.line}): {problem}")
                break
        else:
            version = dpkg_query(package, "Version")
            paragraphs = file_licences(copyright_text(package))
            for path in package_files(package):
                ext = os.path.splitext(path)[1].lower()
                rule = next((r for r in package_rules if r.matches(path)), None)
                if not rule:
                    continue
                if ext == ".svg" or ext == ".svgz":
                    skip("SVG")
                    continue
                if ext not in EXTENSIONS:
                    skip("not a raster picture")
                    continue
                info = picture_info(path)
                if not info:
                    skip("unreadable header")
                    continue
                width, height, alpha = info
                if min(width, height) < MIN_SIDE:
                    skip(f"shorter side < {MIN_SIDE}")
                    continue
                if alpha and not rule.alpha_ok:
                    skip("transparency")
                    continue
                licence = licence_of_file(path, paragraphs, rule.licence)
                if not is_free(licence):
                    log(f"left out {path}: its licence is {licence}")
                    skip("licence")
                    continue
                candidates.append(dict(split=rule.split, package=package, version=version,
                                       licence=licence, path=path, width=width,
                                       height=height, sha256=sha256_of(path)))
    # the largest of each picture's resolutions, then one copy of each file
    best = {}
    for c in candidates:
        key = same_picture_key(c["package"], c["path"])
        old = best.get(key)
        if old is None or c["width"] * c["height"] > old["width"] * old["height"]:
            if old is not None:
                skip("smaller resolution of a kept picture")
            best[key] = c
        else:
            skip("smaller resolution of a kept picture")
    kept, seen = [], set()
    for c in sorted(best.values(), key=lambda c: (c["package"], c["path"])):
        if c["sha256"] in seen:
            skip("same bytes as a kept picture")
            continue
        seen.add(c["sha256"])
        c["file"] = flat_name(c["package"], c["path"])
        kept.append(c)
    return kept, skipped


def procedural(out, count):
    """make-styles.py's pictures (the project's own, MIT), made in OUT/.procedural."""
    if count <= 0:
        return []
    spec = importlib.util.spec_from_file_location("make_styles",
                                                  os.path.join(HERE, "make-styles.py"))
    make_styles = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_styles)
    folder = os.path.join(out, ".procedural")
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    out_list = []
    for i, path in enumerate(make_styles.generate(folder, count)):
        name = os.path.basename(path)
        out_list.append(dict(split="style", package="vk-adain", version="make-styles.py",
                             licence="MIT", path=f"make-styles.py #{i}", width=512,
                             height=512, sha256=sha256_of(path), file=name, local=path))
    return out_list


def read_heldout(path):
    """The frozen held-out split: {sha256: split} from HELDOUT.tsv, or None."""
    if not os.path.exists(path):
        return None
    frozen = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#") or line.startswith("split\t"):
                continue
            fields = line.split("\t")
            if len(fields) < 2 or fields[0] not in SPLITS or not re.fullmatch(r"[0-9a-f]{64}", fields[1]):
                raise SystemExit(f"{path}:{n}: expected 'split<TAB>sha256<TAB>file', got {line!r}")
            frozen[fields[1]] = fields[0]
    return frozen


def assign_splits(kept, frozen, log):
    """With a frozen list, exactly its pictures are held out, so that the
    judge's pairs stay the same when pictures are added; without one, the
    first tenth of each split in sha256 order."""
    if frozen is not None:
        found = set()
        for c in kept:
            held = frozen.get(c["sha256"]) == c["split"]
            c["folder"] = ("heldout-" + c["split"]) if held else c["split"]
            if held:
                found.add(c["sha256"])
        for sha, split in sorted(frozen.items()):
            if sha not in found:
                log(f"warning: held-out {split} picture {sha[:12]}… is not installed")
        return
    for split in SPLITS:
        items = sorted((c for c in kept if c["split"] == split), key=lambda c: c["sha256"])
        n_held = math.ceil(len(items) * HELDOUT_FRACTION) if items else 0
        for i, c in enumerate(items):
            c["folder"] = ("heldout-" + split) if i < n_held else split


def write_heldout(path, kept):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("split\tsha256\tfile\n")
        for c in sorted(kept, key=lambda c: (c["split"], c["sha256"])):
            if c["folder"].startswith("heldout-"):
                f.write(f"{c['split']}\t{c['sha256']}\t{c['file']}\n")
    os.replace(tmp, path)


def place(src, dst, mode):
    if mode == "symlink":
        os.symlink(src, dst)
        return
    if mode == "hardlink":
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", default=os.path.join(HERE, "packages.txt"),
                    help="the rules (default: packages.txt beside this script)")
    ap.add_argument("--out", help="folder to (re)build: content/, style/, heldout-*/")
    ap.add_argument("--manifest", default=os.path.join(HERE, "MANIFEST.tsv"),
                    help="where to write the manifest (default: beside this script)")
    ap.add_argument("--mode", choices=("hardlink", "copy", "symlink"), default="hardlink",
                    help="how files are put into OUT (hardlink falls back to copy)")
    ap.add_argument("--print-install", action="store_true",
                    help="print the apt-get command for the packages not installed, and exit")
    ap.add_argument("--allow-missing", action="store_true",
                    help="build from the installed packages even if some are missing")
    ap.add_argument("--procedural", type=int, default=160, metavar="N",
                    help="add N pictures of make-styles.py to the style set (default 160)")
    ap.add_argument("--heldout", default=os.path.join(HERE, "heldout.tsv"),
                    help="the frozen held-out split (default: heldout.tsv beside this "
                         "script; written from the first-tenth rule when it does not exist)")
    args = ap.parse_args()

    rules = read_rules(args.packages)
    packages = list(dict.fromkeys(r.package for r in rules))
    missing = [p for p in packages if not installed(p)]
    if args.print_install:
        if missing:
            print("apt-get install --no-install-recommends " + " ".join(missing))
        return 0
    if missing and not args.allow_missing:
        print("not installed: " + " ".join(missing), file=sys.stderr)
        print("install them with: apt-get install --no-install-recommends "
              + " ".join(missing) + "  (or pass --allow-missing)", file=sys.stderr)
        return 1
    if not args.out:
        ap.error("--out is required")

    def log(message):
        print(message, file=sys.stderr)

    kept, skipped = select(rules, log)
    kept += procedural(args.out, args.procedural)
    frozen = read_heldout(args.heldout)
    assign_splits(kept, frozen, log)
    if frozen is None:
        write_heldout(args.heldout, kept)

    folders = [s for s in SPLITS] + ["heldout-" + s for s in SPLITS]
    for folder in folders:
        path = os.path.join(args.out, folder)
        if os.path.isdir(path):
            shutil.rmtree(path)
        os.makedirs(path)
    for c in kept:
        place(c.get("local", c["path"]), os.path.join(args.out, c["folder"], c["file"]),
              args.mode)

    order = {f: i for i, f in enumerate(folders)}
    rows = sorted(kept, key=lambda c: (order[c["folder"]], c["file"]))
    tmp = args.manifest + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("split\tfile\tpackage\tversion\tlicence\tsha256\tsource\n")
        for c in rows:
            f.write("\t".join([c["folder"], c["file"], c["package"], c["version"],
                               c["licence"], c["sha256"], c["path"]]) + "\n")
    os.replace(tmp, args.manifest)

    for folder in folders:
        print(f"{folder}: {sum(1 for c in kept if c['folder'] == folder)}")
    for reason, n in sorted(skipped.items()):
        print(f"skipped ({reason}): {n}")
    if missing:
        print("not installed (left out): " + " ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
