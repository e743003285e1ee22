import type { TimeWindow } from './schema.js'

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/** A compiled time window: true when an instant (ms since the epoch) falls inside it. */
export type TimeTest = (now: number) => boolean

/**
 * Compiles a window in an IANA zone with Intl (daylight saving time included). The zone is
 * checked now, so an unknown zone fails the load. The wall clock of the last minute seen is
 * remembered: a decision inside the same minute formats nothing.
 * @throws RangeError for an unknown time zone
 */
export function compileTimeWindow(window: TimeWindow): TimeTest {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: window.zone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  })
  const days = new Set((window.days ?? DAYS).map((day) => DAYS.indexOf(day)))
  const from = minutesOf(window.from ?? '00:00')
  const to = minutesOf(window.to ?? '24:00')
  let cachedMinute = Number.NaN
  let cached = false
  return (now) => {
    const minute = Math.floor(now / 60_000)
    if (minute === cachedMinute) return cached
    let weekday = 0
    let clock = 0
    for (const part of format.formatToParts(now)) {
      if (part.type === 'weekday') weekday = WEEKDAY[part.value] ?? -1
      else if (part.type === 'hour') clock += Number(part.value) * 60
      else if (part.type === 'minute') clock += Number(part.value)
    }
    // A window such as 22:00–06:00 wraps past midnight; its early hours belong to the day before.
    const inHours = from <= to ? clock >= from && clock < to : clock >= from || clock < to
    const day = from > to && clock < to ? (weekday + 6) % 7 : weekday
    cachedMinute = minute
    cached = inHours && days.has(day)
    return cached
  }
}
