/**
 * The one duration grammar: one or more `<integer><unit>` parts, `90d`, `1h30m`, `500ms`. The units and their
 * lengths are Prometheus's (prometheus/common v0.67.5, model/time.go ParseDuration, which Thanos v0.42.4 uses for
 * its duration flags such as --retention.resolution-raw and --delete-delay): a year is 365 days, a week 7 days, a
 * day 24 hours. A use may allow fewer units: the stack config's certificate and key lifetimes take d, h, m and s.
 */
export const DURATION_UNIT_MS = {
  y: 31_536_000_000,
  w: 604_800_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const;

export type DurationUnit = keyof typeof DURATION_UNIT_MS;

export const ALL_DURATION_UNITS = Object.keys(DURATION_UNIT_MS) as DurationUnit[];

/** The grammar with `units` as an anchored regular expression (the form schemas carry). */
export function durationPattern(units: readonly DurationUnit[] = ALL_DURATION_UNITS): RegExp {
  return new RegExp(`^(?:\\d+(?:${units.join('|')}))+$`);
}

/** `text` in milliseconds, or undefined when it is not a duration of the grammar with `units`. */
export function parseDuration(text: string, units: readonly DurationUnit[] = ALL_DURATION_UNITS): number | undefined {
  if (!durationPattern(units).test(text)) return undefined;
  let total = 0;
  // Longer unit names first, so `ms` is not read as `m` followed by a stray `s`.
  for (const match of text.matchAll(/(\d+)(ms|[ywdhms])/g))
    total += Number(match[1]) * DURATION_UNIT_MS[match[2] as DurationUnit];
  return total;
}
