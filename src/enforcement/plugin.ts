import type { ApolloServerPlugin } from '@apollo/server';
import { declarePurpose } from '../callers/purpose';
import { gatewayError } from '../errors';
import type { GatewayContext } from '../request/context';
import type { CompiledPolicy } from '../policy';
import { refusedRootField } from './audience';
import { Disclosure } from './disclosure';
import { selectsPersonalField } from './personal-selection';
import { CaseLookup, requestScope } from './row-scope';
import type { SensitiveField } from './sensitive-fields';

export interface PurposePluginDeps {
  policy: CompiledPolicy;
  fields: Map<string, SensitiveField>;
  /** Registered legal cases, for purposes with scope `case`. */
  cases: CaseLookup;
}

/**
 * Before execution: the operation's purpose is declared and accepted (callers/purpose.ts), or the
 * operation is refused whole (no `data`). An accepted purpose's disclosure is declared, once, on
 * the request's state (`ctx.request`). An operation without a purpose may run only if it selects
 * no personal field. Either way, the request's row scope (SPEC §11) is decided here, and an
 * operation selecting a root field that is not for this purpose or role is refused whole
 * (FORBIDDEN, no `data`; src/enforcement/audience.ts).
 */
export function purposePlugin({ policy, fields, cases }: PurposePluginDeps): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document, request: { variables }, schema }) {
          if (!operation) return; // Apollo has already refused a document without a runnable operation.
          const { request, caller, loaders } = contextValue;
          const declared = declarePurpose(policy, caller, { headers: request.headers, operation, variables: variables ?? {} });
          if (declared) {
            loaders.useScope(await requestScope(policy, caller, declared, request.at, cases));
            request.declare(new Disclosure(request.id, caller.id, declared.purpose, declared.basis, declared.caseRef, policy, request.at, request.headers.get('x-explain') === '1'));
          } else if (selectsPersonalField(schema, document, operation, fields)) {
            throw gatewayError('PURPOSE_REQUIRED', 'This operation selects personal fields: declare why, with @purpose(name: "…") or the X-Purpose header');
          } else {
            loaders.useScope(await requestScope(policy, caller, null, request.at, cases));
          }
          // FORBIDDEN refuses the whole operation before any of it runs (a mutation before the refused field would be done).
          const refused = refusedRootField(schema, document, operation, variables ?? {}, declared?.purpose ?? null, caller.role);
          if (refused) throw refused;
        },
      };
    },
  };
}

/** Commits a request's disclosure records durably, or throws. */
export type DisclosureCommit = (d: Disclosure) => Promise<void>;

/** What a client gets instead of its response when the audit commit fails: no data, only this (HTTP 503). */
export const AUDIT_UNAVAILABLE = Object.freeze({
  status: 503,
  headers: Object.freeze({ 'retry-after': '5' }),
  error: Object.freeze({ message: 'The sharing audit is unavailable, so no personal data can be released; retry later', extensions: Object.freeze({ code: 'AUDIT_UNAVAILABLE' as const }) }),
});

/**
 * After execution, before a byte leaves: start the commit of the audit records, and add the
 * denial entries and `extensions.disclosure`. Fail-closed either way:
 * - behind the gateway's HTTP handler (`ctx.holdResponseFor`), the handler gets the commit and
 *   writes nothing until it is durable; if it fails, the client gets AUDIT_UNAVAILABLE (503)
 *   and none of the serialised response;
 * - otherwise this hook waits for the commit, and on failure the response carries no data,
 *   only AUDIT_UNAVAILABLE.
 */
export function disclosurePlugin(commit: DisclosureCommit): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue: ctx, response }) {
          const d = ctx.request.disclosure;
          if (!d || response.body.kind !== 'single') return;
          // Given up at its deadline (src/request/deadline.ts): this response never leaves, so nothing of it is audited.
          if (!ctx.request.beginCommit()) return void d.close();
          const result = response.body.singleResult;
          if (result.errors?.length) d.keepServed(result.data);
          d.close();
          // Never rejects: whoever holds the response reads the outcome.
          const committed = commit(d).then(() => true, () => false);
          if (ctx.holdResponseFor) {
            ctx.holdResponseFor(committed);
          } else if (!(await committed)) {
            result.data = null;
            result.errors = [AUDIT_UNAVAILABLE.error];
            result.extensions = undefined;
            response.http.status = AUDIT_UNAVAILABLE.status;
            for (const [k, v] of Object.entries(AUDIT_UNAVAILABLE.headers)) response.http.headers.set(k, v);
            return;
          }
          if (d.denials.length) result.errors = [...(result.errors ?? []), ...d.denials];
          result.extensions = { ...result.extensions, disclosure: { ...d.summary(), ...(d.explain ? { fields: d.explain } : {}) } };
        },
      };
    },
  };
}
