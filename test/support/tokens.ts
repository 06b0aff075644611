/** Bearer tokens minted in-process with the stack's local secret (same code as POST /v1/dev/tokens). */
import { issueDevToken } from '../../lib/auth/identity';

export const mintToken = (userId: string, admin = false) => issueDevToken(userId, admin);
