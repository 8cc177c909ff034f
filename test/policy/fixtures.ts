import { compilePolicy, defaultPolicyPath, loadPolicy } from '../../src/policy';
import type { Category, CompiledPolicy, LegalBasis, Purpose, SubjectFacts } from '../../src/policy';

/** The policy matrix exactly as SPEC §4 prints it (legal.* stands for its four children). */
export const SPEC_MATRIX = `
| category | account | fulfilment | payment | after-sales | risk-control | personalization | marketing.push | analytics | third-party-app | research | legal.* |
|---|---|---|---|---|---|---|---|---|---|---|---|
| profile.basic | A | A | A | A | A | A | A | D | A | D | A |
| profile.extended | A | D | D | D | A | A | D | D | D | D | A |
| identity.name | A | A | M:NAME | M:NAME | A | D | D | D | D | D | A |
| identity.birthdate | A | D | D | D | M:YEAR | M:YEAR | D | D | D | M:YEAR | A |
| contact.phone | A | A | D | M:PHONE | A | D | D | D | D | D | A |
| contact.address | A | A | D | M:CITY | A | D | D | D | D | D | A |
| financial.account | A | D | M:ACCOUNT | D | M:ACCOUNT | D | D | D | D | D | A |
| financial.card | D | D | A | D | M:LAST4 | D | D | D | D | D | A |
| transaction.order | A | A | A | A | A | A | D | D | D | D | A |
| device.info | A | D | A | D | A | A | A | A | D | D | A |
| device.identifier | D | D | M:PSEUDONYM | D | A | M:PSEUDONYM | M:PSEUDONYM | M:PSEUDONYM | D | D | A |
| location.network | D | D | M:IP_PREFIX | D | A | M:IP_PREFIX | D | M:IP_PREFIX | D | D | A |
| location.precise | D | D | D | D | A | M:COARSE | D | D | D | D | A |
| location.coarse | A | A | D | A | A | A | A | A | D | D | A |
`;

/** SPEC §4's purposes table: each column's purposes, with their basis. */
export const SPEC_COLUMNS: Record<string, readonly Purpose[]> = {
  account: ['account'],
  fulfilment: ['service.fulfilment'],
  payment: ['service.payment'],
  'after-sales': ['service.after-sales'],
  'risk-control': ['security.risk-control'],
  personalization: ['personalization'],
  'marketing.push': ['marketing.push'],
  analytics: ['analytics'],
  'third-party-app': ['third-party-app'],
  research: ['research'],
  'legal.*': ['legal.state-security', 'legal.public-safety', 'legal.criminal-investigation', 'legal.vital-interests'],
};

export const SPEC_BASES: Record<Purpose, LegalBasis> = {
  account: 'contract',
  'service.fulfilment': 'contract',
  'service.payment': 'contract',
  'service.after-sales': 'contract',
  'security.risk-control': 'legitimate-interest',
  personalization: 'consent',
  'marketing.push': 'consent',
  analytics: 'consent',
  'third-party-app': 'contract',
  research: 'legitimate-interest',
  'legal.state-security': 'legal-exception',
  'legal.public-safety': 'legal-exception',
  'legal.criminal-investigation': 'legal-exception',
  'legal.vital-interests': 'legal-exception',
  'audit.review': 'legal-obligation',
};

export interface MatrixCell {
  readonly purpose: Purpose;
  readonly category: Category;
  readonly cell: string;
  readonly definedAt: string;
}

/** Every (purpose, category) of SPEC_MATRIX, plus audit.review denying every category. */
export function specCells(): MatrixCell[] {
  const rows = SPEC_MATRIX.trim().split('\n').map((line) => line.split('|').slice(1, -1).map((c) => c.trim()));
  const [header, , ...body] = rows;
  const cells: MatrixCell[] = [];
  for (const [category, ...values] of body) {
    values.forEach((cell, column) => {
      for (const purpose of SPEC_COLUMNS[header[column + 1]]) {
        const definedAt = purpose.startsWith('legal.') ? 'legal' : purpose;
        cells.push({ purpose, category: category as Category, cell, definedAt });
      }
    });
    cells.push({ purpose: 'audit.review', category: category as Category, cell: 'D', definedAt: 'audit.review' });
  }
  return cells;
}

export function projectPolicy(): CompiledPolicy {
  return compilePolicy(loadPolicy(defaultPolicyPath()));
}

/** Facts that pass every subject condition of SPEC §4: present, adult, with a consent. */
export const CONSENTING_ADULT: SubjectFacts = Object.freeze({ erased: false, minor: false, consentId: 'consent-1', consentByGuardian: false });
