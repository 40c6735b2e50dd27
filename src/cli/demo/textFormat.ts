// Text helpers for the demo's report, which must read well in an 80-column terminal.
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** @example `count(1234.4) // '1,234'` */
export const count = (n: number): string => integer.format(n);

/** Amounts are integer cents. @example `cents(-5) // '-0.05'` */
export const cents = (n: number): string => money.format(n / 100);

/** A count and its noun, plural unless it is one. @example `plural(1, 'event') // '1 event'` */
export const plural = (n: number, noun: string): string => `${count(n)} ${noun}${n === 1 ? '' : 's'}`;

/** @example `seconds(2310) // '2.31 s'` */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** @example `percent(1, 8) // '12.5%'` */
export const percent = (part: number, whole: number): string => `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)}%`;

/** Cuts `text` to `width` characters, marking the cut with an ellipsis. @example `fit('abcdef', 4) // 'abc…'` */
export const fit = (text: string, width: number): string => (text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`);

/** A label padded to `width`, then the value right-aligned in `valueWidth`. @example `row('accepted', '26,423') // 'accepted        26,423'` */
export const row = (label: string, value: string, width = 18, valueWidth = 8): string => `${label.padEnd(width)}${value.padStart(valueWidth)}`;
