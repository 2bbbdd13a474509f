"""A deterministic synthetic scale-up corpus: N× the real plans, rewritten so the parser still parses them.

    .venv/bin/python benchmarks/scale.py 100 /tmp/bench-scale/corpus-100 [--seed 8]

The output directory has the layout of `corpus/`: the five real plans unchanged (ids 000–004, so
the eval questions still have their gold clauses), then 5·(N−1) synthetic plans `s00001…`, each a
rewrite of one real plan with, chosen by a seeded RNG per plan:

- another region: a provincial plan gets another province (浙江 → 江苏, 浙政办发 → 苏政办发),
  a city plan another city (湖州 → 嘉兴, 湖政办发 → 嘉政办发), also in the manifest's title,
  title_en, region, issuer and number;
- its years shifted by −2…+5 (every 20xx, the manifest's years and date), so tables keep
  consistent year columns;
- other responsible units: the department names that occur in the plan are mapped, all at once,
  onto a random choice of departments of the same level (省财政厅 → 省民政厅 …), so who leads
  what differs from plan to plan;
- other values: every number that is a quantity (followed by %, 个, 家, 人, 张, 亿元 …), every
  decimal and every value in a table row is scaled by a random factor in [0.7, 1.3], keeping its
  decimals (and percentages ≤ 100). Heading numbers (1. （1） 专栏2 附件3), row numbers,
  document numbers and dates other than their year are left alone.

Same seed, same N → byte-identical corpus. `check()` parses the result with `rag.corpus.load_corpus`
and confirms each synthetic plan yields as many clauses as its source (±2%).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"

# (stem, English, abbreviation used in document numbers)
PROVINCES = [
    ("江苏", "Jiangsu", "苏"), ("安徽", "Anhui", "皖"), ("福建", "Fujian", "闽"), ("江西", "Jiangxi", "赣"),
    ("广东", "Guangdong", "粤"), ("山东", "Shandong", "鲁"), ("湖南", "Hunan", "湘"), ("湖北", "Hubei", "鄂"),
    ("河南", "Henan", "豫"), ("四川", "Sichuan", "川"), ("河北", "Hebei", "冀"), ("陕西", "Shaanxi", "陕"),
    ("山西", "Shanxi", "晋"), ("贵州", "Guizhou", "黔"), ("云南", "Yunnan", "滇"), ("辽宁", "Liaoning", "辽"),
    ("吉林", "Jilin", "吉"), ("甘肃", "Gansu", "甘"), ("海南", "Hainan", "琼"), ("青海", "Qinghai", "青"),
]
# (city stem, English, its province stem)
CITIES = [
    ("杭州", "Hangzhou", "浙江"), ("宁波", "Ningbo", "浙江"), ("温州", "Wenzhou", "浙江"),
    ("嘉兴", "Jiaxing", "浙江"), ("金华", "Jinhua", "浙江"), ("衢州", "Quzhou", "浙江"),
    ("舟山", "Zhoushan", "浙江"), ("台州", "Taizhou", "浙江"), ("丽水", "Lishui", "浙江"),
    ("苏州", "Suzhou", "江苏"), ("无锡", "Wuxi", "江苏"), ("常州", "Changzhou", "江苏"),
    ("南通", "Nantong", "江苏"), ("扬州", "Yangzhou", "江苏"), ("徐州", "Xuzhou", "江苏"),
    ("合肥", "Hefei", "安徽"), ("芜湖", "Wuhu", "安徽"), ("福州", "Fuzhou", "福建"),
    ("厦门", "Xiamen", "福建"), ("泉州", "Quanzhou", "福建"), ("南昌", "Nanchang", "江西"),
    ("赣州", "Ganzhou", "江西"), ("济南", "Jinan", "山东"), ("青岛", "Qingdao", "山东"),
    ("烟台", "Yantai", "山东"), ("长沙", "Changsha", "湖南"), ("株洲", "Zhuzhou", "湖南"),
    ("武汉", "Wuhan", "湖北"), ("宜昌", "Yichang", "湖北"), ("郑州", "Zhengzhou", "河南"),
    ("洛阳", "Luoyang", "河南"), ("成都", "Chengdu", "四川"), ("绵阳", "Mianyang", "四川"),
    ("佛山", "Foshan", "广东"), ("东莞", "Dongguan", "广东"), ("珠海", "Zhuhai", "广东"),
]
SOURCE_REGION = {  # real plan → (region stem, English, kind)
    "浙江省": ("浙江", "Zhejiang", "province"),
    "湖州市": ("湖州", "Huzhou", "city"),
    "绍兴市": ("绍兴", "Shaoxing", "city"),
}
# Departments: (provincial name, city name). A plan's departments are remapped within a level.
DEPARTMENTS = [
    ("卫生健康委", "卫生健康委"), ("发展改革委", "发展改革委"), ("科技厅", "科技局"), ("财政厅", "财政局"),
    ("人力社保厅", "人力社保局"), ("医保局", "医保局"), ("公安厅", "公安局"), ("药监局", "市场监管局"),
    ("教育厅", "教育局"), ("民政厅", "民政局"), ("经信厅", "经信局"), ("大数据局", "大数据局"),
    ("自然资源厅", "自然资源和规划局"), ("住房城乡建设厅", "住房城乡建设局"), ("商务厅", "商务局"),
    ("市场监管局", "市场监管局"), ("体育局", "体育局"), ("统计局", "统计局"), ("生态环境厅", "生态环境局"),
    ("交通运输厅", "交通运输局"), ("农业农村厅", "农业农村局"), ("文化和旅游厅", "文化广电旅游局"),
    ("应急管理厅", "应急管理局"), ("司法厅", "司法局"), ("退役军人事务厅", "退役军人事务局"),
    ("委编办", "委编办"), ("委组织部", "委组织部"), ("委宣传部", "委宣传部"), ("税务局", "税务局"),
]
PROV_DEPTS = sorted({"省" + p for p, _ in DEPARTMENTS})
CITY_DEPTS = sorted({"市" + c for _, c in DEPARTMENTS})

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")
_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?!\d)")
_NUMBER = re.compile(r"(?<![\d.])(\d{1,5}(?:\.\d+)?)(?![\d.])")
_UNIT_AFTER = re.compile(r"\s*(?:%|％|‰|个|家|人|名|张|所|项|万|亿|元|岁|天|分钟|小时|床|次|台|倍|支|辆|例|篇|类|条|公里|平方米|米)")
_NO_BEFORE = set("（(第表栏件附号〔〕[【—-")
_TABLE_NUM = re.compile(r"[\t ]+[\d≥≤<>]")


def _region_pick(rng: random.Random, region: str) -> tuple[str, str, str, str]:
    """(new stem, new English, new abbreviation, new province stem) for a plan of `region`."""
    stem, _, kind = SOURCE_REGION[region]
    if kind == "province":
        s, en, ab = rng.choice(PROVINCES)
        return s, en, ab, s
    s, en, prov = rng.choice([c for c in CITIES if c[0] != stem])
    return s, en, s[0], prov


def _dept_map(rng: random.Random, text: str) -> dict[str, str]:
    """Department names present in `text`, each mapped to a random distinct one of its level."""
    out: dict[str, str] = {}
    for pool in (PROV_DEPTS, CITY_DEPTS):
        present = [d for d in pool if d in text]
        targets = rng.sample(pool, len(present))
        out.update(zip(present, targets, strict=True))
    return out


def _sub_all(text: str, mapping: dict[str, str]) -> str:
    """Replace every key of `mapping` at once (longest first), so swaps do not chain. A key also
    matches when a line break or spaces split it ("市\n卫生健康委"); that whitespace is kept at
    the same offset in the replacement, so the line structure the parser reads does not change."""
    if not mapping:
        return text
    keys = sorted(mapping, key=len, reverse=True)
    pat = re.compile("|".join(r"\s{0,4}".join(map(re.escape, k)) for k in keys))

    def repl(m: re.Match[str]) -> str:
        found = m.group(0)
        new = mapping[re.sub(r"\s", "", found)]
        out, k = [], 0
        for ch in found:
            if ch.isspace():
                out.append(ch)
            else:
                out.append(new[k] if k < len(new) else "")
                k += 1
        return "".join(out) + new[k:]

    return pat.sub(repl, text)


def _perturb(m: re.Match[str], rng: random.Random, line: str) -> str:
    """A quantity, decimal or table value scaled by U(0.7, 1.3); anything else unchanged."""
    s = m.group(1)
    start, end = m.start(1), m.end(1)
    head, after = line[:start], line[end:]
    before = head[-1:] or "\n"
    if before in _NO_BEFORE or not head.strip():  # heading/row numbers, annexes, boxes
        return s
    quantity = bool(_UNIT_AFTER.match(after))
    in_row = "\t" in line or bool(_TABLE_NUM.match(after)) or bool(re.search(r"[\d%]\s+$", head))
    if not (quantity or "." in s or in_row):
        return s
    if not quantity and after.lstrip().startswith(("号", "月", "日", "年", "级", "期", "届", "批", "轮")):
        return s
    value = float(s) * rng.uniform(0.7, 1.3)
    if after.lstrip().startswith(("%", "％")) and float(s) <= 100:
        value = min(value, 100.0)
    if "." in s:
        return f"{value:.{len(s.split('.')[1])}f}"
    return str(max(1, round(value)))


def rewrite(text: str, rng: random.Random, src_region: str, offset: int) -> tuple[str, dict[str, str]]:
    """One synthetic plan from a real plan's text; returns the text and the region it names."""
    text = text.translate(_FULLWIDTH_DIGITS)  # the parser folds them too (NFKC)
    stem, en, abbrev, prov = _region_pick(rng, src_region)
    old_stem, _, kind = SOURCE_REGION[src_region]
    mapping = {old_stem: stem, old_stem[0] + "政": abbrev + "政"}
    if kind == "city":
        mapping["浙江"] = prov
    text = _sub_all(text, _dept_map(rng, text) | mapping)
    text = _YEAR.sub(lambda m: str(int(m.group(1)) + offset), text)
    lines = []
    for line in text.split("\n"):
        if not re.fullmatch(r"[\s\-—－0-9]*", line):
            line = _NUMBER.sub(lambda m, ln=line: _perturb(m, rng, ln), line)
        lines.append(line)
    region = stem + ("省" if kind == "province" else "市")
    return "\n".join(lines), {"stem": stem, "en": en, "region": region, "old": old_stem}


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _shift_years(s: str, offset: int) -> str:
    return _YEAR.sub(lambda m: str(int(m.group(1)) + offset), s)


