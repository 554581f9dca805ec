// The assessor page of `fuac serve` (docs/service.md, "The assessor page").
//
// Plain JavaScript, no framework, no build step, nothing fetched from anywhere but this service.
// Everything that comes from a rule file, a record or a user is put into the page as text
// (textContent, DOM nodes), never as HTML. A value typed is sent as the text typed: the service
// reads it exactly (decimal arithmetic); numbers the service sends back are read as their text too.
"use strict";

(function () {

// ---------------------------------------------------------------------------
// the page's own words, in both languages

const WORDS = {
  zh: {
    title: "先进单位创建评估", token: "API 令牌", tokenHint: "服务配置了 API 令牌时填写；只保存在本标签页",
    rulesetHead: "评分规则", ruleset: "评分规则", pick: "— 请选择 —", tier: "层级", orFind: "或按区划代码查找：",
    code: "区划代码", level: "级别", anyLevel: "任意", find: "查找",
    levels: {province: "省级", city: "地市级", county: "县级（区）", township: "乡镇（街道）", village: "村（社区）"},
    noneFound: "没有适用于该地区的评分规则", foundN: (n) => `找到 ${n} 个适用的评分规则：`,
    unit: "被评估单位", unitName: "单位名称", unitCode: "区划代码", on: "评估日期",
    result: "评分结果", total: "总分", grade: "等次：", complete: "各项均已评分",
    incomplete: (n) => `尚未完整：${n} 项输入未填`, pending: "尚有项目未评分", vetoed: "一票否决",
    notEligible: "不具备参评资格", stale: "有取值无效，显示的是上一次的结果",
    save: "保存评估", saved: (id) => `已保存，记录编号 ${id}`, revisesOf: (id) => `作为第 ${id} 号记录的更正保存`,
    upload: "上传填报表（.xlsx）", uploaded: (name) => `已读取并评分：${name}`,
    downloads: "下载：", dlHtml: "评分表（HTML）", dlXlsx: "评分表（XLSX）", dlGaps: "整改清单",
    sheetName: "评分表", gapsName: "整改清单",
    records: "评估记录", recUnit: "单位（代码或名称）", list: "查询", more: "更多", open: "打开",
    opened: (id) => `已打开第 ${id} 号记录`, noRecords: "没有记录",
    cols: ["编号", "记录时间", "单位", "总分", "完整", "提交人", "更正"],
    yes: "是", no: "否", notGiven: "（未填）", integer: "整数", number: "数值", source: "来源",
    points: "分", rationale: "理由", assessor: "评估人", entryPoints: "评估人评分", entryMet: "评估人判断：是否落实",
    entryValue: "评估人录入", entryOf: (what, key) => `${what}（${key}）`, sep: "，", fullWhen: "条件满足时自动得满分，无需评分：", conditions: "一票否决与资格条件",
    other: "其他指标", also: (list) => `亦用于：${list}`, met: "达标", notMet: "未达标",
    needToken: "需要有效的 API 令牌：请在页面右上角填写", offline: "无法连接评分服务", failed: "请求失败",
    langButton: "EN", chooseFirst: "请先选择评分规则",
  },
  en: {
    title: "Advanced-unit assessment", token: "API token", tokenHint: "Needed when the service has API tokens; kept in this tab only",
    rulesetHead: "Rule set", ruleset: "Rule set", pick: "— choose —", tier: "Tier", orFind: "or find by region code:",
    code: "Region code", level: "Level", anyLevel: "any", find: "Find",
    levels: {province: "province", city: "city", county: "county", township: "township", village: "village"},
    noneFound: "No rule set applies to this region", foundN: (n) => `${n} rule set(s) apply:`,
    unit: "Unit assessed", unitName: "Name", unitCode: "Code", on: "Assessment date",
    result: "Result", total: "Total", grade: "Grade: ", complete: "Every item scored",
    incomplete: (n) => `Incomplete: ${n} input(s) not given`, pending: "Some items are not scored yet",
    vetoed: "Vetoed", notEligible: "Not eligible", stale: "Some values are invalid: the result shown is the last valid one",
    save: "Save", saved: (id) => `Saved as record ${id}`, revisesOf: (id) => `Save as a revision of record ${id}`,
    upload: "Upload a fill-in workbook (.xlsx)", uploaded: (name) => `Read and scored: ${name}`,
    downloads: "Download:", dlHtml: "Score sheet (HTML)", dlXlsx: "Score sheet (XLSX)", dlGaps: "Rectification list",
    sheetName: "score-sheet", gapsName: "rectification-list",
    records: "Recorded assessments", recUnit: "Unit (code or name)", list: "List", more: "More", open: "Open",
    opened: (id) => `Record ${id} opened`, noRecords: "No records",
    cols: ["No.", "Recorded", "Unit", "Total", "Complete", "By", "Revises"],
    yes: "Yes", no: "No", notGiven: "(not given)", integer: "whole number", number: "number", source: "source",
    points: "points", rationale: "rationale", assessor: "assessor", entryPoints: "Assessor's points",
    entryMet: "Assessor's judgement: met?", entryValue: "Assessor's entry", entryOf: (what, key) => `${what} (${key})`,
    sep: ", ",
    fullWhen: "Full points without an entry when this holds: ", conditions: "Vetoes and eligibility",
    other: "Other inputs", also: (list) => `also used by: ${list}`, met: "met", notMet: "not met",
    needToken: "A valid API token is needed: enter it at the top right", offline: "Cannot reach the scoring service",
    failed: "Request failed", langButton: "中文", chooseFirst: "Choose a rule set first",
  },
};

const S = {
  lang: sessionStorage.getItem("fuac-lang") === "en" ? "en" : "zh",
  rulesets: [],
  rs: null,          // the rule set chosen (its id)
  tier: null,
  schema: null,      // GET /v1/rulesets/{id}/schema
  layout: null,      // GET /v1/rulesets/{id}/form
  fields: new Map(), // input name -> {get, set, inputs, problem}
  entries: new Map(),// assessment key -> {get, set, inputs, problem}
  items: new Map(),  // item id -> its DOM parts
  conds: new Map(),  // condition id -> its DOM parts
  timer: 0, seq: 0, ctrl: null,
  opened: null,      // the id of the record opened
  next: null,        // the next page of records
  uploaded: null,    // the name of the workbook read last
};

const $ = (id) => document.getElementById(id);
const t = (key, ...args) => {
  const w = WORDS[S.lang][key];
  return typeof w === "function" ? w(...args) : w;
};
const txt = (v) => (v !== null && typeof v === "object" && "zh" in v) ? v[S.lang] : (v == null ? "" : String(v));
const safeId = (s) => String(s).replace(/[^A-Za-z0-9_-]/g, "_");

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

// ---------------------------------------------------------------------------
// talking to the service

/** JSON whose numbers are kept as the text they were sent as (never through a float). */
function parseExact(text) {
  return JSON.parse(text, function (key, value, context) {
    if (typeof value !== "number") return value;
    return context && typeof context.source === "string" ? context.source : String(value);
  });
}

function authHeaders(extra) {
  const h = Object.assign({}, extra || {});
  const token = sessionStorage.getItem("fuac-token");
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}

/** A request to the service: {ok, status, data} with the answer's JSON (or its blob, with asBlob). */
async function call(method, path, opts) {
  const o = opts || {};
  const init = {method, headers: authHeaders(o.type ? {"Content-Type": o.type} : {}), signal: o.signal};
  if (o.body !== undefined) init.body = o.body;
  const resp = await fetch(path, init);
  if (resp.ok && o.asBlob) return {ok: true, status: resp.status, blob: await resp.blob(), headers: resp.headers};
  const text = await resp.text();
  let data = null;
  try { data = text ? parseExact(text) : null; } catch (e) { data = null; }
  if (resp.status === 401) showStatus(t("needToken"));
  return {ok: resp.ok, status: resp.status, data, headers: resp.headers};
}

const get = (path) => call("GET", path);
const rsPath = (tail) => `v1/rulesets/${encodeURIComponent(S.rs)}/${tail}`;

function errorText(r) {
  const err = r && r.data && r.data.error;
  if (!err) return `${t("failed")} (${r ? r.status : "?"})`;
  const lines = [txt(err.message)];
  for (const p of err.problems || []) {
    if (p.code !== "missing") lines.push("· " + txt(p.message));
  }
  return lines.slice(0, 12).join("\n");
}

let statusTimer = 0;
function showStatus(message, info) {
  const box = $("status");
  box.textContent = message;
  box.className = info ? "status info" : "status";
  box.hidden = false;
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { box.hidden = true; }, info ? 4000 : 9000);
}

async function guarded(fn) {
  try {
    return await fn();
  } catch (e) {
    if (e && e.name === "AbortError") return undefined;
    showStatus(t("offline"));
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// the page's words

function applyWords() {
  document.documentElement.lang = S.lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-title]")) node.title = t(node.dataset.tTitle);
  $("lang").textContent = t("langButton");
  $("lang").lang = S.lang === "zh" ? "en" : "zh-CN";
  fillLevels();
  fillRulesets();
  $("rec-head").replaceChildren(...t("cols").map((c) => el("th", {text: c})));
  if (S.opened) $("revises-text").textContent = t("revisesOf", S.opened);
  if (S.uploaded) $("upload-status").textContent = t("uploaded", S.uploaded);
}

function fillLevels() {
  const chosen = $("level").value;
  const opts = [el("option", {value: "", text: t("anyLevel")})];
  for (const [k, w] of Object.entries(t("levels"))) opts.push(el("option", {value: k, text: w}));
  $("level").replaceChildren(...opts);
  $("level").value = chosen;
}

function fillRulesets() {
  const opts = [el("option", {value: "", text: t("pick")})];
  for (const r of S.rulesets) {
    opts.push(el("option", {value: r.id, text: `${r.id} — ${txt(r.title)} (${r.version})`}));
  }
  $("ruleset").replaceChildren(...opts);
  $("ruleset").value = S.rs || "";
  fillTiers();
}

function fillTiers() {
  const found = S.rulesets.find((r) => r.id === S.rs);
  const tiers = found ? found.tiers : [];
  $("tier-box").hidden = tiers.length === 0;
  $("tier").replaceChildren(...tiers.map((x) => el("option", {value: x, text: x})));
  if (S.tier) $("tier").value = S.tier;
}

// ---------------------------------------------------------------------------
// choosing a rule set

async function loadRulesets() {
  const r = await guarded(() => get("v1/rulesets"));
  if (!r) return;
  if (!r.ok) { if (r.status !== 401) showStatus(errorText(r)); return; }
  S.rulesets = r.data.rulesets;
  fillRulesets();
}

async function choose(id, tier) {
  const found = S.rulesets.find((r) => r.id === id);
  if (!found) return;
  const keep = S.rs ? collect() : null;
  S.rs = id;
  S.tier = tier || (found.tiers.length ? found.tiers[0] : null);
  fillRulesets();
  const q = S.tier ? `?tier=${encodeURIComponent(S.tier)}` : "";
  const [schema, layout] = await Promise.all([get(rsPath("schema" + q)), get(rsPath("form" + q))]);
  if (!schema.ok || !layout.ok) { showStatus(errorText(schema.ok ? layout : schema)); return; }
  S.schema = schema.data;
  S.layout = layout.data;
  S.opened = null;
  $("revises-box").hidden = true;
  buildForm();
  if (keep) fill(keep, true);
  $("unit").hidden = false;
  $("side").hidden = false;
  score();
}

async function findApplicable() {
  const code = $("code").value.trim();
  if (!code) return;
  const q = new URLSearchParams({code, lang: S.lang});
  if ($("level").value) q.set("level", $("level").value);
  if ($("unit-on").value) q.set("on", $("unit-on").value);
  const r = await guarded(() => get("v1/applicable?" + q));
  if (!r) return;
  const box = $("found");
  if (!r.ok) { box.replaceChildren(); showStatus(errorText(r)); return; }
  const found = r.data.rulesets;
  if (!$("unit-code").value) $("unit-code").value = code;
  if (found.length === 0) { box.replaceChildren(el("span", {class: "note", text: t("noneFound")})); return; }
  box.replaceChildren(el("span", {text: t("foundN", found.length)}), ...found.map((a) => el("button", {
    type: "button", text: `${a.id}${a.tier ? " · " + a.tier : ""} — ${txt(a.title)}`,
    onclick: () => choose(a.id, a.tier),
  })));
  if (found.length === 1) choose(found[0].id, found[0].tier);
}

// ---------------------------------------------------------------------------
// the form, from the JSON Schema and the layout

function buildForm() {
  S.fields = new Map();
  S.entries = new Map();
  S.items = new Map();
  S.conds = new Map();
  const props = S.schema.properties || {};
  const placed = new Set();
  const parts = S.layout.sections.map((sec) => sectionBlock(sec, props, placed));
  const conds = S.layout.conditions.filter((c) => c.fields.length);
  if (conds.length) parts.push(conditionsBlock(conds, props, placed));
  const rest = Object.keys(props).filter((n) => !placed.has(n));
  if (rest.length) {
    parts.push(el("fieldset", {class: "sec"}, el("legend", {text: t("other")}),
      groupBlock(rest.map((n) => ({name: n, clause: null})), [], props, placed)));
  }
  $("form").replaceChildren(...parts);
}

function sectionBlock(sec, props, placed) {
  const fill = el("div", {class: "fill"});
  const pts = el("span", {class: "sec-pts", text: sec.max ? `— / ${sec.max}` : ""});
  const box = el("fieldset", {class: "sec", id: "sec-" + safeId(sec.id), "data-section": sec.id},
    el("legend", {text: `${sec.number || ""} ${txt(sec.title)}`.trim()}),
    el("div", {class: "sec-head"}, el("div", {class: "bar"}, fill), pts),
    ...sec.items.map((it) => itemBlock(it, props, placed)));
  return box;
}

function itemBlock(it, props, placed) {
  const pts = el("span", {class: "pts", text: it.max ? `— / ${it.max}` : ""});
  const status = el("span", {class: "status-tag"});
  const reason = el("p", {class: "reason"});
  S.items.set(it.id, {pts, status, reason, max: it.max});
  return el("div", {class: "item", id: "item-" + safeId(it.id), "data-item": it.id},
    el("div", {class: "item-head"}, el("span", {class: "num", text: it.number || it.id}),
      el("span", {class: "label", text: txt(it.label)}), pts, status),
    ...groups(it).map((g) => groupBlock(g.fields, g.entries, props, placed, g.clause)),
    reason);
}

/** An item's inputs and entries, grouped by the clause that reads them (in order). */
function groups(it) {
  const out = [];
  const at = (clause) => {
    let g = out.find((x) => x.clause === clause);
    if (!g) { g = {clause, fields: [], entries: []}; out.push(g); }
    return g;
  };
  for (const f of it.fields) at(f.clause || it.clause).fields.push(f);
  for (const e of it.entries) at(e.clause || it.clause).entries.push(e);
  return out;
}

function groupBlock(fields, entries, props, placed, clause) {
  const inputs = el("div", {class: "inputs"});
  for (const f of fields) {
    if (!props[f.name] || placed.has(f.name)) continue;
    placed.add(f.name);
    inputs.append(fieldRow(f.name, props[f.name]));
  }
  for (const e of entries) inputs.append(entryRow(e));
  return el("div", {class: "group"}, inputs, el("div", {class: "clause", text: clause || ""}));
}

function conditionsBlock(conds, props, placed) {
  return el("fieldset", {class: "sec"}, el("legend", {text: t("conditions")}), ...conds.map((c) => {
    const reason = el("p", {class: "reason"});
    S.conds.set(c.id, {reason});
    return el("div", {class: "item", "data-condition": c.id},
      el("div", {class: "item-head"}, el("span", {class: "label", text: txt(c.label)})),
      groupBlock(c.fields, [], props, placed, c.clause), reason);
  }));
}

// one input

function describe(prop) {
  const base = prop.anyOf ? prop.anyOf[0] : prop;
  return {
    base, reference: Boolean(prop["x-reference"]),
    label: S.lang === "zh" ? (prop.title || "") : (prop["x-label-en"] || prop.title || ""),
    help: S.lang === "zh" ? (base["x-description-zh"] || "") : (base.description || ""),
    unit: unitWord(base["x-unit"]),
  };
}

function unitWord(code) {
  if (!code) return "";
  const w = S.layout.units[code];
  return w ? txt(w) : code;
}

function boundsText(base, unit) {
  const kind = base.type === "integer" ? t("integer") : base.type === "number" ? t("number") : "";
  const lo = base.minimum, hi = base.maximum;  // text, as the schema wrote them
  const u = unit ? " " + unit : "";
  let range = "";
  if (lo !== undefined && hi !== undefined) range = `${lo}–${hi}${u}`;
  else if (lo !== undefined) range = `≥ ${lo}${u}`;
  else if (hi !== undefined) range = `≤ ${hi}${u}`;
  return [kind, range].filter(Boolean).join(t("sep"));
}

function fieldRow(name, prop) {
  const d = describe(prop);
  const id = "f-" + safeId(name);
  const problem = el("div", {class: "problem", id: "p-" + safeId(name), "data-problem": name});
  const control = el("div", {class: "control"});
  const field = {problem, inputs: []};
  const main = valueControl(d.base, id, name, problem.id, field);
  control.append(main);
  if (d.unit && d.base.type !== "boolean") control.append(el("span", {class: "unit-word", text: d.unit}));
  let source = null;
  if (d.reference) {
    source = el("input", {type: "text", class: "source", id: "s-" + safeId(name), "data-source": name,
      placeholder: t("source"), "aria-label": `${d.label} — ${t("source")}`});
    source.addEventListener("input", schedule);
    control.append(source);
    field.inputs.push(source);
  }
  const bounds = boundsText(d.base, d.unit);
  if (bounds) control.append(el("span", {class: "bounds", text: bounds}));
  referenceAccess(field, source);
  S.fields.set(name, field);
  const readers = (S.layout.readers[name] || []);
  return el("div", {class: "field", "data-field-row": name},
    el("label", {for: id, title: d.help || null, text: d.label}),
    control,
    readers.length > 1 ? el("div", {class: "also", text: t("also", readers.join(", "))}) : null,
    problem);
}

/** The control of one value: a 是/否 select, a select of choices, or a text box (sent as typed). */
function valueControl(base, id, name, problemId, field) {
  let input;
  if (base.type === "boolean") {
    input = el("select", {id, "data-field": name, "aria-describedby": problemId},
      el("option", {value: "", text: t("notGiven")}), el("option", {value: "true", text: t("yes")}),
      el("option", {value: "false", text: t("no")}));
    input.addEventListener("change", schedule);
  } else if (Array.isArray(base.enum)) {
    input = el("select", {id, "data-field": name, "aria-describedby": problemId},
      el("option", {value: "", text: t("notGiven")}), ...base.enum.map((c) => el("option", {value: c, text: c})));
    input.addEventListener("change", schedule);
  } else {
    input = el("input", {type: "text", id, "data-field": name, "aria-describedby": problemId,
      inputmode: base.type === "string" ? null : "decimal", spellcheck: "false"});
    input.addEventListener("input", schedule);
  }
  field.inputs.push(input);
  field.main = input;
  field.boolean = base.type === "boolean";
  return input;
}

function referenceAccess(field, source) {
  field.get = () => {
    const v = readControl(field.main, field.boolean);
    if (v === undefined) return undefined;
    const src = source ? source.value.trim() : "";
    return src ? {value: v, source: src} : v;
  };
  field.set = (v) => {
    let value = v, src = "";
    if (v !== null && typeof v === "object" && !Array.isArray(v)) { value = v.value; src = v.source || ""; }
    writeControl(field.main, value, field.boolean);
    if (source) source.value = src;
  };
}

function readControl(input, boolean) {
  const raw = input.value;
  if (input.tagName === "SELECT") {
    const option = input.selectedOptions[0];
    if (raw === "") return undefined;
    if (option && option.dataset.raw !== undefined) return raw;  // a text kept as it was given
    if (boolean) return raw === "true";
    return raw;
  }
  return raw.trim() === "" ? undefined : raw;
}

function writeControl(input, value, boolean) {
  if (value === undefined || value === null) { input.value = ""; return; }
  if (input.tagName !== "SELECT") { input.value = String(value); return; }
  if (boolean && typeof value === "boolean") { input.value = value ? "true" : "false"; return; }
  const want = String(value);
  if (![...input.options].some((o) => o.value === want)) {
    // a text the select has no choice for (a record made elsewhere): kept, and sent back, as it is
    input.append(el("option", {value: want, text: want, "data-raw": ""}));
  }
  input.value = want;
}

// one assessor's entry

function entryRow(e) {
  const key = e.key;
  const id = "e-" + safeId(key);
  const problem = el("div", {class: "problem", id: "pe-" + safeId(key), "data-problem": "assessments." + key});
  const label = e.form === "points" ? t("entryPoints") : e.form === "met" ? t("entryMet") : t("entryValue");
  const entry = {problem, inputs: []};
  const value = e.form === "met"
    ? valueControl({type: "boolean"}, id, null, problem.id, entry)
    : valueControl({type: "string"}, id, null, problem.id, entry);
  value.dataset.entry = key;
  if (e.form === "points") value.setAttribute("inputmode", "decimal");
  const rationale = el("input", {type: "text", class: "rationale", id: "er-" + safeId(key), placeholder: t("rationale"),
    "aria-label": `${key} ${t("rationale")}`, "data-entry-rationale": key});
  const who = el("input", {type: "text", class: "assessor", id: "ea-" + safeId(key), placeholder: t("assessor"),
    "aria-label": `${key} ${t("assessor")}`, "data-entry-assessor": key});
  rationale.addEventListener("input", schedule);
  who.addEventListener("input", schedule);
  entry.inputs.push(rationale, who);
  entryAccess(entry, e.form, rationale, who);
  S.entries.set(key, entry);
  const bounds = e.form === "points" ? `${e.min}–${e.max} ${t("points")}` : "";
  const title = e.part ? `${key} ${txt(e.label)}` : key;
  return el("div", {class: "field entry", "data-entry-row": key},
    el("label", {for: id, text: t("entryOf", label, title)}),
    el("div", {class: "control"}, value, bounds ? el("span", {class: "bounds", text: bounds}) : null, rationale, who),
    e.full_when ? el("div", {class: "full-when"}, t("fullWhen"), el("code", {text: e.full_when})) : null,
    problem);
}

function entryAccess(entry, form, rationale, who) {
  const word = form === "points" ? "points" : form === "met" ? "met" : "value";
  entry.get = () => {
    const v = readControl(entry.main, entry.boolean);
    if (v === undefined) return undefined;
    const out = {[word]: v};
    if (rationale.value.trim()) out.rationale = rationale.value;
    if (who.value.trim()) out.assessor = who.value;
    return out;
  };
  entry.set = (given) => {
    let e = Array.isArray(given) ? given[given.length - 1] : given;  // several assessors: the last, as scored
    if (e === null || typeof e !== "object") e = {value: e};
    const v = "points" in e ? e.points : "met" in e ? e.met : e.value;
    writeControl(entry.main, v, entry.boolean);
    rationale.value = e.rationale || "";
    who.value = e.assessor || "";
  };
}

// ---------------------------------------------------------------------------
// the unit as the form holds it, and back

function collect() {
  const data = {}, assessments = {};
  for (const [name, f] of S.fields) { const v = f.get(); if (v !== undefined) data[name] = v; }
  for (const [key, e] of S.entries) { const v = e.get(); if (v !== undefined) assessments[key] = v; }
  const context = {};
  if ($("unit-name").value.trim()) context.name = $("unit-name").value.trim();
  if ($("unit-code").value.trim()) context.code = $("unit-code").value.trim();
  const doc = {data, assessments, context};
  if ($("unit-on").value) doc.on = $("unit-on").value;
  if (S.tier) doc.tier = S.tier;
  return doc;
}

function fill(doc, keepUnit) {
  const data = doc.data || {}, entries = doc.assessments || {};
  for (const [name, f] of S.fields) f.set(data[name]);
  for (const [key, e] of S.entries) e.set(entries[key]);
  if (keepUnit) return;
  const ctx = doc.context || {};
  $("unit-name").value = ctx.name || "";
  $("unit-code").value = ctx.code || "";
  $("unit-on").value = doc.on ? String(doc.on).slice(0, 10) : "";
}

// ---------------------------------------------------------------------------
// scoring as one types (record=false: typing keeps nothing)

function schedule() {
  clearTimeout(S.timer);
  S.timer = setTimeout(score, 300);
  $("saved").textContent = "";
}

async function score() {
  if (!S.rs) return;
  clearTimeout(S.timer);
  const seq = ++S.seq;
  if (S.ctrl) S.ctrl.abort();
  S.ctrl = new AbortController();
  const body = JSON.stringify(collect());
  const r = await guarded(() => call("POST", rsPath(`evaluate?record=false&lang=${S.lang}`),
    {body, type: "application/json", signal: S.ctrl.signal}));
  if (!r || seq !== S.seq) return;
  answered(r);
}

/** Show an evaluation's answer: the result, or the values it rejected beside their fields. */
function answered(r) {
  if (r.ok) {
    showResult(r.data);
    showProblems(r.data.problems || []);
    $("stale").hidden = true;
    return true;
  }
  const err = r.data && r.data.error;
  if (r.status === 422 && err && err.code === "invalid_input") {
    showProblems(err.problems || []);
    $("stale").hidden = false;
  } else if (r.status !== 401) {
    showStatus(errorText(r));
  }
  return false;
}

function showResult(ev) {
  $("total").textContent = ev.total == null ? "—" : ev.total;
  $("max-total").textContent = ev.max_total == null ? "" : `/ ${ev.max_total}`;
  $("grade").textContent = ev.grade ? t("grade") + txt(ev.grade) : "";
  showState(ev);
  showSections(ev.sections || []);
  for (const it of ev.items || []) showItem(it);
  for (const c of [...(ev.vetoes || []), ...(ev.eligibility || [])]) {
    const box = S.conds.get(c.id);
    if (box) box.reason.textContent = txt(c.reason);
  }
}

function showState(ev) {
  const state = $("state");
  const missing = (ev.problems || []).filter((p) => p.code === "missing").length;
  state.className = "state";
  if (ev.vetoed) { state.textContent = t("vetoed"); state.className = "state bad"; }
  else if (ev.eligible === false) { state.textContent = t("notEligible"); state.className = "state bad"; }
  else if (ev.complete) state.textContent = t("complete");
  else state.textContent = missing ? t("incomplete", missing) : t("pending");
}

function showSections(sections) {
  $("sections").replaceChildren(...sections.map((sec) => {
    const [value, max] = sec.max != null ? [sec.points, sec.max] : [String(sec.met), String(sec.count)];
    const shown = `${value == null ? "—" : value} / ${max}`;
    const ratio = sec.max != null ? ratioOf(sec.points, sec.max) : ratioOf(sec.met, sec.count);
    const box = document.querySelector(`fieldset[data-section="${CSS.escape(sec.id)}"]`);
    if (box) {
      box.querySelector(".sec-pts").textContent = shown;
      box.querySelector(".fill").style.width = ratio + "%";
    }
    const fill = el("div", {class: "fill"});
    fill.style.width = ratio + "%";
    return el("li", {"data-section": sec.id},
      el("span", {class: "name", text: `${sec.number || ""} ${txt(sec.title)}`.trim(), title: txt(sec.title)}),
      el("span", {class: "pts", text: shown}), el("div", {class: "bar"}, fill));
  }));
}

/** How full a bar is, in per cent: for the eye only (the numbers shown are the service's text). */
function ratioOf(value, max) {
  const v = parseFloat(value), m = parseFloat(max);
  if (!isFinite(v) || !isFinite(m) || m <= 0) return 0;
  return Math.max(0, Math.min(100, (v / m) * 100));
}

function showItem(it) {
  const box = S.items.get(it.id);
  if (!box) return;
  if (it.max != null) box.pts.textContent = `${it.points == null ? "—" : it.points} / ${it.max}`;
  else box.pts.textContent = it.met == null ? "" : (it.met ? t("met") : t("notMet"));
  const words = S.layout.statuses[it.status];
  box.status.textContent = words ? txt(words) : it.status;
  box.status.className = "status-tag " + it.status;
  box.reason.textContent = txt(it.reason);
}

function showProblems(problems) {
  for (const f of [...S.fields.values(), ...S.entries.values()]) {
    f.problem.textContent = "";
    f.problem.className = "problem";
    for (const i of f.inputs) i.classList.remove("invalid");
  }
  const general = [];
  for (const p of problems) {
    if (p.code === "missing") continue;  // the form shows what is not filled in; the state counts it
    const key = String(p.field || "");
    const f = key.startsWith("assessments.") ? S.entries.get(key.slice(12)) : S.fields.get(key);
    if (!f) { general.push(p); continue; }
    f.problem.textContent = [f.problem.textContent, txt(p.message)].filter(Boolean).join("；");
    if (p.severity === "error") f.main.classList.add("invalid");
    else f.problem.classList.add("warning");
  }
  $("general").replaceChildren(...general.map((p) => el("li", {class: p.severity, text: txt(p.message)})));
}

// ---------------------------------------------------------------------------
// saving, a workbook, downloads

async function save() {
  if (!S.rs) { showStatus(t("chooseFirst")); return; }
  clearTimeout(S.timer);
  let path = rsPath(`evaluate?record=true&lang=${S.lang}`);
  if (S.opened && $("revises").checked) path += `&revises=${encodeURIComponent(S.opened)}`;
  $("save").disabled = true;
  const r = await guarded(() => call("POST", path, {body: JSON.stringify(collect()), type: "application/json"}));
  $("save").disabled = false;
  if (!r) return;
  S.seq++;  // an answer still on its way is older than this one
  if (answered(r)) {
    const id = r.data.assessment.id;
    $("saved").textContent = t("saved", id);
    $("saved").dataset.id = id;
    if (!$("rec-unit").value.trim()) $("rec-unit").value = $("unit-code").value.trim() || $("unit-name").value.trim();
  } else if (r.status === 422) {
    showStatus(errorText(r));
  }
}

async function upload() {
  const file = $("upload").files[0];
  if (!file || !S.rs) { if (!S.rs) showStatus(t("chooseFirst")); return; }
  const form = new FormData();
  form.append("file", file, file.name);
  $("upload-status").textContent = "";
  const r = await guarded(() => call("POST", rsPath(`evaluate/workbook?record=false&lang=${S.lang}`), {body: form}));
  $("upload").value = "";
  if (!r) return;
  if (!r.ok) { showStatus(errorText(r)); return; }
  const input = r.data.input;
  if (input.tier && input.tier !== S.tier) await choose(S.rs, input.tier);
  S.seq++;
  fill(input, false);
  answered(r);
  S.uploaded = file.name;
  $("upload-status").textContent = t("uploaded", file.name);
}

function fileName(kind) {
  const unit = ($("unit-name").value.trim() || S.rs).replace(/[\\/:*?"<>|\s]+/g, "_");
  if (kind === "gaps") return `${unit}-${t("gapsName")}.txt`;
  return `${unit}-${t("sheetName")}.${kind}`;
}

async function download(kind) {
  if (!S.rs) { showStatus(t("chooseFirst")); return; }
  const path = kind === "gaps" ? rsPath(`gaps?format=text&record=false&lang=${S.lang}`)
    : rsPath(`sheet?format=${kind}&record=false&lang=${S.lang}`);
  const r = await guarded(() => call("POST", path, {body: JSON.stringify(collect()), type: "application/json",
    asBlob: true}));
  if (!r) return;
  if (!r.ok) { if (r.status !== 401) showStatus(errorText(r)); return; }
  const url = URL.createObjectURL(r.blob);
  const a = el("a", {href: url, download: fileName(kind), hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

// ---------------------------------------------------------------------------
// the record

async function listRecords(more) {
  if (!S.rs) { showStatus(t("chooseFirst")); return; }
  const q = new URLSearchParams({ruleset: S.rs, limit: "50"});
  const unit = $("rec-unit").value.trim();
  if (unit) q.set("unit", unit);
  if (more && S.next) q.set("after", S.next);
  const r = await guarded(() => get("v1/assessments?" + q));
  if (!r) return;
  if (!r.ok) { if (r.status !== 401) showStatus(errorText(r)); return; }
  const rows = r.data.assessments.map(recordRow);
  if (more) $("rec-body").append(...rows); else $("rec-body").replaceChildren(...rows);
  S.next = r.data.next;
  $("rec-more").hidden = S.next == null;
  $("rec-table").hidden = $("rec-body").children.length === 0;
  $("rec-note").textContent = $("rec-body").children.length ? "" : t("noRecords");
}

function recordRow(rec) {
  const unit = rec.unit || {};
  const when = String(rec.recorded_at || "").replace("T", " ").slice(0, 19);
  return el("tr", {"data-record": rec.id},
    el("td", {class: "num", text: rec.id}), el("td", {text: when}),
    el("td", {text: [unit.name, unit.code].filter(Boolean).join(" ")}),
    el("td", {class: "num", text: rec.total == null ? "—" : rec.total}),
    el("td", {text: rec.complete ? "✓" : "…"}), el("td", {text: rec.submitted_by || ""}),
    el("td", {text: rec.revises == null ? "" : rec.revises}),
    el("td", {}, el("button", {type: "button", text: t("open"), onclick: () => openRecord(rec.id)})));
}

async function openRecord(id) {
  const r = await guarded(() => get(`v1/assessments/${encodeURIComponent(id)}`));
  if (!r) return;
  if (!r.ok) { if (r.status !== 401) showStatus(errorText(r)); return; }
  const rec = r.data;
  const rsId = rec.ruleset && rec.ruleset.id;
  if (rsId && (rsId !== S.rs || (rec.tier || null) !== S.tier)) await choose(rsId, rec.tier);
  fill({data: rec.data, assessments: rec.assessments, context: rec.context, on: rec.on}, false);
  S.opened = id;
  $("revises-text").textContent = t("revisesOf", id);
  $("revises").checked = true;
  $("revises-box").hidden = false;
  showStatus(t("opened", id), true);
  score();
}

// ---------------------------------------------------------------------------
// the language, the token, start

async function switchLanguage() {
  S.lang = S.lang === "zh" ? "en" : "zh";
  sessionStorage.setItem("fuac-lang", S.lang);
  applyWords();
  if (!S.rs) return;
  const doc = collect();
  buildForm();
  fill(doc, true);
  await score();
  if ($("rec-body").children.length) listRecords(false);
}

function start() {
  $("token").value = sessionStorage.getItem("fuac-token") || "";
  $("token").addEventListener("change", () => {
    const v = $("token").value.trim();
    if (v) sessionStorage.setItem("fuac-token", v); else sessionStorage.removeItem("fuac-token");
    loadRulesets();
  });
  $("lang").addEventListener("click", switchLanguage);
  $("ruleset").addEventListener("change", () => { if ($("ruleset").value) choose($("ruleset").value, null); });
  $("tier").addEventListener("change", () => choose(S.rs, $("tier").value));
  $("find").addEventListener("click", findApplicable);
  $("code").addEventListener("keydown", (e) => { if (e.key === "Enter") findApplicable(); });
  for (const id of ["unit-name", "unit-code", "unit-on"]) $(id).addEventListener("input", schedule);
  $("form").addEventListener("submit", (e) => e.preventDefault());
  $("save").addEventListener("click", save);
  $("upload").addEventListener("change", upload);
  $("dl-html").addEventListener("click", () => download("html"));
  $("dl-xlsx").addEventListener("click", () => download("xlsx"));
  $("dl-gaps").addEventListener("click", () => download("gaps"));
  $("rec-list").addEventListener("click", () => listRecords(false));
  $("rec-more").addEventListener("click", () => listRecords(true));
  applyWords();
  loadRulesets();
}

start();
})();
