/**
 * /api/v1/rules and /api/v1/alerts over whatever rule source the server wires in (empty
 * groups until then), with Prometheus's filters: type, rule_name[], rule_group[], file[],
 * match[] on rule labels, and exclude_alerts; and /api/v1/alertmanagers.
 * @module
 */
import { type Matcher, matchesAll } from '../model/index.js';
import { BadDataError } from './errors.js';
import type { AlertJSON, RuleGroupJSON, RuleJSON } from './prometheus-api.js';
import type { ApiContext } from './prometheus-context.js';
import { type JsonValue, goJSON } from './prometheus-json.js';
import { parseMatchersParam } from './prometheus-series.js';
import { invalidParam } from './prom-params.js';
import type { Router } from './router.js';

/** mountRulesRoutes registers /rules, /alerts and /alertmanagers. */
export function mountRulesRoutes(r: Router, ctx: ApiContext): void {
  ctx.route(r, ['GET', 'POST'], '/rules', async (req, p) => {
    const names = new Set(p.getAll('rule_name[]'));
    const groupNames = new Set(p.getAll('rule_group[]'));
    const files = new Set(p.getAll('file[]'));
    const matcherSets = parseMatchersParam(p.getAll('match[]'));
    const type = (req.url.searchParams.get('type') ?? '').toLowerCase();
    if (type !== '' && type !== 'alert' && type !== 'record') throw invalidParam('type', new BadDataError(`not supported value ${JSON.stringify(type)}`));
    const excludeRaw = p.get('exclude_alerts') ?? '';
    if (excludeRaw !== '' && !/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(excludeRaw)) {
      throw invalidParam('exclude_alerts', new BadDataError(`strconv.ParseBool: parsing ${JSON.stringify(excludeRaw)}: invalid syntax`));
    }
    const excludeAlerts = /^(1|t|T|TRUE|true|True)$/.test(excludeRaw);
    const groups: string[] = [];
    for (const g of ctx.deps.rules?.ruleGroups() ?? []) {
      if (groupNames.size > 0 && !groupNames.has(g.name)) continue;
      if (files.size > 0 && !files.has(g.file)) continue;
      const rules: string[] = [];
      for (const rule of g.rules) {
        if (names.size > 0 && !names.has(rule.name)) continue;
        if (rule.type === 'alerting' && type === 'record') continue;
        if (rule.type === 'recording' && type === 'alert') continue;
        if (!matchesRuleLabels(rule, matcherSets)) continue;
        rules.push(ruleJSON(rule, excludeAlerts));
      }
      // Groups left without rules (all filtered out, or empty) are not listed.
      if (rules.length === 0) continue;
      groups.push(groupJSON(g, rules));
    }
    return { data: `{"groups":[${groups.join(',')}]}` };
  });

  ctx.route(r, ['GET'], '/alerts', async () => {
    const alerts: string[] = [];
    for (const g of ctx.deps.rules?.ruleGroups() ?? []) {
      for (const rule of g.rules) for (const a of rule.alerts ?? []) alerts.push(alertJSON(a));
    }
    return { data: `{"alerts":[${alerts.join(',')}]}` };
  });

  ctx.route(r, ['GET'], '/alertmanagers', async () => {
    const am = ctx.deps.alertmanagers?.() ?? { active: [], dropped: [] };
    return { data: goJSON({ activeAlertmanagers: am.active.map((url) => ({ url })), droppedAlertmanagers: am.dropped.map((url) => ({ url })) }) };
  });
}

function matchesRuleLabels(rule: RuleJSON, sets: readonly Matcher[][]): boolean {
  if (sets.length === 0) return true;
  const labels = rule.labels ?? {};
  return sets.some((ms) => matchesAll(ms, (n) => labels[n] ?? ''));
}

function groupJSON(g: RuleGroupJSON, rules: readonly string[]): string {
  const head = goJSON({ name: g.name, file: g.file });
  const tail = goJSON({ interval: g.interval, limit: g.limit, evaluationTime: g.evaluationTime, lastEvaluation: g.lastEvaluation });
  return `${head.slice(0, -1)},"rules":[${rules.join(',')}],${tail.slice(1)}`;
}

// Go marshals label maps with sorted keys.
function sorted(r: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (r !== undefined) for (const k of Object.keys(r).sort()) out[k] = r[k]!;
  return out;
}

function alertJSON(a: AlertJSON): string {
  return goJSON({ labels: sorted(a.labels), annotations: sorted(a.annotations), state: a.state, activeAt: a.activeAt, keepFiringSince: a.keepFiringSince, value: a.value });
}

function ruleJSON(r: RuleJSON, excludeAlerts: boolean): string {
  const lastError = r.lastError === undefined || r.lastError === '' ? undefined : r.lastError;
  if (r.type === 'recording') {
    const labels = r.labels !== undefined && Object.keys(r.labels).length > 0 ? sorted(r.labels) : undefined;
    return goJSON({ name: r.name, query: r.query, labels, health: r.health, lastError, evaluationTime: r.evaluationTime, lastEvaluation: r.lastEvaluation, type: 'recording' });
  }
  const alerts: JsonValue = excludeAlerts ? null : (r.alerts ?? []).map((a) => JSON.parse(alertJSON(a)) as JsonValue);
  return goJSON({
    state: r.state ?? 'inactive',
    name: r.name,
    query: r.query,
    duration: r.duration ?? 0,
    keepFiringFor: r.keepFiringFor ?? 0,
    labels: sorted(r.labels),
    annotations: sorted(r.annotations),
    alerts,
    health: r.health,
    lastError,
    evaluationTime: r.evaluationTime,
    lastEvaluation: r.lastEvaluation,
    type: 'alerting',
  });
}
