"""Test package: shows where a rule package supplies Wuhan's own points table.

wuhan-2017 encodes what its document says (content areas, conditions, vetoes,
quotas, cycle) and leaves the city's 重点评估指标及评分标准 to a rule package,
which extends it. The table below is made up for the test: it is NOT Wuhan's.
"""

from pathlib import Path

import fuac


@fuac.hookimpl
def fuac_rulesets() -> list[Path]:
    return [Path(__file__).parent / "wuhan-2017-points-demo.toml"]