def generate(factor: int, out: str | Path, seed: int = 8, source: str | Path = CORPUS) -> Path:
    """Write a corpus of `factor`× the real one to `out` (replaced if it exists).

    Args:
        factor: 1 = the real corpus; N = the real plans plus 5·(N−1) rewrites.
        out: the directory to write (manifest.toml, glossary.tsv, plan texts).
        seed: the RNG seed; the same seed and factor give byte-identical output.
        source: the real corpus directory.

    Returns:
        The output directory.
    """
    source, out = Path(source), Path(out)
    manifest_text = (source / "manifest.toml").read_text(encoding="utf-8")
    docs = tomllib.loads(manifest_text)["doc"]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in [d["file"] for d in docs] + ["glossary.tsv"]:
        if (source / name).is_file():
            shutil.copyfile(source / name, out / name)
    entries = [manifest_text.rstrip() + "\n"]
    texts = {d["id"]: (source / d["file"]).read_text(encoding="utf-8") for d in docs}
    n = 0
    for copy in range(1, factor):
        for d in docs:
            n += 1
            rng = random.Random(f"{seed}:{copy}:{d['id']}")
            offset = rng.randint(-2, 5)
            text, reg = rewrite(texts[d["id"]], rng, d["region"], offset)
            sid = f"s{n:05d}"
            fname = f"{sid}_{hashlib.sha256(text.encode()).hexdigest()[:16]}.txt"
            (out / fname).write_text(text, encoding="utf-8")
            swap = {reg["old"]: reg["stem"]}
            fields = {
                "id": sid,
                "file": fname,
                "title": _shift_years(_sub_all(d["title"], swap), offset),
                "title_en": _shift_years(d["title_en"].replace(
                    SOURCE_REGION[d["region"]][1], reg["en"]), offset),
                "issuer": _sub_all(d.get("issuer", ""), swap),
                "number": _shift_years(_sub_all(d.get("number", ""), {reg["old"][0]: reg["stem"][0]}), offset),
                "date": _shift_years(d.get("date", ""), offset),
                "region": reg["region"],
                "region_en": reg["en"] + (" Province" if reg["region"].endswith("省") else ""),
                "years": _shift_years(d.get("years", ""), offset),
                "source": f"synthetic: benchmarks/scale.py seed {seed}, rewrite {copy} of {d['id']}",
            }
            entries.append("\n[[doc]]\n" + "".join(f"{k} = {_toml_str(v)}\n" for k, v in fields.items()))
    (out / "manifest.toml").write_text("".join(entries), encoding="utf-8")
    (out / "SCALE.json").write_text(json.dumps({"factor": factor, "seed": seed, "synthetic_docs": n}), encoding="utf-8")
    return out


