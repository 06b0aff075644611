import { lang } from './i18n';

export const won = (n: number) => (lang.value === 'ko' ? `${n.toLocaleString('ko-KR')}원` : `${n.toLocaleString('en-US')} won`);

/** mm:ss of a number of seconds (never negative). */
export function mmss(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** "about 2 min" style duration. */
export function duration(seconds: number): string {
  const ko = lang.value === 'ko';
  if (seconds < 60) return ko ? `${Math.max(1, Math.round(seconds))}초` : `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.round(seconds / 60);
  return ko ? `${m}분` : `${m} min`;
}

export const when = (iso: string) => new Date(iso).toLocaleString(lang.value === 'ko' ? 'ko-KR' : 'en-US');

/** The time of day of an instant (ms), e.g. "1:34:01 AM" / "오전 1:34:01". */
export const clock = (ms: number) => new Date(ms).toLocaleTimeString(lang.value === 'ko' ? 'ko-KR' : 'en-US');
