import { checkSchemaAgainstPolicy, sensitiveFields } from '../enforcement/sensitive-fields';
import { buildGatewaySchema } from '../graphql/schema';
import { compilePolicy, defaultPolicyPath, loadPolicy, ParseOptions } from '../policy';
import type { CheckContext } from '../onboarding/check-operation';

/** The check context a command line tool uses: the gateway's schema and policy file, validated as at start (`options` relaxes the file's checks). */
export function loadCheckContext(policyFile: string = process.env.POLICY_FILE || defaultPolicyPath(), options: ParseOptions = {}): CheckContext {
  const policy = compilePolicy(loadPolicy(policyFile, options));
  const schema = buildGatewaySchema();
  const fields = sensitiveFields(schema);
  checkSchemaAgainstPolicy(fields, policy);
  return { schema, fields, policy };
}
