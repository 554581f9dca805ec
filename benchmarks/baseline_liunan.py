"""liunan-2023 written by hand in plain numpy: the baseline evaluate_many is measured against.

The same 35 items as the rule file, as anyone would write them straight from the
table: float64 columns, NaN for a missing value (its item gets NaN points), the
assessor's value where a "否则酌情扣分" condition is not met. No validation, no
statuses, no reasons, no exactness guarantees: just the formulas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def _b(cols: Mapping[str, Any], name: str) -> np.ndarray:
    return np.asarray(cols[name], dtype=bool)


def _f(cols: Mapping[str, Any], name: str) -> np.ndarray:
    return np.asarray(cols[name], dtype=np.float64)


def score(cols: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Item points, total and the veto flag for every unit."""
    b, f = (lambda n: _b(cols, n)), (lambda n: _f(cols, n))

    def aon(ok: np.ndarray, pts: float) -> np.ndarray:
        return np.where(ok, pts, 0.0)

    def disc(cond: np.ndarray, key: str, pts: float) -> np.ndarray:
        return np.where(cond, pts, f(f"assessments.{key}"))

    def nan_if(x: np.ndarray, *inputs: np.ndarray) -> np.ndarray:
        miss = np.zeros(len(x), bool)
        for v in inputs:
            miss |= np.isnan(v)
        return np.where(miss, np.nan, x)

    def ded(pts: float, *pairs: tuple[str, float]) -> np.ndarray:
        taken = np.zeros(len(next(iter(cols.values()))))
        for name, cost in pairs:
            taken = taken + f(name) * cost
        return np.maximum(pts - taken, 0.0)

    def short_ceil(pts: float, target: float, cost: float, *names: str) -> np.ndarray:
        taken = 0.0
        for name in names:
            taken = taken + np.ceil(np.maximum(target - f(name), 0.0)) * cost
        return nan_if(np.maximum(pts - taken, 0.0), *(f(n) for n in names))

    p: dict[str, np.ndarray] = {}
    p["1"] = f("assessments.1")
    p["2"] = aon(b("leading_group_established"), 2) + aon(
        (f("leading_group_meetings_per_year") >= 1) & b("leading_group_minutes"), 2)
    p["3"] = aon(b("inconsistent_documents_cleared"), 1) + aon(b("in_development_plans"), 2)
    p["4"] = aon(b("monitoring_funds_compliant"), 2)
    p["5"] = disc(b("grassroots_staffing"), "5.a", 2) + disc(b("grassroots_funding_mechanism"), "5.b", 2)
    p["6"] = disc(b("population_info_cleanup"), "6", 2)
    p["7"] = aon(b("birth_one_thing_joint"), 2)
    cov, acc, rt = f("resident_coverage_rate"), f("key_data_accuracy_rate"), f("realtime_reporting_rate_min")
    p["8"] = nan_if(aon((cov >= 95) & (acc >= 95), 4) + aon(rt >= 90, 2), cov, acc, rt)
    p["9"] = disc(b("childcare_in_plan_evidence"), "9", 2)
    p["10"] = disc(b("childcare_subsidy_measures"), "10.a", 3) + disc(b("childcare_relief_evidence"), "10.b", 2)
    p["11"] = disc(b("childcare_resident_utility_prices"), "11.a", 2) + disc(
        f("employer_childcare_institutions") >= 2, "11.b", 2)
    p["12"] = disc(b("childcare_centre_project_evidence"), "12.a", 3) + disc(b("childcare_guidance_centre"), "12.b", 2)
    p["13"] = aon(b("childcare_training_subsidy"), 2)
    p["14"] = np.maximum(4 - np.floor(np.maximum(8 - f("registered_childcare_institutions"), 0)) * 2, 0.0)
    places, pavg = f("childcare_places_per_1000"), f("childcare_places_per_1000_regional_avg")
    enrol, eavg = f("childcare_enrolment_rate"), f("childcare_enrolment_rate_regional_avg")
    p15 = nan_if(aon(places > pavg, 2) + aon(enrol > eavg, 2), places, pavg, enrol, eavg)
    p["15"] = np.where(b("childcare_data_falsified"), 0.0, p15)
    vetoed = f("major_safety_accidents_3y") > 0
    p["17"] = ded(2, ("leave_complaints", 0.4), ("leave_labour_arbitrations", 0.4), ("leave_lawsuits", 0.4))
    p["18"] = ded(2, ("sampled_employers_noncompliant", 1))
    p["19"] = aon(b("family_housing_policy"), 2)
    kg, kavg = f("inclusive_kindergarten_coverage"), f("inclusive_kindergarten_coverage_regional_avg")
    p["20"] = nan_if(aon(kg > kavg, 2), kg, kavg)
    p["21"] = disc(b("compulsory_education_evidence"), "21", 2)
    p["22"] = disc(b("off_campus_training_evidence"), "22", 2)
    for key, name, op, t in (("23", "maternal_mortality_ratio", np.less_equal, 16.5),
                             ("24", "infant_mortality_rate", np.less_equal, 6.0),
                             ("25", "premarital_exam_rate", np.greater_equal, 97),
                             ("26", "severe_thalassaemia_birth_rate", np.less_equal, 0.3),
                             ("27", "child_health_management_rate", np.greater_equal, 90)):
        v = f(name)
        p[key] = nan_if(aon(op(v, t), 2), v)
    p["28"] = disc(b("work_family_balance_evidence"), "28", 1)
    p["29"] = short_ceil(2, 100, 0.4, "community_infant_activity_site_rate", "maternal_infant_facility_rate")
    p["30"] = ded(6, ("beneficiaries_not_paid", 1))
    p["31"] = ded(2, ("unprocessed_check_records", 1), ("missed_annual_reviews", 1))
    p["32"] = (ded(1, ("special_family_archives_incomplete", 0.2)) + ded(1, ("dual_contact_not_implemented", 0.5))
               + ded(1, ("family_doctor_not_signed", 0.5)) + ded(1, ("green_channel_not_implemented", 0.5)))
    p["33"] = disc(b("marriage_culture_evidence"), "33", 2)
    p["34"] = ded(2, ("places_not_publicising", 0.5))
    p["35"] = short_ceil(2, 90, 0.5, "policy_awareness_rate", "policy_satisfaction_rate")
    total = np.zeros(len(vetoed))
    for v in p.values():
        total += np.nan_to_num(v)
    return {**{f"item.{k}": v for k, v in p.items()}, "total": np.round(total, 1), "vetoed": vetoed}
