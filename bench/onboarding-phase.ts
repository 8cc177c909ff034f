import { readFileSync } from 'node:fs';
import { createProjection } from '../src/audit';
import { sensitiveFields } from '../src/enforcement/sensitive-fields';
import { buildGatewaySchema } from '../src/graphql/schema';
import { checkOperation } from '../src/onboarding';
import { replayAudit } from '../src/onboarding/policy-impact';
import { compilePolicy, defaultPolicyPath, loadPolicy, parsePolicy } from '../src/policy';
import { quantile, table } from './stats';
import type { BenchStore } from './store';

const USER_FIELDS = ['username', 'nickname', 'avatarUrl', 'gender', 'signature', 'realName', 'birthDate', 'phone', 'city'];

/** A document with `n` categorised fields: aliased users, nested devices and a fragment, as a partner would write it. */
export function wideDocument(n: number): string {
  const perUser = USER_FIELDS.length + 1;
  const users = Math.ceil(n / perUser);
  const parts: string[] = [];
  for (let i = 0; i < users; i++) parts.push(`u${i}: user(id: "${i + 1}") { id ...Profile devices { deviceId } }`);
  return `query Wide @purpose(name: "service.payment") {\n  ${parts.join('\n  ')}\n}\nfragment Profile on User { ${USER_FIELDS.join(' ')} }\n`;
}

/**
 * Partner onboarding (issue 9): checkOperation on a 200-field document (target < 5 ms), and
 * `policy:diff --impact` replaying the audit under a widened policy (target < 60 s at 1 M
 * records on MariaDB, bounded memory: the RSS it adds is reported).
 */
export async function runOnboardingPhase(store: BenchStore): Promise<string> {
  const policy = compilePolicy(loadPolicy(defaultPolicyPath()));
  const schema = buildGatewaySchema();
  const ctx = { schema, fields: sensitiveFields(schema), policy };
  const document = wideDocument(200);
  const client = { id: 'pay-alipay', purposes: ['service.payment'] };
  const first = checkOperation(ctx, { document, client });
  if (!first.valid || first.fields.length < 200) throw new Error(`the wide document checks ${first.fields.length} fields (valid: ${first.valid})`);
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    checkOperation(ctx, { document, client });
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }

  const widened = parsePolicy(
    readFileSync(defaultPolicyPath(), 'utf8').replace(/(\n\s+contact\.phone:\s*)D(\s)/, '$1A$2'),
    'bench-widened-policy.yaml',
  );
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  const t0 = process.hrtime.bigint();
  const impact = await replayAudit(createProjection(store.ds), store.ds, compilePolicy(widened), { days: 31 });
  const total = impact.records;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sampler);
  const changed = impact.changed;
  return [
    '## Partner onboarding\n',
    table(['measure', 'result', 'target'], [
      [`checkOperation, ${first.fields.length}-field document (p50 / p99 of 200)`, `${quantile(ms, 0.5).toFixed(2)} / ${quantile(ms, 0.99).toFixed(2)} ms`, '< 5 ms'],
      [`policy:diff --impact over ${total.toLocaleString('en')} audit records`, `${seconds.toFixed(1)} s, ${changed.toLocaleString('en')} decisions change`, '< 60 s at 1 M (MariaDB)'],
      ['RSS added during the replay (peak − start)', `${((peak - rssBefore) / 2 ** 20).toFixed(0)} MiB (peak ${(peak / 2 ** 20).toFixed(0)} MiB)`, 'bounded'],
    ]),
    '',
  ].join('\n');
}
