/** Bearer tokens minted in-process with the stack's local secret (same code as POST /v1/dev/tokens). */
import { app } from '../../lib/app';

export const mintToken = (userId: string, admin = false) => app().identity.issueDevToken(userId, admin);
