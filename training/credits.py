"""The model card's training-data table from ../shared/data/videos/MANIFEST.tsv: one row per source repository
and licence, its clips, held-out clips in bold.

  python credits.py --videos ../../shared/data/videos > table.md
"""
from __future__ import annotations

import argparse
from collections import OrderedDict

from vtok_model.data import HELDOUT, read_manifest


def table(video_dir: str) -> str:
    groups: "OrderedDict[tuple[str, str], list[str]]" = OrderedDict()
    for r in sorted(read_manifest(video_dir), key=lambda r: (r["source_repo"].lower(), r["licence"])):
        groups.setdefault((r["source_repo"], r["licence"]), []).append(
            f"**{r['file']}**" if r["file"] in HELDOUT else r["file"])
    lines = ["| source repository | licence | clips (held out for evaluation in bold) |", "|---|---|---|"]
    lines += [f"| {repo} | {lic} | {', '.join(clips)} |" for (repo, lic), clips in groups.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--videos", default="../../shared/data/videos")
    print(table(p.parse_args().videos))
