import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { ClientRegistry } from '../../callers/registry';
import { badInput, gatewayError } from '../../errors';
import { log } from '../../log';
import { checkOperation, documentHash } from '../../onboarding';
import type { GatewayContext } from '../../request/context';
import { OperationCheck } from '../types/OnboardingCheck';

/** `checkOperation` (SPEC §10): what a document would receive, decided from the policy alone; reads no data. */
@Resolver()
export class OnboardingCheckResolver {
  @Query(() => OperationCheck, {
    description: 'Checks a GraphQL document against the policy without reading any data. `purpose` plays the X-Purpose header (default: the document\'s @purpose). A client checks for itself; an auditor declaring audit.review may name any `clientId`.',
  })
  async checkOperation(
    @Arg('document') document: string,
    @Ctx() ctx: GatewayContext,
    @Arg('purpose', () => String, { nullable: true }) purpose?: string | null,
    @Arg('clientId', () => ID, { nullable: true }) clientId?: string | null,
    @Arg('operationName', () => String, { nullable: true, description: 'Check only this operation of the document.' }) operationName?: string | null,
  ): Promise<OperationCheck> {
    const { caller } = ctx;
    let client: { id: string; purposes: readonly string[] } = caller;
    if (clientId != null && clientId !== caller.id) {
      if (caller.role !== 'auditor' || ctx.request.disclosure?.purpose !== 'audit.review') {
        throw gatewayError('FORBIDDEN', 'A client checks operations for itself; only an auditor declaring "audit.review" may name another client');
      }
      const named = await new ClientRegistry(ctx.ds, 0).get(clientId);
      if (!named) throw badInput(`No client "${clientId.slice(0, 64)}"`, { argument: 'clientId' });
      client = named;
    }
    const result = checkOperation(ctx.operationCheck, { document, purpose, operationName, client, hideSuggestions: caller.kind !== 'internal' });
    // The operations log gets the document's hash, never its text (it may carry literal ids).
    log.info({ requestId: ctx.request.id, client: caller.id, checkedFor: client.id, document: documentHash(document).slice(0, 16), purpose: result.purpose, valid: result.valid, fields: result.fields.length, errors: result.errors.length }, 'operation checked');
    return result as OperationCheck;
  }
}
