/**
 * The deployable configuration: the development-token endpoint exists only on local
 * stages, and every other endpoint of the contract is declared.
 */
import { printService } from '../../infra/local/resources';
import { projectDir } from '../../infra/local/stack';
import { api } from '../support/api';

const routes = (functions: Record<string, any>) =>
  Object.values(functions).flatMap((f) => (f.events ?? []).filter((e: any) => e.httpApi).map((e: any) => `${e.httpApi.method} ${e.httpApi.path}`));

describe('stage configuration', () => {
  it('declares no development-token endpoint outside local stages', async () => {
    const prod = await printService(projectDir, 'prod', { ...process.env, JWT_SECRET: '' });
    expect(Object.keys(prod.functions)).not.toContain('devTokens');
    expect(routes(prod.functions).filter((r) => r.includes('/dev/'))).toEqual([]);
    expect(prod.environment.JWT_SECRET).toBe('');
    expect(prod.environment.DYNAMODB_ENDPOINT).toBe('');
  });

  it('declares every endpoint of the contract, and dev tokens only on the local stage', async () => {
    const local = await printService(projectDir, 'local');
    const expected = [
      'POST /v1/queue/tokens',
      'GET /v1/queue/status',
      'DELETE /v1/queue/tokens/current',
      'GET /v1/concerts',
      'GET /v1/concerts/{concertId}/dates',
      'GET /v1/concerts/{concertId}/dates/{date}/seats',
      'POST /v1/reservations',
      'GET /v1/reservations/{reservationId}',
      'DELETE /v1/reservations/{reservationId}',
      'GET /v1/balance',
      'POST /v1/balance/charges',
      'GET /v1/balance/history',
      'POST /v1/payments',
      'GET /v1/payments',
      'POST /v1/admin/concerts',
      'GET /v1/admin/concerts/{concertId}/queue',
      'PATCH /v1/admin/concerts/{concertId}/queue',
      'POST /v1/dev/tokens',
    ];
    expect(routes(local.functions)).toEqual(expect.arrayContaining(expected));
  });

  it('gives every HTTP function the method and path its route declares', async () => {
    const local = await printService(projectDir, 'local');
    const declared = Object.values(local.functions as Record<string, any>).filter((f) => f.events?.some((e: any) => e.httpApi));
    expect(declared.length).toBeGreaterThan(15);
    for (const f of declared) {
      const file = String(f.handler).replace(/\.handler$/, '');
      const { route } = await import(`../../${file}`);
      const event = f.events.find((e: any) => e.httpApi).httpApi;
      expect({ file, ...route.endpoint }).toEqual({ file, method: event.method, path: event.path });
    }
  });

  it('serves no route that is not declared', async () => {
    expect((await api('GET', '/v1/nope')).status).toBe(404);
  });
});
