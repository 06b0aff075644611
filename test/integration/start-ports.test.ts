/**
 * `npm start` when a port it needs is taken (another `npm start`, or any other program):
 * it must stop at once with a non-zero exit, naming the port, its variable and a free
 * one to use instead, before it starts anything (a second instance used to take the
 * first one's health answer for its own, seed into it and hang on EADDRINUSE).
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { projectDir } from '../../infra/local/stack';
import { freePort } from '../support/private-services';

function npmStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Only what npm needs: nothing of the test stack's environment.
    const child = spawn('npm', ['start'], { cwd: projectDir, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

function hold(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy());
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

it.each([
  ['PORT', 'the API'],
  ['WEB_PORT', 'the web app'],
  ['LAMBDA_PORT', "serverless-offline's Lambda invoke API"],
])('stops at once when %s is taken, naming the port and how to pick another', async (variable, what) => {
  const ports: Record<string, string> = { PORT: String(await freePort()), WEB_PORT: String(await freePort()), LAMBDA_PORT: String(await freePort()) };
  const taken = Number(ports[variable]);
  const server = await hold(taken);
  try {
    const run = await npmStart(ports);

    expect(run.code).not.toBe(0);
    expect(run.output).toContain(`port ${taken} is already in use (${what}, ${variable})`);
    const instead = new RegExp(`${variable}=(\\d+) npm start`).exec(run.output);
    expect(instead).not.toBeNull();
    expect(Number(instead![1])).not.toBe(taken);
    // Only the taken port is named, and nothing was started.
    expect(run.output.match(/is already in use/g)).toHaveLength(1);
    expect(run.output).not.toContain('starting the embedded stack');
  } finally {
    server.close();
  }
});
