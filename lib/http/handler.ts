/**
 * The one middy stack of every HTTP handler: structured logs with the request id,
 * metrics, security headers, JSON body parsing, authentication,
 * zod validation of body / path / query (unknown fields rejected), the optional queue
 * gate, and the mapping of every error to `{"error": {...}}` in one place.
 *
 * A handler file is: schemas, `export const route = {...}` (its method, path, auth and
 * schemas), `export const handler = httpHandler(route, async (input) => ...)`; the
 * input carries the container's app (lib/app.ts) so the handler makes one call into lib.
 */
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { composedApp, readyApp, type App } from '../app';
import { requireAdmin, type Principal } from '../auth/identity';
import { BadRequestError } from '../errors';
import { count, logger, publishRecordedMetrics } from '../observability';
import { toErrorReply } from './errors';

export type Auth = 'public' | 'user' | 'admin';

type RawHeaders = Record<string, string | undefined>;

/** The parts of a request after validation. */
export interface Parsed<B, P, Q, H> {
  body: B;
  path: P;
  query: Q;
  headers: H;
}

/**
 * A route: who may call it and the zod schema of each request part (unknown fields are
 * rejected by using z.strictObject). Header schemas validate the (lower-cased) headers
 * they name; other headers pass through.
 */
export interface RouteSpec<B, P, Q, H, A extends Auth> {
  /** Method and path as declared in serverless.yml (a test checks they agree). */
  endpoint: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string };
  auth: A;
  body?: z.ZodType<B>;
  path?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  headers?: z.ZodType<H>;
  /**
   * Booking endpoints: the concert the caller's ACTIVE queue token (X-Queue-Token) must
   * be for; the waiting room checks it before the handler runs.
   */
  queueGate?: { concertOf: (input: Parsed<B, P, Q, H>) => string };
}

/** A route, with its types inferred from the schemas (`export const route = defineRoute({...})`). */
export function defineRoute<B = undefined, P = undefined, Q = undefined, H = RawHeaders, A extends Auth = Auth>(spec: RouteSpec<B, P, Q, H, A>) {
  return spec;
}

export type RouteInput<B, P, Q, H, A extends Auth> = Parsed<B, P, Q, H> & {
  principal: A extends 'public' ? Principal | undefined : Principal;
  queueToken: string | undefined;
  requestId: string;
  /** The container's app: config, stores and services. */
  app: App;
};

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, headers });
export const created = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 201, body, headers });

function validate(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) {
    if (where === 'query' && value && Object.keys(value).length > 0) {
      throw new BadRequestError('VALIDATION_FAILED', `query: this endpoint takes no query parameters (got ${Object.keys(value).join(', ')})`);
    }
    return where === 'headers' ? value : undefined;
  }
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: [where, ...i.path].join('.'), message: i.message }));
  throw new BadRequestError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

function respond(reply: Reply): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: reply.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...reply.headers },
    body: reply.body === undefined ? '' : JSON.stringify(reply.body),
  };
}

/** The middy context of a request: the Lambda context and, once authenticated, the caller (set by the stack's before step). */
type RequestContext = Context & { principal?: Principal };

export function httpHandler<B = undefined, P = undefined, Q = undefined, H = RawHeaders, A extends Auth = Auth>(
  spec: RouteSpec<B, P, Q, H, A>,
  fn: (input: RouteInput<B, P, Q, H, A>) => Promise<Reply>,
) {
  const admit = (context: RequestContext, principal: Principal): undefined => {
    if (spec.auth === 'admin') requireAdmin(principal);
    logger.appendKeys({ userId: principal.userId });
    context.principal = principal;
    return undefined;
  };
  // Three middlewares, and the stack's own steps are plain functions on their usual path:
  // each middleware or promise more is paid by every request (bench phase 1;
  // `npm run bench:profile-enter -- --op status --heap`).
  const stack = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, RequestContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpSecurityHeaders())
    .use({
      // No header normaliser: API Gateway HTTP APIs (payload 2.0) and serverless-offline
      // already deliver lower-cased header names.
      // Authentication runs before the body is even parsed: an anonymous caller learns
      // nothing about validation rules. A token this container verified before is known
      // without a promise (most requests are a user's polls).
      before: (request) => {
        const authorization = request.event.headers?.authorization;
        // The context is the invocation's own (the Lambda runtime and serverless-offline
        // make one per invocation); it is cleared anyway so no caller can inherit one.
        request.context.principal = undefined;
        if (spec.auth === 'public' && !authorization) return;
        const app = composedApp();
        const known = app?.identity.knownPrincipal(authorization);
        if (known) return admit(request.context, known);
        return (async () => admit(request.context, await (app ?? (await readyApp())).identity.authenticate(authorization)))();
      },
      after: () => publishRecordedMetrics(),
      // Every error, as `{"error": {...}}` (the security headers are added after this).
      onError: (request) => {
        const reply = toErrorReply(request.error);
        if (reply.status >= 500) {
          count(reply.status === 503 ? 'DependencyFailures' : 'ServerErrors');
          logger.error('request.failed', { status: reply.status, code: reply.body.error.code, error: request.error as Error });
        } else {
          logger.info('request.rejected', { status: reply.status, code: reply.body.error.code });
        }
        request.response = respond({ status: reply.status, body: reply.body, headers: reply.headers });
        publishRecordedMetrics();
      },
    });
  // Any content type is parsed as JSON (curl -d sends form encoding by default);
  // the option exists in the package but not yet in its type declarations.
  if (spec.body) {
    stack.use({
      // No body at all reads as an empty object, so the schema names what is missing
      // (API Gateway sends undefined, serverless-offline sometimes null).
      before: async (request) => {
        if (request.event.body === undefined || request.event.body === null || request.event.body === '') request.event.body = '{}';
      },
    });
    stack.use(httpJsonBodyParser({ disableContentTypeCheck: true } as Parameters<typeof httpJsonBodyParser>[0]));
  }

  return stack.handler(async (event, context) => {
    const headers = event.headers ?? {};
    const body = validate(spec.body, event.body, 'body') as B;
    const path = validate(spec.path, event.pathParameters, 'path') as P;
    const query = validate(spec.query, event.queryStringParameters, 'query') as Q;
    const checkedHeaders = validate(spec.headers, headers, 'headers') as H;
    const queueToken = headers['x-queue-token'];
    const principal = context.principal;
    const current = composedApp() ?? (await readyApp());
    if (spec.queueGate) await current.waitingRoom.requireActive(queueToken, principal!.userId, spec.queueGate.concertOf({ body, path, query, headers: checkedHeaders }));
    const reply = await fn({
      body,
      path,
      query,
      headers: checkedHeaders,
      principal: principal as RouteInput<B, P, Q, H, A>['principal'],
      queueToken,
      requestId: event.requestContext?.requestId ?? '',
      app: current,
    });
    return respond(reply);
  });
}
