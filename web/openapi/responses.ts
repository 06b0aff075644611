/**
 * What each route answers, as JSON Schema: the half of the contract the zod request
 * schemas (in each functions/http/** module) do not give. generate.ts joins both into
 * web/openapi/openapi.json. Fields marked "(when present)" are optional so the document
 * also describes the concert lifecycle and fair-opening fields as they land.
 */
type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const instant: Schema = { type: 'string', format: 'date-time' };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
const obj = (required: string[], properties: Record<string, Schema>): Schema => ({ type: 'object', required, properties });
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const componentSchemas: Record<string, Schema> = {
  Error: obj(['error'], {
    error: obj(['code', 'message'], { code: str, message: str, details: { type: 'object' } }),
  }),
  QueueStatusWord: { type: 'string', enum: ['PRE_QUEUE', 'WAITING', 'ACTIVE', 'EXPIRED', 'SOLD_OUT', 'CLOSED'] },
  QueueTicket: obj(['status'], {
    token: str,
    concertId: str,
    status: ref('QueueStatusWord'),
    position: nullable(int),
    etaSeconds: nullable(int),
    etaRange: nullable(obj(['low', 'high'], { low: int, high: int })),
    seatsAvailable: nullable(int),
    pollAfterMs: nullable(int),
    activeUntil: nullable(instant),
    entryId: str,
    opensAt: nullable(instant),
    reason: str,
    ended: { type: 'boolean' },
  }),
  ConcertStatus: { type: 'string', enum: ['SCHEDULED', 'ON_SALE', 'SOLD_OUT', 'CLOSED'] },
  ConcertList: obj(['concerts'], {
    concerts: {
      type: 'array',
      items: obj(['concertId', 'name', 'dates'], {
        concertId: str,
        name: str,
        venue: str,
        status: ref('ConcertStatus'),
        salesOpenAt: instant,
        dates: { type: 'array', items: obj(['date', 'totalSeats'], { date: str, totalSeats: int, availableSeats: int }) },
      }),
    },
  }),
  Dates: obj(['concertId', 'dates'], {
    concertId: str,
    name: str,
    dates: {
      type: 'array',
      items: obj(['date', 'totalSeats', 'availableSeats'], { date: str, totalSeats: int, availableSeats: int, minPrice: int, maxPrice: int }),
    },
  }),
  SeatStatus: { type: 'string', enum: ['AVAILABLE', 'HELD', 'RESERVED'] },
  Seats: obj(['concertId', 'date', 'seats'], {
    concertId: str,
    date: str,
    totalSeats: int,
    availableSeats: int,
    seats: { type: 'array', items: obj(['seatNo', 'status', 'price'], { seatNo: int, status: ref('SeatStatus'), price: int }) },
  }),
  Reservation: obj(['reservationId', 'status', 'concertId', 'date', 'seatNo', 'price'], {
    reservationId: str,
    status: { type: 'string', enum: ['HELD', 'CONFIRMED', 'EXPIRED', 'CANCELLED'] },
    concertId: str,
    date: str,
    seatNo: int,
    price: int,
    createdAt: instant,
    expiresAt: instant,
    paymentId: str,
  }),
  Balance: obj(['userId', 'balance'], { userId: str, balance: int }),
  Charge: obj(['userId', 'balance', 'charged'], { userId: str, balance: int, charged: int, chargeId: str, at: instant }),
  History: obj(['entries', 'nextCursor'], {
    entries: {
      type: 'array',
      items: obj(['type', 'amount', 'balanceAfter', 'at'], { type: { type: 'string', enum: ['CHARGE', 'USE'] }, amount: int, balanceAfter: int, at: instant, ref: str }),
    },
    nextCursor: nullable(str),
  }),
  Payment: obj(['paymentId', 'reservationId', 'reservationIds', 'seats', 'amount', 'balance', 'status'], {
    paymentId: str,
    /** The first of reservationIds (the one-seat form's field). */
    reservationId: str,
    reservationIds: { type: 'array', items: str },
    concertId: str,
    /** Date and seat of the first seat; `seats` lists every one. */
    date: str,
    seatNo: int,
    seats: { type: 'array', items: obj(['reservationId', 'date', 'seatNo', 'amount'], { reservationId: str, date: str, seatNo: int, amount: int }) },
    /** The total debited. */
    amount: int,
    balance: int,
    status: str,
    paidAt: instant,
  }),
  Payments: obj(['payments', 'nextCursor'], { payments: { type: 'array', items: ref('Payment') }, nextCursor: nullable(str) }),
  QueueSettings: obj(['maxActive', 'admissionsPerSecond', 'activeSessionSeconds', 'abandonAfterSeconds'], {
    maxActive: int,
    admissionsPerSecond: int,
    activeSessionSeconds: int,
    abandonAfterSeconds: int,
  }),
  QueueFigures: obj(['concertId', 'waiting', 'active', 'settings'], {
    concertId: str,
    waiting: int,
    active: int,
    admittedLastMinute: int,
    admittedTotal: int,
    admissionRatePerSecond: { type: 'number' },
    slotReleaseRatePerSecond: { type: 'number' },
    ticketsIssued: int,
    settings: ref('QueueSettings'),
  }),
  CreatedConcert: obj(['concertId'], { concertId: str }),
  Health: obj(['status', 'ready', 'checks', 'checkedAt'], {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    ready: { type: 'boolean' },
    checks: obj(['dynamodb', 'redis', 'sqs'], {
      dynamodb: { type: 'string', enum: ['ok', 'unavailable'] },
      redis: { type: 'string', enum: ['ok', 'unavailable'] },
      sqs: { type: 'string', enum: ['ok', 'unavailable'] },
    }),
    checkedAt: instant,
  }),
  DevToken: obj(['token'], { token: str }),
  OpenApiDocument: {
    ...obj(['openapi', 'info', 'paths'], {
      openapi: { type: 'string', pattern: '^3\\.1\\.' },
      info: obj(['title', 'version'], { title: str, version: str, description: str }),
      servers: { type: 'array', items: obj(['url'], { url: str, description: str }) },
      paths: { type: 'object', additionalProperties: { type: 'object', additionalProperties: true } },
      components: { type: 'object', additionalProperties: { type: 'object', additionalProperties: true } },
    }),
    description: 'This document (OpenAPI 3.1)',
  },
  // Not described field by field yet (the web app does not read them).
  SaleChange: { type: 'object', description: 'The concert after the change (status, salesOpenAt, salesCloseAt, ...)' },
  Fairness: { type: 'object', description: 'The pre-queue lottery: seed commitment sha256(seed), the seed once drawn, and the rule' },
  FairnessEntries: { type: 'object', description: 'A page of pre-queue entries in draw order' },
};

