import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphQLObjectType } from 'graphql';
import { startGateway } from '../../src/app';
import { loadConfig } from '../../src/config';
import { enforceSchema } from '../../src/enforcement/enforce-schema';
import { SINGLE_ROW_FIELDS } from '../../src/enforcement/row-scope';
import { checkSchemaAgainstPolicy, SchemaPolicyMismatch, sensitiveFields } from '../../src/enforcement/sensitive-fields';
import { buildGatewaySchema } from '../../src/graphql/schema';
import { compilePolicy, defaultPolicyPath, loadPolicy, PolicyValidationError } from '../../src/policy';

const policy = compilePolicy(loadPolicy(defaultPolicyPath()));

describe('the enforcement transform', () => {
  const base = buildGatewaySchema();
  const enforced = enforceSchema(base, { policy, pseudonymSecret: 'x'.repeat(16) });
  const fields = sensitiveFields(base);

  it('finds every categorised field of SPEC §3, with the bank-card variant of accountNo', () => {
    expect(fields.size).toBe(25); // User 9, PaymentAccount 3, Order 5, Device 8
    expect(fields.get('PaymentAccount.accountNo')).toEqual({ typeName: 'PaymentAccount', fieldName: 'accountNo', category: 'financial.account', cardCategory: 'financial.card' });
    expect(fields.get('Device.location')?.category).toBe('location.precise');
    expect(fields.get('Order.items')?.category).toBe('transaction.order');
    expect(fields.has('User.id')).toBe(false);
  });

  it('wraps exactly the @sensitive fields and the single-row fields (scope), and leaves every other resolver as it was', () => {
    expect([...SINGLE_ROW_FIELDS.keys()].sort()).toEqual(['Order.paymentAccount', 'Order.user', 'Query.device', 'Query.order', 'Query.user']);
    for (const typeName of ['User', 'PaymentAccount', 'Order', 'Device', 'Query']) {
      const before = (base.getType(typeName) as GraphQLObjectType).getFields();
      const after = (enforced.getType(typeName) as GraphQLObjectType).getFields();
      for (const [name, field] of Object.entries(after)) {
        const wrapped = fields.has(`${typeName}.${name}`) || SINGLE_ROW_FIELDS.has(`${typeName}.${name}`);
        if (wrapped) expect(field.resolve).not.toBe(before[name].resolve);
        else expect(field.resolve).toBe(before[name].resolve);
        if (wrapped) expect(field.resolve).toBeDefined();
      }
    }
  });

  it('keeps every categorised field nullable, so that a denial can be null', () => {
    for (const f of fields.values()) {
      const type = (enforced.getType(f.typeName) as GraphQLObjectType).getFields()[f.fieldName].type;
      expect(type.toString().endsWith('!')).toBe(false);
    }
  });

  it('refuses a schema category the policy does not define', () => {
    const broken = new Map(fields);
    broken.set('User.shoeSize', { typeName: 'User', fieldName: 'shoeSize', category: 'body.measurements' as never, cardCategory: null });
    expect(() => checkSchemaAgainstPolicy(broken, policy)).toThrow(SchemaPolicyMismatch);
    expect(() => checkSchemaAgainstPolicy(broken, policy)).toThrow(/User\.shoeSize.*body\.measurements/);
  });
});

describe('start-up', () => {
  it('refuses to start with an invalid policy file and names its line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pg-policy-'));
    const file = path.join(dir, 'policy.yaml');
    const text = readFileSync(defaultPolicyPath(), 'utf8').replace(/M:PHONE/, 'M:PHONEX');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('M:PHONEX')) + 1;
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATA_DIR: dir, PSEUDONYM_SECRET: 'x'.repeat(16), POLICY_FILE: file });
    const start = startGateway(config);
    await expect(start).rejects.toThrow(PolicyValidationError);
    await expect(startGateway(config)).rejects.toThrow(new RegExp(`policy\\.yaml:${line}: .*PHONEX`));
  });
});
