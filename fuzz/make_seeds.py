#!/usr/bin/env python3
"""Writes the small seed corpus under fuzz/seeds/ (run from anywhere; stdlib only).

load seeds: byte 0 is the mode byte of fuzz_targets/load.rs (mode % 4 picks the header the
target prepends: 0 none, 1 Danish long `;`, 2 canonical long `,` with optional columns,
3 wide `;`), the rest is the file body. The bodies are 2-3 authorities x 2-3 visits with
every universal indicator, so the filters keep visits and the statistics run.
stats seeds: flags byte, split byte, then value tokens (see fuzz_targets/stats.rs).
"""
import io
import pathlib
import random
import struct
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
LOAD = HERE / "seeds" / "load"
STATS = HERE / "seeds" / "stats"

UNIVERSAL = ["1.a", "1.b", "2.a", "2.c", "3.a", "3.b", "3.c", "4.a", "4.b", "5.a", "5.b",
             "5.c", "7.a", "8.a", "8.b", "9.a", "9.b", "9.c", "10.a", "10.b", "14.a", "14.b"]
OPTIONAL = ["2.b", "2.d", "6.a", "6.b", "8.c", "9.d", "14.c"]
ALL = sorted(UNIVERSAL + OPTIONAL, key=lambda s: (int(s.split(".")[0]), s.split(".")[1]))
VISITS = [("Nord", "v1"), ("Nord", "v2"), ("Syd", "v3"), ("Syd", "v4"), ("Midt", "v5"),
          ("Midt", "v6")]


def scores(seed):
    rng = random.Random(seed)
    return {ind: rng.choice([2, 3, 3, 4, 4, 4, 5]) for ind in ALL}


def long_rows(sep, decimal_comma, extra_cols=False, with_optional=False):
    out = []
    for n, (auth, visit) in enumerate(VISITS):
        s = scores(n)
        for ind in UNIVERSAL + (OPTIONAL[:2] if with_optional else []):
            v = f"{s[ind]},0" if decimal_comma else str(s[ind])
            cols = [auth, visit, ind, v]
            if extra_cols:
                cols += [f"T{n // 2}", "SEL 108", f"2023-0{n + 1}-15"]
            out.append(sep.join(cols))
    return "\n".join(out) + "\n"


def wide_rows():
    out = []
    for n, (auth, visit) in enumerate(VISITS):
        s = scores(n)
        cells = [str(s[ind]) if ind in UNIVERSAL or n % 2 else "" for ind in ALL]
        out.append(";".join([auth, visit] + cells))
    return "\n".join(out) + "\n"


def xlsx(rows):
    """A minimal .xlsx (inline strings) holding `rows` (lists of str)."""
    def cell(r, c, v):
        ref = chr(ord("A") + c) + str(r + 1)
        try:
            float(v)
            return f'<c r="{ref}"><v>{v}</v></c>'
        except ValueError:
            return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxml'
             'formats.org/spreadsheetml/2006/main"><sheetData>' +
             "".join(f'<row r="{r + 1}">' + "".join(cell(r, c, v) for c, v in enumerate(row))
                     + "</row>" for r, row in enumerate(rows)) + "</sheetData></worksheet>")
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://'
        'schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default '
        'Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+'
        'xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
        'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
        '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://'
        'schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" '
        'sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
        'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return buf.getvalue()


def main():
    LOAD.mkdir(parents=True, exist_ok=True)
    STATS.mkdir(parents=True, exist_ok=True)
    canonical = "authority,visit_id,indicator,score\n" + long_rows(",", False)
    danish = ("Socialtilsyn;Tilsynsbesøg;Indikator;Score\n" + long_rows(";", True)).encode("cp1252")
    long_xlsx = [["Socialtilsyn", "Tilsynsbesøg", "Indikator", "Score"]] + [
        line.split(";") for line in long_rows(";", False).splitlines()]
    seeds = {
        "canonical.csv": b"\x00" + canonical.encode(),
        "danish-cp1252.csv": b"\x00" + danish,
        "danish-bom.csv": b"\x00" + b"\xef\xbb\xbf" + danish.decode("cp1252").encode(),
        "danish-header-prefix": b"\x01" + long_rows(";", True).encode(),
        "canonical-prefix-optional": b"\x02" + long_rows(",", False, True, True).encode(),
        "wide-prefix": b"\x03" + wide_rows().encode(),
        "danish-prefix-all-levels": b"\x41" + long_rows(";", True, False, True).encode(),
        "tab-separated.csv": b"\x00" + canonical.replace(",", "\t").encode(),
        "bad-rows.csv": b"\x00" + (canonical + "Nord,v1,1.a,9\n,v9,1.a,3\nNord,v2,99.z,4\n"
                                   "Syd,v1,2.a,4\nNord,v2,1.a,1\nx\n\"unterminated\n").encode(),
        "long.xlsx": b"\x00" + xlsx(long_xlsx),
    }
    for name, data in seeds.items():
        (LOAD / name).write_bytes(data)

    rng = random.Random(5)
    def lattice(n):
        return bytes(rng.randrange(48, 64) for _ in range(n))
    stats = {
        "tied-scores": b"\x00\x80" + lattice(40) + lattice(50),
        "two-points": b"\x00\x80" + bytes([16, 32, 16, 32]),
        "non-dyadic": b"\x05\x60" + bytes(rng.randrange(128, 192) for _ in range(60)),
        "specials": b"\x2a\x80" + bytes(range(192, 240)),
        "raw-floats": b"\x0e\x80" + b"".join(
            b"\xf0" + struct.pack("<d", rng.uniform(-1e3, 1e3)) for _ in range(30)),
        "permutation-strata": b"\xd8\x80" + lattice(30) + lattice(30),
        "equal-samples": b"\x00\x80" + bytes([40] * 20),
    }
    for name, data in stats.items():
        (STATS / name).write_bytes(data)


if __name__ == "__main__":
    main()