export interface RouteDoc {
  summary: string;
  /** Success status and the component schema of its body. */
  success: { status: number; schema: string; alsoOk?: boolean };
  /** The route reads X-Queue-Token: required (booking) or the route's own subject. */
  queueToken?: boolean;
  /** Error statuses besides 400, 401 and 503 (every route: a public one still checks an Authorization header sent to it) and 403 (authenticated routes). */
  errors?: number[];
  /** An error status whose body may be the route's own schema, not only Error (GET /v1/health's 503). */
  errorSchemas?: Record<number, string>;
}

/** Keyed by "METHOD path" exactly as in serverless.yml; a test checks the two agree. */
export const routeDocs: Record<string, RouteDoc> = {
  'GET /v1/health': {
    summary: 'Readiness: 200 when DynamoDB, Redis and SQS answer, 503 with the same body naming the one that does not (a container reuses its check for 5 s)',
    success: { status: 200, schema: 'Health' },
    errorSchemas: { 503: 'Health' },
  },
  'GET /v1/openapi.json': { summary: 'This OpenAPI 3.1 document (public)', success: { status: 200, schema: 'OpenApiDocument' } },
  'POST /v1/dev/tokens': { summary: 'Mint a development token (local stages only)', success: { status: 201, schema: 'DevToken' } },
  'POST /v1/queue/tokens': {
    summary: 'Enter the waiting room (201 first time, 200 with the same place again)',
    success: { status: 201, schema: 'QueueTicket', alsoOk: true },
    errors: [404, 409],
  },
  'GET /v1/queue/status': { summary: 'Status of the caller\'s queue token; poll after pollAfterMs (sooner than half of it: 429, the place is kept)', success: { status: 200, schema: 'QueueTicket' }, queueToken: true, errors: [429] },
  'DELETE /v1/queue/tokens/current': { summary: 'Leave the queue or give up the active slot', success: { status: 200, schema: 'QueueTicket' }, queueToken: true, errors: [429] },
  'GET /v1/concerts': { summary: 'Concerts with their dates (public)', success: { status: 200, schema: 'ConcertList' } },
  'GET /v1/concerts/{concertId}/dates': { summary: 'Dates with seats left (ACTIVE queue token)', success: { status: 200, schema: 'Dates' }, queueToken: true, errors: [404] },
  'GET /v1/concerts/{concertId}/dates/{date}/seats': {
    summary: 'Every seat with status and price (ACTIVE queue token)',
    success: { status: 200, schema: 'Seats' },
    queueToken: true,
    errors: [404],
  },
  'POST /v1/reservations': { summary: 'Hold a seat', success: { status: 201, schema: 'Reservation' }, queueToken: true, errors: [404, 409, 429] },
  'GET /v1/reservations/{reservationId}': { summary: 'The caller\'s reservation', success: { status: 200, schema: 'Reservation' }, errors: [404] },
  'DELETE /v1/reservations/{reservationId}': { summary: 'Give an unpaid hold back now', success: { status: 200, schema: 'Reservation' }, errors: [404, 409, 429] },
  'GET /v1/balance': { summary: 'The caller\'s balance', success: { status: 200, schema: 'Balance' } },
  'POST /v1/balance/charges': { summary: 'Top up the balance', success: { status: 201, schema: 'Charge' }, errors: [409, 422, 429] },
  'GET /v1/balance/history': { summary: 'Ledger entries, newest first', success: { status: 200, schema: 'History' } },
  'POST /v1/payments': { summary: 'Pay the caller\'s held seat(s) from the balance, in one transaction', success: { status: 201, schema: 'Payment' }, queueToken: true, errors: [402, 404, 409, 422] },
  'GET /v1/payments': { summary: 'The caller\'s payments, newest first', success: { status: 200, schema: 'Payments' } },
  'POST /v1/admin/concerts': { summary: 'Create a concert with dates, seats, prices and queue settings', success: { status: 201, schema: 'CreatedConcert' }, errors: [409, 422] },
  'PATCH /v1/admin/concerts/{concertId}': { summary: 'Move the sale window while SCHEDULED, or close the sale now', success: { status: 200, schema: 'SaleChange' }, errors: [404, 409] },
  'GET /v1/concerts/{concertId}/fairness': { summary: 'The pre-queue lottery commitment and seed (public)', success: { status: 200, schema: 'Fairness' }, errors: [404] },
  'GET /v1/concerts/{concertId}/fairness/entries': { summary: 'Pre-queue entries in draw order, paginated (public)', success: { status: 200, schema: 'FairnessEntries' }, errors: [404] },
  'GET /v1/admin/concerts/{concertId}/queue': { summary: 'Live queue figures and settings', success: { status: 200, schema: 'QueueFigures' }, errors: [404] },
  'PATCH /v1/admin/concerts/{concertId}/queue': { summary: 'Change queue settings while the queue runs', success: { status: 200, schema: 'QueueFigures' }, errors: [404] },
};
