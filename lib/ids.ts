/** Identifier and value formats shared by the API schemas and the domain modules. */
import { z } from 'zod';

/** A concert slug: lower-case letters, digits and inner dashes, up to 64 characters. */
export const ConcertId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'concertId must be a slug: a-z, 0-9 and inner dashes, up to 64 characters');

/** A calendar date, YYYY-MM-DD, that exists. */
export const ShowDate = z.iso.date({ message: 'date must be a calendar date in the form YYYY-MM-DD' });

/** The subject of a JWT, used as the user id everywhere. */
export const UserId = z.string().regex(/^[A-Za-z0-9._@:|-]{1,128}$/, 'userId: 1-128 characters of A-Z a-z 0-9 . _ @ : | -');

/** A client-chosen key that makes a retried write safe. */
export const IdempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/, 'Idempotency-Key: 8-128 characters of A-Z a-z 0-9 . _ : -');

/** Ids the service generates (UUIDs). */
export const EntityId = z.uuid();
