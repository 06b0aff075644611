/**
 * The bench's simulated crowd, as figures: how simulated users behave once they have a
 * place (test/bench/phases/simulation.ts plays them out; the capacity model,
 * test/bench/capacity/, describes the same crowd with them). Uniform think time between
 * steps; shares are of the users who reach that step.
 */
export const SIM_BEHAVIOUR = {
  thinkMinMs: 100,
  thinkSpreadMs: 500,
  /** Share of waiting users who give up (stop polling) within giveUpWithinMs of getting a position. */
  giveUpShare: 0.03,
  giveUpWithinMs: 60_000,
  /** Share of admitted users who leave the queue explicitly when done without paying (the rest let the session expire). */
  leaveShare: 0.9,
  /** Hold attempts (seat list + hold) before giving up. */
  holdAttempts: 3,
  /** After a hold: release it at once (then leave), or walk away and let it expire; the rest pay. */
  releaseShare: 0.07,
  walkAwayShare: 0.08,
  /** Top-ups are rounded up to this (won); a new user has no balance, so every payer tops up first. */
  topUpStepWon: 10_000,
} as const;

/** Share of the simulated crowd that joins the pre-queue before the opening. */
export const SIM_PRE_QUEUE_SHARE = 0.4;