def ensure(factor: int, out: str | Path, seed: int = 8) -> Path:
    """`generate` unless `out` already holds this factor and seed (generation is deterministic)."""
    out = Path(out)
    try:
        stamp = json.loads((out / "SCALE.json").read_text(encoding="utf-8"))
        if stamp.get("factor") == factor and stamp.get("seed") == seed:
            return out
    except (OSError, ValueError):
        pass
    return generate(factor, out, seed)


def check(root: str | Path) -> dict[str, object]:
    """Parse a generated corpus; compare each synthetic plan's clause count with its source's."""
    sys.path.insert(0, str(REPO))
    from rag.corpus import load_corpus
    from rag.units import make_units

    corpus = load_corpus(root)
    by_id = {d.doc.id: d for d in corpus.docs}
    sources = {e["id"]: e.get("source", "") for e in
               tomllib.loads((Path(root) / "manifest.toml").read_text(encoding="utf-8"))["doc"]}
    off = []
    for d in corpus.docs:
        if not d.doc.id.startswith("s"):
            continue
        src = sources[d.doc.id].rsplit(" of ", 1)[-1]
        a, b = len(d.clauses), len(by_id[src].clauses)
        if abs(a - b) > max(1, 0.02 * b):
            off.append((d.doc.id, src, a, b))
    return {
        "documents": len(corpus.docs),
        "clauses": len(corpus.clauses),
        "units": len(make_units(corpus)),
        "warnings": len(corpus.warnings),
        "clause_count_off": off,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("factor", type=int, help="N: the corpus is N× the real one")
    p.add_argument("out", help="output directory (replaced)")
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--check", action="store_true", help="parse the result and report")
    args = p.parse_args(argv)
    generate(args.factor, args.out, args.seed)
    if args.check:
        print(json.dumps(check(args.out), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
