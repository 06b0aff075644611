/**
 * A randomized model test of the whole booking flow (fast-check model-based testing).
 *
 * fast-check generates sequences of operations by four users of one concert (enter,
 * poll, leave, hold, a race of several users for one seat, release, top up, pay with a
 * fresh or a repeated Idempotency-Key, admission runs, SQS deliveries of the release
 * messages with duplicates and retries, and time passing so holds expire). Each
 * operation runs through the real HTTP handlers (middy, auth, zod, the queue gate)
 * in-process against the real Redis, DynamoDB Local and SQS emulator, optionally with
 * the fault layer (test/support/faults.ts) on. A small model says what each answer must
 * be; where time makes the outcome legitimately uncertain (a hold within MARGIN_MS of its
 * expiry) the model accepts both outcomes and follows the one that happened. After every
 * sequence the holds run out, the audits run (no seat sold twice, money conserved, every
 * sold seat paid once, no hold left unreleased) and DynamoDB and Redis must agree with
 * the model: each seat's owner, each balance, the active set and the waiting line.
 *
 * Used by test/model/booking-model.test.ts (short, in `npm test`) and
 * test/model/run.ts (`npm run test:model -- --ops 100000`).
 */
import fc from 'fast-check';
import type { App } from '../../lib/app';
import { handler as enter } from '../../functions/http/queue/enter';
import { handler as status } from '../../functions/http/queue/status';
import { handler as leave } from '../../functions/http/queue/leave';
import { handler as hold } from '../../functions/http/reservations/hold';
import { handler as release } from '../../functions/http/reservations/release';
import { handler as pay } from '../../functions/http/payments/pay';
import { handler as charge } from '../../functions/http/balance/charge';
import { auditAll } from '../support/invariants';
import { invokeHttp } from '../support/lambda';
import type { ReleasePoller } from '../support/release-poller';

export const USERS = 4;
export const SEATS = 6;
export const MAX_ACTIVE = 2;
export const PRICE = 10_000;
export const HOLD_SECONDS = 1;
/** Within this much of a hold's expiry either outcome is right (clocks, request time). */
const MARGIN_MS = 300;

export interface RunStats {
  operations: number;
  sequences: number;
  invariantChecks: number;
  /** Answers the model accepted as one of two right ones (a hold at its expiry). */
  edgeOutcomes: number;
}

export interface ModelContext {
  app: App;
  poller: ReleasePoller;
  stats: RunStats;
  /** A fresh id for concerts, users and keys of one sequence. */
  uniqueId: (prefix: string) => string;
}

type Res = Awaited<ReturnType<typeof invokeHttp>>;

interface ReservationM {
  id: string;
  user: number;
  seatNo: number;
  status: 'HELD' | 'CONFIRMED' | 'ENDED';
  expiresAt: number;
}

/** What the service must hold, as far as the operations so far determine it. */
class Model {
  readonly seatOwner = new Map<number, { user: number; reservationId: string; paid: boolean }>();
  readonly reservations = new Map<string, ReservationM>();
  readonly balance: number[] = Array(USERS).fill(0);
  readonly charges = new Map<string, { user: number; amount: number; chargeId: string }>();
  readonly payments = new Map<string, { user: number; reservationId: string; paymentId: string }>();
  readonly lastChargeKey: (string | undefined)[] = Array(USERS).fill(undefined);
  readonly lastPayKey: (string | undefined)[] = Array(USERS).fill(undefined);
  /** Each user's current queue token, and whether it has ended. */
  readonly token: ({ value: string; ended: boolean } | undefined)[] = Array(USERS).fill(undefined);
  readonly waiting: number[] = [];
  readonly active = new Set<number>();
  keys = 0;
  /** When the request being judged was sent and answered: the service decided at some moment in between. */
  from = Date.now();
  to = Date.now();

  /** Sets the judged moment to now (for checks before a request). */
  now(): this {
    this.from = this.to = Date.now();
    return this;
  }

  /** 'LIVE', 'EXPIRED' or 'EDGE' (too close to its expiry to tell) for a held reservation. */
  phase(r: ReservationM): 'LIVE' | 'EXPIRED' | 'EDGE' {
    if (this.to < r.expiresAt - MARGIN_MS) return 'LIVE';
    if (this.from > r.expiresAt + MARGIN_MS) return 'EXPIRED';
    return 'EDGE';
  }

