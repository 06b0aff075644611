/**
 * Item keys of the booking tables (see infra/resources.yml and "Data model" in README.md).
 *   Seats table        showId = "<concertId>#<date>", seatNo (number)
 *   Reservations table reservationId
 *   Accounts table     userId, sk: "WALLET" | "LEDGER#<seq>" | "PAYMENT#<paymentId>"
 *                      | "HOLDS#<concertId>" | "IDEM#<scope>#<key>"
 */
export const showId = (concertId: string, date: string) => `${concertId}#${date}`;

export const seatKey = (concertId: string, date: string, seatNo: number) => ({ showId: showId(concertId, date), seatNo });

/** Shards of the sparse index of held seats that the safety-net sweep reads. */
export const HELD_SHARDS = 4;
export const heldShard = (seatNo: number) => `HELD#${seatNo % HELD_SHARDS}`;

export const holdGuardKey = (userId: string, concertId: string) => ({ userId, sk: `HOLDS#${concertId}` });
