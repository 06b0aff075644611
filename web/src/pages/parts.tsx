import type { ApiError } from '../api/client';

/** An API refusal in the API's own words (data-testid "error"). */
export function ErrorBox({ error }: { error: ApiError | Error | null | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" data-testid="error" data-code={(error as ApiError).code}>
      {error.message}
    </p>
  );
}