  /** The seat's state now: free, taken, or not certain (a hold at its expiry). */
  seat(seatNo: number): 'FREE' | 'TAKEN' | 'EDGE' {
    const o = this.seatOwner.get(seatNo);
    if (!o) return 'FREE';
    if (o.paid) return 'TAKEN';
    const r = this.reservations.get(o.reservationId)!;
    if (r.status !== 'HELD') return 'FREE';
    const p = this.phase(r);
    return p === 'LIVE' ? 'TAKEN' : p === 'EXPIRED' ? 'FREE' : 'EDGE';
  }

  /** Whether the user holds a live seat (the hold limit is 1): 'YES', 'NO' or 'EDGE'. */
  holdsLive(user: number): 'YES' | 'NO' | 'EDGE' {
    let edge = false;
    for (const r of this.reservations.values()) {
      if (r.user !== user || r.status !== 'HELD') continue;
      const p = this.phase(r);
      if (p === 'LIVE') return 'YES';
      if (p === 'EDGE') edge = true;
    }
    return edge ? 'EDGE' : 'NO';
  }

  queueState(user: number): 'NONE' | 'ENDED' | 'WAITING' | 'ACTIVE' {
    const t = this.token[user];
    if (!t) return 'NONE';
    if (t.ended) return 'ENDED';
    return this.active.has(user) ? 'ACTIVE' : 'WAITING';
  }

  /** Slots are refilled at once, first come first served. */
  refill(): void {
    while (this.active.size < MAX_ACTIVE && this.waiting.length > 0) this.active.add(this.waiting.shift()!);
  }

  endToken(user: number): void {
    const t = this.token[user];
    if (!t || t.ended) return;
    t.ended = true;
    this.active.delete(user);
    const i = this.waiting.indexOf(user);
    if (i >= 0) this.waiting.splice(i, 1);
    this.refill();
  }

  soldCount(): number {
    return [...this.seatOwner.values()].filter((o) => o.paid).length;
  }
}

/** One sequence's concert, users and their credentials. */
interface Real {
  ctx: ModelContext;
  concertId: string;
  date: string;
  users: string[];
  auth: Record<string, string>[];
}

const fail = (what: string, res: Res): never => {
  throw new Error(`${what}: got ${res.status} ${JSON.stringify(res.body)}`);
};

function expectAnswer(what: string, res: Res, allowed: [number, string?][]) {
  const ok = allowed.some(([s, code]) => res.status === s && (code === undefined || res.body?.error?.code === code));
  if (!ok) fail(`${what}: expected one of ${allowed.map(([s, c]) => `${s}${c ? ' ' + c : ''}`).join(', ')}`, res);
}

async function checkQueue(m: Model, r: Real, after: string) {
  const f = await r.ctx.app.waitingRoom.figures(r.concertId);
  r.ctx.stats.invariantChecks++;
  if (f.active > MAX_ACTIVE) throw new Error(`after ${after}: ${f.active} active, above the maximum ${MAX_ACTIVE}`);
  if (f.active !== m.active.size || f.waiting !== m.waiting.length) {
    throw new Error(`after ${after}: Redis has ${f.active} active / ${f.waiting} waiting, the model ${m.active.size} / ${m.waiting.length}`);
  }
}

/** Runs one request, recording when it was sent and answered (Model.phase judges by that window). */
async function timed(m: Model, call: () => Promise<Res>): Promise<Res> {
  m.from = Date.now();
  const res = await call();
  m.to = Date.now();
  return res;
}

const headersOf = (r: Real, m: Model, user: number) => ({ ...r.auth[user], ...(m.token[user] ? { 'x-queue-token': m.token[user]!.value } : {}) });

type Cmd = fc.AsyncCommand<Model, Real>;

