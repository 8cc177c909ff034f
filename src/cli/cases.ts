import { Command } from 'commander';
import { now } from '../clock';
import { compilePolicy, defaultPolicyPath, loadPolicy } from '../policy';
import { CaseView, closeCase, getCase, listCases, registerCase } from '../relationships/cases';
import { RelationshipError } from '../relationships/errors';
import { runCli, withStore } from './store';

/**
 * `npm run cases -- open|close|list`: the legal cases of SPEC §11 from the command line, as
 * `registerCase`, `closeCase` and `legalCases` do for auditors. A legal purpose releases data only
 * about the subjects its declared case names, while the case is open and unexpired. Cases opened
 * here are recorded as opened by `cli`.
 */
const OPENED_BY = 'cli';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Text from the store as one terminal-safe line: no control characters (an escape sequence is not printed as one). */
const text = (v: string) => v.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

const iso = (d: Date | null) => (d ? d.toISOString() : '-');

function describe(c: CaseView): string {
  return `${text(c.caseRef)} ${c.state}: ${c.purposes.map(text).join(', ')}; subjects ${c.subjectIds.join(', ')}; expires ${iso(c.expiresAt)}`;
}

const program = new Command('cases').description('Register, close and list the legal cases that scope the legal purposes: a legal purpose releases data only about the subjects of the case it cites');

program.command('open')
  .description('Register a legal case: its purposes may then be declared citing it, about its subjects only, until it expires or is closed')
  .requiredOption('--ref <caseRef>', 'the case reference requests cite (X-Case-Ref or @purpose(caseRef:)), e.g. GA-2026-0117')
  .requiredOption('--purposes <list>', 'comma-separated legal purposes (scope "case"), e.g. legal.criminal-investigation', list)
  .requiredOption('--subjects <list>', 'comma-separated user ids the case names', list)
  .requiredOption('--expires <date>', 'when it expires: an ISO-8601 date (its end, UTC) or date-time in the future')
  .action(async (o: { ref: string; purposes: string[]; subjects: string[]; expires: string }) => {
    const policy = compilePolicy(loadPolicy(process.env.POLICY_FILE || defaultPolicyPath()));
    await withStore(async (ds) => {
      const c = await registerCase(ds, policy, { caseRef: o.ref, purposes: o.purposes, subjectIds: o.subjects, expiresAt: o.expires }, OPENED_BY, now());
      process.stdout.write(`opened case ${describe(c)}\n`);
    });
  });

program.command('close')
  .description('Close a legal case: from the next request on, citing it is refused with CASE_UNKNOWN (closing a closed case changes nothing)')
  .requiredOption('--ref <caseRef>', 'the case reference')
  .action(async (o: { ref: string }) => {
    await withStore(async (ds) => {
      const at = now();
      // Asked before closing: a store may keep the closing time to the second only, so it cannot be told from `at` afterwards.
      const already = (await getCase(ds, o.ref, at))?.closedAt != null;
      const c = await closeCase(ds, o.ref, at);
      process.stdout.write(already ? `case ${text(c.caseRef)} was already closed at ${iso(c.closedAt)}\n` : `closed case ${text(c.caseRef)} at ${iso(c.closedAt)}\n`);
    });
  });

program.command('list')
  .description('List the legal cases, newest first: reference, state (OPEN, CLOSED or EXPIRED), purposes, subjects, expiry')
  .option('--open', 'only the cases that can be cited now')
  .option('--closed', 'only the cases that can no longer be cited (closed or expired)')
  .action(async (o: { open?: boolean; closed?: boolean }) => {
    if (o.open && o.closed) throw new RelationshipError('BAD_USER_INPUT', 'give --open or --closed, not both', 'open');
    await withStore(async (ds) => {
      const cases = await listCases(ds, now(), o.open ? true : o.closed ? false : null);
      if (!cases.length) {
        process.stdout.write(`no ${o.open ? 'open ' : o.closed ? 'closed or expired ' : ''}cases\n`);
        return;
      }
      for (const c of cases) {
        process.stdout.write(`${text(c.caseRef).padEnd(20)} ${c.state.padEnd(7)} ${c.purposes.map(text).join(',')}  subjects ${c.subjectIds.join(',')}  expires ${iso(c.expiresAt)}  opened ${iso(c.openedAt)} by ${text(c.openedBy)}${c.closedAt ? `  closed ${iso(c.closedAt)}` : ''}\n`);
      }
    });
  });

runCli(async () => {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    // A case that cannot be recorded as asked: its stable code (CASE_EXISTS, UNKNOWN_USER, …), nothing written.
    if (!(e instanceof RelationshipError)) throw e;
    process.stderr.write(`error [${e.code}]: ${e.message}\n`);
    process.exit(1);
  }
});
