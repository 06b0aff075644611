/**
 * The simulation's in-process transport: a request goes straight to its route's handler
 * through the handler's real middy stack (test/support/lambda.ts invokeHttp: an API
 * Gateway HTTP API v2 event and a Lambda context), with no HTTP and no serverless-offline
 * in between, so the load generator is not the bottleneck. The route table is built from
 * each handler module's exported `route.endpoint` {method, path} (the same declaration a
 * test checks against serverless.yml). Everything a request sends to Redis, DynamoDB and
 * SQS is counted under its route (context.ts withScope).
 *
 * What it is not: API Gateway (no throttling, no 10 MB limit, no header rewriting beyond
 * lower-casing) and Lambda's isolation (every handler shares this process's app, as one
 * warm container per function would; the JWT cache and the seat listing cache are shared
 * by all simulated users).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ApiResponse, CallOptions } from '../support/api';
import { invokeHttp } from '../support/lambda';
import { withScope } from './context';

export interface Route {
  method: string;
  /** The path as declared, e.g. /v1/concerts/{concertId}/dates. */
  path: string;
  segments: string[];
  handler: unknown;
}

function handlerFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return handlerFiles(full);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [full] : [];
  });
}

/** Every HTTP handler module under functions/http with its declared method and path. */
export async function loadRoutes(dir = join(resolve(__dirname, '..', '..'), 'functions', 'http')): Promise<Route[]> {
  const routes: Route[] = [];
  for (const file of handlerFiles(dir)) {
    const mod = (await import(file)) as { route?: { endpoint?: { method: string; path: string } }; handler?: unknown };
    const endpoint = mod.route?.endpoint;
    if (!endpoint || !mod.handler) continue;
    routes.push({ method: endpoint.method, path: endpoint.path, segments: endpoint.path.split('/'), handler: mod.handler });
  }
  // Literal segments win over parameters (as API Gateway's most specific match does).
  const literals = (r: Route) => r.segments.filter((s) => !s.startsWith('{')).length;
  return routes.sort((a, b) => literals(b) - literals(a));
}

/** The route for `method` and a concrete `path`, with its path parameters. */
export function matchRoute(routes: Route[], method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
  const parts = path.split('/');
  for (const route of routes) {
    if (route.method !== method || route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = route.segments[i]!;
      if (seg.startsWith('{') && seg.endsWith('}')) {
        if (parts[i] === '') ok = false;
        else params[seg.slice(1, -1)] = decodeURIComponent(parts[i]!);
      } else ok = seg === parts[i];
    }
    if (ok) return { route, pathParameters: params };
  }
  return undefined;
}

export type Transport = (method: string, path: string, o?: CallOptions) => Promise<ApiResponse>;

/** A transport with the same shape as test/support/api.ts api(), calling handlers in-process. */
export async function inProcessTransport(): Promise<Transport & { counts: Record<string, number> }> {
  const routes = await loadRoutes();
  /** Requests sent, by route (`METHOD /declared/{path}`). */
  const counts: Record<string, number> = {};
  const transport: Transport = async (method, fullPath, o = {}) => {
    const [path, qs] = fullPath.split('?') as [string, string | undefined];
    const match = matchRoute(routes, method, path);
    if (!match) return { status: 404, body: { message: 'Not Found' }, headers: {}, ms: 0 };
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k.toLowerCase()] = v;
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.queueToken) headers['x-queue-token'] = o.queueToken;
    const query = qs ? Object.fromEntries(new URLSearchParams(qs)) : undefined;
    const scope = `${method} ${match.route.path}`;
    counts[scope] = (counts[scope] ?? 0) + 1;
    const started = performance.now();
    const res = await withScope(scope, () =>
      invokeHttp(match.route.handler, { method, path, pathParameters: match.pathParameters, query, headers, body: o.body }),
    );
    return { status: res.status, body: res.body, headers: res.headers as Record<string, string>, ms: performance.now() - started };
  };
  return Object.assign(transport, { counts });
}