class Enter implements Cmd {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const res = await invokeHttp(enter, { method: 'POST', headers: r.auth[this.user], body: { concertId: r.concertId } });
    const before = m.queueState(this.user);
    if (before === 'WAITING' || before === 'ACTIVE') {
      expectAnswer('enter again', res, [[200]]);
      if (res.body.token !== m.token[this.user]!.value) fail('enter again must return the same place', res);
    } else {
      expectAnswer('enter', res, [[201]]);
      m.token[this.user] = { value: res.body.token, ended: false };
      m.waiting.push(this.user);
      m.refill();
    }
    expectStatus(m, this.user, res, 'enter');
    await checkQueue(m, r, this.toString());
  }
  toString = () => `Enter(u${this.user})`;
}

function expectStatus(m: Model, user: number, res: Res, what: string) {
  const state = m.queueState(user);
  if (state === 'ACTIVE' && res.body.status !== 'ACTIVE') fail(`${what}: u${user} must be ACTIVE`, res);
  if (state === 'WAITING') {
    const position = m.waiting.indexOf(user) + 1;
    if (res.body.status !== 'WAITING' || res.body.position !== position) fail(`${what}: u${user} must be WAITING at ${position}`, res);
  }
  if (state === 'ENDED' && res.body.status !== 'EXPIRED') fail(`${what}: u${user}'s token has ended`, res);
}

class Poll implements Cmd {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const res = await invokeHttp(status, { headers: headersOf(r, m, this.user) });
    if (!m.token[this.user]) return expectAnswer('poll without a token', res, [[401]]);
    expectAnswer('poll', res, [[200]]);
    expectStatus(m, this.user, res, 'poll');
  }
  toString = () => `Poll(u${this.user})`;
}

class Leave implements Cmd {
  constructor(readonly user: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const res = await invokeHttp(leave, { method: 'DELETE', headers: headersOf(r, m, this.user) });
    if (!m.token[this.user]) return expectAnswer('leave without a token', res, [[401]]);
    expectAnswer('leave', res, [[200]]);
    const live = !m.token[this.user]!.ended;
    if (res.body.ended !== live) fail(`leave: ended must be ${live}`, res);
    m.endToken(this.user);
    await checkQueue(m, r, this.toString());
  }
  toString = () => `Leave(u${this.user})`;
}

/** What a hold by `user` on `seatNo` may answer now, and whether the model is certain. */
function holdOutcomes(m: Model, user: number, seatNo: number): { allowed: [number, string?][]; edge: boolean } {
  const q = m.queueState(user);
  if (q === 'NONE') return { allowed: [[401]], edge: false };
  if (q === 'ENDED') return { allowed: [[401, 'QUEUE_TOKEN_EXPIRED']], edge: false };
  if (q === 'WAITING') return { allowed: [[403, 'QUEUE_TOKEN_NOT_ACTIVE']], edge: false };
  const seat = m.seat(seatNo);
  const mine = m.holdsLive(user);
  const allowed: [number, string?][] = [];
  if (seat !== 'FREE') allowed.push([409, 'SEAT_UNAVAILABLE']);
  if (mine !== 'NO') allowed.push([409, 'HOLD_LIMIT_REACHED']);
  if (seat !== 'TAKEN' && mine !== 'YES') allowed.push([201]);
  return { allowed, edge: seat === 'EDGE' || mine === 'EDGE' };
}

function recordHold(m: Model, user: number, res: Res) {
  const r: ReservationM = { id: res.body.reservationId, user, seatNo: res.body.seatNo, status: 'HELD', expiresAt: Date.parse(res.body.expiresAt) };
  m.reservations.set(r.id, r);
  m.seatOwner.set(r.seatNo, { user, reservationId: r.id, paid: false });
}

class Hold implements Cmd {
  constructor(
    readonly user: number,
    readonly seatNo: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const res = await timed(m, () => invokeHttp(hold, { method: 'POST', headers: headersOf(r, m, this.user), body: { concertId: r.concertId, date: r.date, seatNo: this.seatNo } }));
    const { allowed, edge } = holdOutcomes(m, this.user, this.seatNo);
    expectAnswer(this.toString(), res, allowed);
    if (edge) r.ctx.stats.edgeOutcomes++;
    if (res.status === 201) recordHold(m, this.user, res);
  }
  toString = () => `Hold(u${this.user}, seat ${this.seatNo})`;
}

