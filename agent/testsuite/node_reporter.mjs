// A reporter for Node's built-in test runner (`node --test`): one JSON line per test event, to
// the file named by AGENT_TEST_EVENTS. Node's own junit reporter leaves out which file a test is
// in, so two files' tests of the same name could not be told apart; these events carry it.
import { appendFileSync } from 'node:fs';

const out = process.env.AGENT_TEST_EVENTS;

export default async function* reporter(source) {
  for await (const ev of source) {
    if (!out || !['test:start', 'test:pass', 'test:fail'].includes(ev.type)) continue;
    const d = ev.data || {};
    const details = d.details || {};
    const err = details.error;
    const line = {
      type: ev.type, name: d.name, nesting: d.nesting, file: d.file, line: d.line,
      kind: details.type, skip: d.skip !== undefined && d.skip !== false, todo: d.todo !== undefined && d.todo !== false,
      duration: details.duration_ms,
    };
    if (err) {
      line.message = String((err.cause && (err.cause.stack || err.cause.message)) || err.message || err);
      line.failureType = err.failureType;
    }
    appendFileSync(out, JSON.stringify(line) + '\n');
  }
}
