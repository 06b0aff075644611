/**
 * Runs after every test file (jest setupFilesAfterEnv): the file fails if an answer it
 * saw over HTTP does not match the OpenAPI document (test/support/contract.ts).
 */
import { takeViolations } from './contract';

afterAll(() => {
  const { violations } = takeViolations();
  if (violations.length === 0) return;
  const lines = violations.slice(0, 20).map((v) => `  ${v.request} -> ${v.status}: ${v.problem}`);
  throw new Error(`${violations.length} answer(s) do not match web/openapi/openapi.json:\n${lines.join('\n')}`);
});