/** Every active user without a live hold asks for the same seat at once: exactly one may win. */
class Race implements Cmd {
  constructor(readonly seatNo: number) {}
  racers = (m: Model) => [...m.active].filter((u) => m.holdsLive(u) === 'NO');
  check = (m: Readonly<Model>) => this.racers((m as Model).now()).length >= 2;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const racers = this.racers(m.now());
    m.from = Date.now();
    const answers = await Promise.all(
      racers.map((u) => invokeHttp(hold, { method: 'POST', headers: headersOf(r, m, u), body: { concertId: r.concertId, date: r.date, seatNo: this.seatNo } })),
    );
    m.to = Date.now();
    // Racers' own holds could only have run out meanwhile, so each racer is still free to hold.
    const seat = m.seat(this.seatNo);
    answers.forEach((a) => expectAnswer(this.toString(), a, seat === 'TAKEN' ? [[409, 'SEAT_UNAVAILABLE']] : [[201], [409, 'SEAT_UNAVAILABLE']]));
    const winners = answers.map((a, i) => ({ a, u: racers[i]! })).filter((x) => x.a.status === 201);
    r.ctx.stats.invariantChecks++;
    const allowed = seat === 'FREE' ? [1] : seat === 'TAKEN' ? [0] : [0, 1];
    if (seat === 'EDGE') r.ctx.stats.edgeOutcomes++;
    if (!allowed.includes(winners.length)) throw new Error(`${this}: ${winners.length} winners among ${racers.length} for a seat that is ${seat}`);
    for (const w of winners) recordHold(m, w.u, w.a);
  }
  toString = () => `Race(seat ${this.seatNo})`;
}

/** The user's most recent reservation. */
const latestOf = (m: Readonly<Model>, user: number) => [...m.reservations.values()].filter((r) => r.user === user).at(-1);

class Release implements Cmd {
  constructor(readonly user: number) {}
  check = (m: Readonly<Model>) => latestOf(m, this.user) !== undefined;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const res0 = latestOf(m, this.user)!;
    const res = await timed(m, () => invokeHttp(release, { method: 'DELETE', headers: r.auth[this.user], pathParameters: { reservationId: res0.id } }));
    if (res0.status === 'CONFIRMED') return expectAnswer(this.toString(), res, [[409, 'ALREADY_PAID']]);
    expectAnswer(this.toString(), res, [[200]]);
    const p = res0.status === 'HELD' ? m.phase(res0) : 'EXPIRED';
    const allowed = res0.status === 'ENDED' ? ['CANCELLED', 'EXPIRED'] : p === 'LIVE' ? ['CANCELLED'] : p === 'EXPIRED' ? ['EXPIRED'] : ['CANCELLED', 'EXPIRED'];
    if (!allowed.includes(res.body.status)) fail(`${this}: expected ${allowed.join(' or ')}`, res);
    if (p === 'EDGE' && res0.status === 'HELD') r.ctx.stats.edgeOutcomes++;
    res0.status = 'ENDED';
    const owner = m.seatOwner.get(res0.seatNo);
    if (owner?.reservationId === res0.id) m.seatOwner.delete(res0.seatNo);
  }
  toString = () => `Release(u${this.user})`;
}

class Pay implements Cmd {
  constructor(
    readonly user: number,
    readonly reuseKey: boolean,
  ) {}
  check = (m: Readonly<Model>) => latestOf(m, this.user) !== undefined && (m as Model).soldCount() < SEATS - 1;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const res0 = latestOf(m, this.user)!;
    const key = this.reuseKey && m.lastPayKey[this.user] ? m.lastPayKey[this.user]! : `${r.users[this.user]}-pay-${++m.keys}`;
    m.lastPayKey[this.user] = key;
    const res = await timed(m, () => invokeHttp(pay, { method: 'POST', headers: { ...headersOf(r, m, this.user), 'idempotency-key': key }, body: { reservationId: res0.id } }));
    const earlier = m.payments.get(key);
    if (earlier) {
      if (earlier.reservationId !== res0.id) return expectAnswer(`${this} (key of another payment)`, res, [[422, 'IDEMPOTENCY_KEY_REUSED']]);
      expectAnswer(`${this} (replay)`, res, [[201]]);
      if (res.body.paymentId !== earlier.paymentId) fail(`${this}: a replay must return payment ${earlier.paymentId}`, res);
      return;
    }
    const allowed: [number, string?][] = [];
    let canSucceed = false;
    const p = res0.status === 'HELD' ? m.phase(res0) : 'EXPIRED';
    if (res0.status === 'CONFIRMED') allowed.push([409, 'ALREADY_PAID']);
    else {
      if (p !== 'LIVE') allowed.push([409, 'HOLD_EXPIRED']);
      if (p !== 'EXPIRED') {
        const q = m.queueState(this.user);
        if (q === 'NONE' || q === 'ENDED') allowed.push([401]);
        else if (q === 'WAITING') allowed.push([403, 'QUEUE_TOKEN_NOT_ACTIVE']);
        else if (m.balance[this.user]! < PRICE) allowed.push([402, 'INSUFFICIENT_BALANCE']);
        else {
          allowed.push([201]);
          canSucceed = true;
        }
      }
    }
    expectAnswer(this.toString(), res, allowed);
    if (p === 'EDGE') r.ctx.stats.edgeOutcomes++;
    if (res.status === 201 && canSucceed) {
      m.balance[this.user]! -= PRICE;
      if (res.body.balance !== m.balance[this.user]) fail(`${this}: balance after must be ${m.balance[this.user]}`, res);
      res0.status = 'CONFIRMED';
      m.seatOwner.set(res0.seatNo, { user: this.user, reservationId: res0.id, paid: true });
      m.payments.set(key, { user: this.user, reservationId: res0.id, paymentId: res.body.paymentId });
      // Nothing else held (the limit is 1): the purchase ends the queue session.
      m.endToken(this.user);
      await checkQueue(m, r, this.toString());
    }
  }
  toString = () => `Pay(u${this.user}, ${this.reuseKey ? 'repeated' : 'fresh'} key)`;
}

class TopUp implements Cmd {
  constructor(
    readonly user: number,
    readonly amount: number,
    readonly reuseKey: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    const key = this.reuseKey && m.lastChargeKey[this.user] ? m.lastChargeKey[this.user]! : `${r.users[this.user]}-topup-${++m.keys}`;
    m.lastChargeKey[this.user] = key;
    const res = await invokeHttp(charge, { method: 'POST', headers: { ...r.auth[this.user], 'idempotency-key': key }, body: { amount: this.amount } });
    const earlier = m.charges.get(key);
    if (earlier && earlier.amount !== this.amount) return expectAnswer(`${this} (key of another amount)`, res, [[422, 'IDEMPOTENCY_KEY_REUSED']]);
    expectAnswer(this.toString(), res, [[201]]);
    if (earlier) {
      if (res.body.chargeId !== earlier.chargeId) fail(`${this}: a replay must return charge ${earlier.chargeId}`, res);
      return;
    }
    m.balance[this.user]! += this.amount;
    m.charges.set(key, { user: this.user, amount: this.amount, chargeId: res.body.chargeId });
    if (res.body.balance !== m.balance[this.user]) fail(`${this}: balance must be ${m.balance[this.user]}`, res);
  }
  toString = () => `TopUp(u${this.user}, ${this.amount}, ${this.reuseKey ? 'repeated' : 'fresh'} key)`;
}

class Wait implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    r.ctx.stats.operations++;
    await new Promise((resolve) => setTimeout(resolve, this.ms));
  }
  toString = () => `Wait(${this.ms} ms)`;
}

/** Lambda's poller delivers what is due on the release queue (with duplicates and retries). */
class Deliver implements Cmd {
  check = () => true;
  async run(_m: Model, r: Real) {
    r.ctx.stats.operations++;
    for (let i = 0; i < 3; i++) if ((await r.ctx.poller.pollOnce()) === 0) break;
  }
  toString = () => 'DeliverReleases';
}

/** An admission run: slots are refilled at once, so it must admit nobody new. */
class Admit implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    r.ctx.stats.operations++;
    await r.ctx.app.waitingRoom.admit(r.concertId);
    await checkQueue(m, r, this.toString());
  }
  toString = () => 'AdmissionRun';
}

const user = fc.integer({ min: 0, max: USERS - 1 });
const seat = fc.integer({ min: 1, max: SEATS });

export const commandArbitraries = [
  user.map((u) => new Enter(u)),
  user.map((u) => new Enter(u)),
  user.map((u) => new Poll(u)),
  user.map((u) => new Leave(u)),
  fc.tuple(user, seat).map(([u, s]) => new Hold(u, s)),
  fc.tuple(user, seat).map(([u, s]) => new Hold(u, s)),
  seat.map((s) => new Race(s)),
  user.map((u) => new Release(u)),
  fc.tuple(user, fc.boolean()).map(([u, k]) => new Pay(u, k)),
  fc.tuple(user, fc.boolean()).map(([u, k]) => new Pay(u, k)),
  fc.tuple(user, fc.constantFrom(5_000, 10_000, 30_000), fc.boolean()).map(([u, a, k]) => new TopUp(u, a, k)),
  fc.integer({ min: 100, max: 1_300 }).map((ms) => new Wait(ms)),
  fc.constant(new Deliver()),
  fc.constant(new Admit()),
];

async function newSequence(ctx: ModelContext): Promise<Real> {
  const concertId = ctx.uniqueId('model');
  const date = '2027-10-01';
  await ctx.app.catalog.createConcert({ concertId, name: 'Model', holdSeconds: HOLD_SECONDS, dates: [{ date, totalSeats: SEATS, price: PRICE, priceTiers: [] }] });
  await ctx.app.waitingRoom.configure(concertId, { maxActive: MAX_ACTIVE });
  const users = Array.from({ length: USERS }, (_, i) => ctx.uniqueId(`m${i}`));
  const auth = await Promise.all(users.map(async (u) => ({ authorization: `Bearer ${await ctx.app.identity.issueDevToken(u, false)}` })));
  return { ctx, concertId, date, users, auth };
}

/** After a sequence: holds run out and are released; audits; storage equals the model. */
async function finalCheck(m: Model, r: Real) {
  const lastExpiry = Math.max(0, ...[...m.reservations.values()].filter((x) => x.status === 'HELD').map((x) => x.expiresAt));
  const wait = lastExpiry + MARGIN_MS - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  // The product's two release paths: every hold's delayed message (delivered with the
  // same faults), then the sweep's safety net.
  await r.ctx.poller.drain(15_000);
  await r.ctx.app.holds.sweepExpiredHolds(Date.now(), 0);
  m.now();
  const audit = await auditAll(r.concertId, [r.date], r.users);
  r.ctx.stats.invariantChecks++;
  if (audit.problems.length > 0) throw new Error(`audit: ${audit.problems.join('; ')}`);
  if (audit.seats.reservations.HELD !== 0) throw new Error(`${audit.seats.reservations.HELD} holds left unreleased after they ran out`);
  for (const s of audit.seats.sold) {
    const o = m.seatOwner.get(s.seatNo);
    if (!o?.paid || r.users[o.user] !== s.userId) throw new Error(`seat ${s.seatNo} is sold to ${s.userId}; the model says ${o ? `u${o.user}` : 'nobody'}`);
  }
  if (audit.seats.sold.length !== m.soldCount()) throw new Error(`${audit.seats.sold.length} seats sold; the model sold ${m.soldCount()}`);
  for (let u = 0; u < USERS; u++) {
    const balance = (await r.ctx.app.wallet.balance(r.users[u]!)).balance;
    if (balance !== m.balance[u]) throw new Error(`u${u}'s balance is ${balance}; the model says ${m.balance[u]}`);
  }
  await checkQueue(m, r, 'the sequence');
}

/** Runs `numRuns` generated sequences (fast-check shrinks a failing one). */
export async function runSequences(ctx: ModelContext, o: { numRuns: number; maxCommands: number; seed: number; shrink?: boolean; timeLimitMs?: number }) {
  await fc.assert(
    fc.asyncProperty(fc.commands(commandArbitraries, { maxCommands: o.maxCommands, size: 'max' }), async (cmds) => {
      const real = await newSequence(ctx);
      const model = new Model();
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await finalCheck(model, real);
      } finally {
        ctx.stats.sequences++;
      }
    }),
    { numRuns: o.numRuns, seed: o.seed, endOnFailure: o.shrink === false, verbose: 1, interruptAfterTimeLimit: o.timeLimitMs },
  );
}
